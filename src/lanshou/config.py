"""Where Lanshou keeps its data: LANSHOU_DATABASE_URL, else a SQLite file in the user's data dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

DEFAULT_TIMEZONE = "Asia/Shanghai"


def data_dir() -> Path:
    path = Path(os.environ.get("LANSHOU_DATA_DIR") or user_data_dir("lanshou", appauthor=False))
    if not path.is_dir():
        # only its owner may enter: the database in it holds buyers' phone numbers and addresses unmasked,
        # and the session and buyer-key secrets (a folder made earlier keeps the mode it has)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("LANSHOU_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'lanshou.db'}"


def buyer_hash_key() -> bytes:
    """The secret that keys buyers' phone hashes (one profile per phone without storing it as the key):
    LANSHOU_BUYER_KEY, else a random key made once in the data dir (readable by its owner only)."""
    given = os.environ.get("LANSHOU_BUYER_KEY")
    if given:
        return given.encode()
    path = data_dir() / "buyer_key"
    try:
        made = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        import secrets

        with os.fdopen(made, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode()
