"""Password hashing with Argon2id, and the password policy.

Parameters: OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane). argon2-cffi's default (64 MiB, 3 passes,
4 lanes) took ~1 s of CPU per login on the 2-core reference machine under load, making the login form an
easy way to exhaust the server; the baseline costs ~5x less and is still memory-hard. A stored hash made
with other parameters is re-hashed at the next good login (`needs_rehash`).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lanshou.accounts.errors import AccountError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing is deliberately slow: an unbounded password is a cheap way to load the server

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class WeakPassword(AccountError):
    """The password breaks the policy."""


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码太短 password too short: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"密码太长 password too long: at most {MAX_LENGTH} characters")
    if password.strip() != password:
        raise WeakPassword("密码首尾不能有空格 password must not start or end with whitespace")


def hash_password(password: str) -> str:
    """The Argon2id hash (salted, parameters included). Check the policy first for a new password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash it after a good login."""
    return _hasher.check_needs_rehash(stored_hash)


@cache
def _decoy_hash() -> str:
    return _hasher.hash("decoy password, never valid")


def spend_verify_time(password: str) -> None:
    """Verify against a decoy: an unknown name then takes as long as a wrong password (no name probing)."""
    verify_password(_decoy_hash(), password)
