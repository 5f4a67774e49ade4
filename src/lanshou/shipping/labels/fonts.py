"""The embedded TrueType CJK font: find it, register it with reportlab once per process.

reportlab's built-in CID fonts (STSong-Light) are not embedded, so Chinese vanishes on a printer or viewer
without Chinese fonts; an embedded TrueType subset renders everywhere (WIRE-FORMATS.md section 6).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from lanshou.shipping.labels.model import LabelError

DEFAULT_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT_ENV = "LANSHOU_CJK_FONT"
DEBIAN_PACKAGE = "fonts-wqy-zenhei"

_registered: dict[Path, str] = {}
_lock = threading.Lock()


class LabelFontError(LabelError):
    """The CJK font is missing or unusable."""


def font_path(font: Path | str | None = None) -> Path:
    """The argument, else $LANSHOU_CJK_FONT, else the Debian fonts-wqy-zenhei path."""
    if font:
        return Path(font)
    env = os.environ.get(FONT_ENV, "").strip()
    return Path(env) if env else DEFAULT_CJK_FONT


def cjk_font(font: Path | str | None = None) -> str:
    """The reportlab font name of the CJK font, registering it the first time this process asks."""
    path = font_path(font).expanduser().resolve()
    with _lock:
        name = _registered.get(path)
        if name is None:
            name = _register(path)
            _registered[path] = name
        return name


def _register(path: Path) -> str:
    if not path.is_file():
        raise LabelFontError(
            f"找不到中文字体 CJK font not found: {path} — 请安装 install the Debian package {DEBIAN_PACKAGE} "
            f"(apt-get install {DEBIAN_PACKAGE}) or point {FONT_ENV} at a TrueType (.ttf/.ttc) CJK font"
        )
    name = "LanshouCJK-" + hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:8]
    try:
        font = TTFont(name, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise LabelFontError(
            f"中文字体不可用 unusable CJK font {path}: {exc} — reportlab needs TrueType outlines "
            f"(e.g. {DEBIAN_PACKAGE}); OpenType/CFF fonts such as Noto CJK are refused"
        ) from exc
    if ord("收") not in font.face.charToGlyph or ord("8") not in font.face.charToGlyph:
        raise LabelFontError(
            f"字体缺少中文或数字 font {path} lacks Chinese or ASCII glyphs: "
            f"labels need both (e.g. {DEBIAN_PACKAGE})"
        )
    pdfmetrics.registerFont(font)
    return name
