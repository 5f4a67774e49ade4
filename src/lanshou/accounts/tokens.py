"""API tokens: random, shown once, stored only as a SHA-256 digest.

A token carries 256 random bits, so a fast digest is safe to store (no dictionary to attack) and lets every
API request be checked with one indexed look-up instead of a slow password hash.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "lsk_"  # makes a leaked token recognisable to secret scanners and people
HINT_LENGTH = len(PREFIX) + 6


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    """The first characters, enough to tell one's tokens apart in a list, useless to an attacker."""
    return token[:HINT_LENGTH]


def looks_like_token(text: str) -> bool:
    return text.startswith(PREFIX) and 20 <= len(text) <= 200
