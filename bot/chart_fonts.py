"""Fonts for charts: which font draws each character, so Japanese, Korean and Latin all show.

The primary font is Noto Sans CJK JP, installed from PyPI with the bot (the
``noto-cjk-sans-jp-regular`` package): it covers Latin, Greek, Cyrillic, kana, kanji and
hangul. A few common system fonts follow as fallbacks for other characters (symbols, other
scripts). Each character is drawn with the first font whose character map holds it; a
character no font has falls back to the primary font's missing-glyph box. Pillow and fontTools
are imported here only when a chart is drawn, never when the bot starts.
"""

from __future__ import annotations

import struct
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

PRIMARY_PACKAGE = "noto_cjk_sans_jp_regular"
PRIMARY_FILE = "NotoSansCJKjp-Regular.otf"
SYSTEM_FONTS = (
    # Debian / Ubuntu: fonts-noto-cjk, fonts-dejavu-core, fonts-noto-core
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
    # macOS and Windows
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:/Windows/Fonts/seguisym.ttf",
    "C:/Windows/Fonts/malgun.ttf",
    "C:/Windows/Fonts/msgothic.ttc",
)
_JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiners stay with the character before
_lock = threading.Lock()


@dataclass(frozen=True)
class Face:
    """One font file (the first face of a collection) and the code points it has glyphs for."""

    path: Path
    codepoints: frozenset[int]

    def covers(self, char: str) -> bool:
        """Whether this font has a real glyph for ``char``."""
        return ord(char) in self.codepoints


def primary_font_path() -> Path | None:
    """The bundled Noto Sans CJK file, or None when its package is not installed."""
    try:
        path = resources.files(PRIMARY_PACKAGE) / PRIMARY_FILE
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


@cache
def faces() -> tuple[Face, ...]:
    """The fallback chain, primary first; empty only if no font at all can be found."""
    paths = [primary_font_path(), *(Path(p) for p in SYSTEM_FONTS)]
    found: list[Face] = []
    seen: set[Path] = set()
    for path in paths:
        if path is None or path in seen or not path.is_file():
            continue
        seen.add(path)
        codepoints = _codepoints(path)
        if codepoints:
            found.append(Face(path, codepoints))
    return tuple(found)


def missing(text: str) -> str:
    """The characters of ``text`` that no available font can draw (for checks and tests)."""
    chain = faces()
    return "".join(sorted({c for c in text if _visible(c)
                           and not any(face.covers(c) for face in chain)}))


@lru_cache(maxsize=4096)
def runs(text: str) -> tuple[tuple[int, str], ...]:
    """Split ``text`` into (face index, piece) runs: each piece drawn by one font."""
    chain = faces()
    out: list[tuple[int, str]] = []
    for char in text:
        if out and not _visible(char):
            index = out[-1][0]  # spaces, marks and joiners go with what they follow
        else:
            index = next((n for n, face in enumerate(chain) if face.covers(char)), 0)
        if out and out[-1][0] == index:
            out[-1] = (index, out[-1][1] + char)
        else:
            out.append((index, char))
    return tuple(out)


def font(index: int, size: int) -> Any:
    """A Pillow font for face ``index`` at ``size`` pixels (Pillow's own font if none found)."""
    return _font(index, size)


@cache
def _font(index: int, size: int) -> Any:
    from PIL import ImageFont

    chain = faces()
    if not chain:
        return ImageFont.load_default(size)
    with _lock:
        return ImageFont.truetype(str(chain[index].path), size, index=0)


def _codepoints(path: Path) -> frozenset[int]:
    """The code points a font file maps to a real glyph; an unreadable file covers nothing.

    fontTools finds the raw ``cmap`` table (in a plain font or a collection), which is read
    here rather than with ``getBestCmap()``: that decompiles a name for each of Noto CJK's
    65,000 glyphs and costs about 35 MB at its peak, where the raw table costs 4 MB.
    """
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(path), fontNumber=0, lazy=True) as font_file:
            return frozenset(_cmap_codepoints(font_file.reader["cmap"]))
    except Exception:  # a broken or unsupported font is skipped, never fatal
        return frozenset()


def _cmap_codepoints(data: bytes) -> set[int]:
    """Unicode code points with a glyph, from a cmap table's format 12 or format 4 subtable."""
    count = struct.unpack_from(">H", data, 2)[0]
    records = {struct.unpack_from(">HH", data, 4 + 8 * n): struct.unpack_from(">I", data,
                                                                              8 + 8 * n)[0]
               for n in range(count)}
    for key in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3)):
        if key in records:
            offset = records[key]
            fmt = struct.unpack_from(">H", data, offset)[0]
            if fmt == 12:
                return _format12(data, offset)
            if fmt == 4:
                return _format4(data, offset)
    return set()


def _format12(data: bytes, offset: int) -> set[int]:
    groups = struct.unpack_from(">I", data, offset + 12)[0]
    found: set[int] = set()
    for start, end, glyph in struct.iter_unpack(">III",
                                                data[offset + 16:offset + 16 + 12 * groups]):
        found.update(range(start, end + 1) if glyph else range(start + 1, end + 1))
    return found


def _format4(data: bytes, offset: int) -> set[int]:
    segments = struct.unpack_from(">H", data, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, offset + 14)
    starts = struct.unpack_from(f">{segments}H", data, offset + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, offset + 16 + 4 * segments)
    range_at = offset + 16 + 6 * segments
    ranges = struct.unpack_from(f">{segments}H", data, range_at)
    found: set[int] = set()
    for n, (start, end, delta, shift) in enumerate(zip(starts, ends, deltas, ranges,
                                                       strict=True)):
        for code in range(start, min(end, 0xFFFE) + 1):
            if shift == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = range_at + 2 * n + shift + 2 * (code - start)
                glyph = struct.unpack_from(">H", data, at)[0] if at + 2 <= len(data) else 0
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                found.add(code)
    return found


def _visible(char: str) -> bool:
    """Whether a character needs a glyph of its own (not a space, mark or joiner)."""
    if char in _JOINERS or char.isspace():
        return False
    return unicodedata.category(char) not in ("Mn", "Me", "Cf")
