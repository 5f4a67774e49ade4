"""Where Lanshou keeps its data: LANSHOU_DATABASE_URL, else a SQLite file in the user's data dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

DEFAULT_TIMEZONE = "Asia/Shanghai"


def data_dir() -> Path:
    path = Path(os.environ.get("LANSHOU_DATA_DIR") or user_data_dir("lanshou", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("LANSHOU_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'lanshou.db'}"
