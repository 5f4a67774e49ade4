"""What an import checks before it reads a row: the user's arguments, named in one clear message."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lanshou.files.tabular import FileRefused
from lanshou.platforms.base import moved_timezone
from lanshou.platforms.values import zone


def checked_file(path: str | Path, rejects: Path | None = None) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileRefused(f"{path}: no such file / 文件不存在")
    if path.is_dir():
        raise FileRefused(f"{path}: is a directory, not a file")
    if rejects is not None and rejects.resolve() == path.resolve():
        raise FileRefused(f"--rejects {rejects} is the file being imported")
    return path


def checked_timezone(name: str | None) -> None:
    if name is None:
        return
    try:
        zone(name)
    except ValueError:
        raise FileRefused(
            f"--timezone {name!r}: unknown timezone / 未知时区 (e.g. Asia/Shanghai, Europe/Berlin)"
        ) from None


def refuse_moved_timezone(
    timezones: Mapping[tuple[str, str], str], shop: str | None, timezone: str | None
) -> None:
    """--shop with a --timezone other than the stored shop's: the whole file is refused up front."""
    if shop is None or timezone is None:
        return
    for (_, name), stored in timezones.items():
        if name == shop and stored != timezone:
            raise FileRefused(moved_timezone(shop, stored, timezone))
