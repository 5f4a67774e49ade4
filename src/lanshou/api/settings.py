"""What the app needs besides the database: the session secret and cookie policy."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from lanshou.accounts.limits import LoginLimits
from lanshou.config import data_dir

SECRET_FILE = "session-secret"


@dataclass(frozen=True)
class AppSettings:
    secret_key: str  # signs the session cookie; every worker and every server must share it
    secure_cookies: bool = True  # cookies only over HTTPS; turn off for plain-HTTP localhost
    session_max_age: int = 12 * 3600  # seconds: a working day, then log in again
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    # requests run in threads (every `def` route) at once, and database connections the pool keeps open for
    # them: equal, so that a burst queues for a thread instead of opening and closing connections (on
    # PostgreSQL each one a new server process; measured under wrk: docs/deploy.md)
    request_threads: int = 10

    @classmethod
    def for_tests(cls, secure_cookies: bool = True) -> AppSettings:
        return cls(secret_key=secrets.token_urlsafe(32), secure_cookies=secure_cookies)


def settings_from_environment() -> AppSettings:
    """LANSHOU_SECRET_KEY (else a key kept in the data dir), LANSHOU_SECURE_COOKIES (default on),
    LANSHOU_REQUEST_THREADS (default 10: requests in threads at once, and connections kept open)."""
    return AppSettings(
        secret_key=secret_key(),
        secure_cookies=env_flag("LANSHOU_SECURE_COOKIES", True),
        request_threads=_positive_int("LANSHOU_REQUEST_THREADS", AppSettings.request_threads),
    )


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def secret_key() -> str:
    """The configured key, else one generated once and kept (mode 600) beside the SQLite database."""
    configured = os.environ.get("LANSHOU_SECRET_KEY", "").strip()
    if configured:
        return configured
    path = data_dir() / SECRET_FILE
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def _write_private(path: Path, text: str) -> None:
    """Write the whole file under a temporary name, then link it in place: when several workers start at
    once, the first one's key wins and no one ever reads a half-written file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"环境变量无效 {name}={value!r}: use 1/0, true/false, yes/no or on/off")
