"""Bar charts as PNG bytes: poll results for Discord, the CLI and the dashboard.

A chart is an opaque light card (readable on Discord's light and dark themes alike): the
title wrapped above, then one labelled bar per row with its figure on the right. Labels wrap
at spaces (Korean included), or between any two characters of Japanese and Chinese text, and
are cut with "…" after a few lines. Pillow is imported only when a chart is drawn, so the bot
starts as fast as before. Functions are pure and thread-safe: the Discord layer can run them
with ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from bot import chart_fonts
from bot.poll_results import Tally

WIDTH = 1000
PAD = 40
GAP = 18
TITLE_SIZE, TEXT_SIZE, SMALL_SIZE = 36, 26, 22
TITLE_LINES, LABEL_LINES = 3, 2
ROW_PAD, ROW_GAP, INSET, RADIUS = 7, 10, 14, 8
FIGURE_WIDTH = 170  # room right of the bars for "1,234 · 100%"
BACKGROUND, BORDER = (255, 255, 255), (208, 212, 218)
INK, MUTED = (31, 35, 40), (87, 96, 106)
# Discord-like blurple, light enough that dark text on the bar stays readable
TRACK, BAR, LEAD = (236, 238, 242), (199, 204, 250), (160, 170, 247)
ELLIPSIS = "…"
MAX_BARS = 50
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_lock = threading.Lock()


@dataclass(frozen=True)
class Bar:
    """One row of a chart: its label, the value that sets its length, the figure shown."""

    label: str
    value: float
    figure: str
    highlight: bool = False


def tally_png(tally: Tally) -> bytes:
    """A poll's results as a PNG: question as title, one bar per option with count and percent.

    Only counts go into the picture (never who voted), so it is the same for public and
    anonymous polls.
    """
    poll = tally.poll
    bars = [Bar(label=r.option.label, value=r.percent,
                figure=f"{r.count:,} · {_percent(r.percent)}",
                highlight=r.option.id in tally.leaders)
            for r in tally.results]
    voters = tally.total_voters
    facts = [f"Poll #{poll.id}", "open" if poll.is_open else "closed",
             f"{voters:,} voter{'' if voters == 1 else 's'}"]
    if poll.anonymous:
        facts.append("anonymous")
    footer = ""
    if poll.max_choices > 1:
        footer = (f"Up to {poll.max_choices} choices per voter: percentages are shares of "
                  "voters and can add up to more than 100%.")
    return bar_chart_png(poll.question, bars, subtitle=" · ".join(facts), footer=footer,
                         scale_max=100.0)


def bar_chart_png(title: str, bars: Sequence[Bar], *, subtitle: str = "", footer: str = "",
                  scale_max: float | None = None) -> bytes:
    """Horizontal bars, one per row, scaled to ``scale_max`` (default: the largest value)."""
    if len(bars) > MAX_BARS:
        raise ValueError(f"a chart holds at most {MAX_BARS} bars (got {len(bars)})")
    with _lock:
        return _render(_clean(title), bars, _clean(subtitle), _clean(footer), scale_max)


def wrap(text: str, width: float, measure: Callable[[str], float],
         max_lines: int) -> list[str]:
    """Greedy wrapping by measured width; the last line ends in "…" when text is left over.

    Widths are summed piece by piece (a word and its space, or one CJK character), so each
    piece is measured once and ``measure`` can cache it.
    """
    lines: list[str] = []
    line, used = "", 0.0
    for piece in _pieces(text):
        trimmed = measure(piece.rstrip())
        if line and used + trimmed > width:
            lines.append(line.rstrip())
            line, used = "", 0.0
        while not line and trimmed > width and len(piece) > 1:  # wider than a whole line
            cut = _fit(piece, width, measure)
            lines.append(piece[:cut])
            piece = piece[cut:]
            trimmed = measure(piece.rstrip())
        line += piece
        used += measure(piece)
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        room = width - measure(ELLIPSIS)
        last = last[:_fit(last, room, measure)] if measure(last) > room else last
        lines = [*lines[:max_lines - 1], last.rstrip() + ELLIPSIS]
    return lines or [""]


def _render(title: str, bars: Sequence[Bar], subtitle: str, footer: str,
            scale_max: float | None) -> bytes:
    from PIL import Image, ImageDraw

    inner = WIDTH - 2 * PAD
    track = inner - FIGURE_WIDTH
    title_lines = wrap(title, inner, _measurer(TITLE_SIZE), TITLE_LINES)
    sub_lines = wrap(subtitle, inner, _measurer(SMALL_SIZE), 2) if subtitle else []
    foot_lines = wrap(footer, inner, _measurer(SMALL_SIZE), 3) if footer else []
    labels = [wrap(_clean(b.label), track - 2 * INSET, _measurer(TEXT_SIZE), LABEL_LINES)
              for b in bars]
    title_h, text_h, small_h = (_line_height(s) for s in (TITLE_SIZE, TEXT_SIZE, SMALL_SIZE))
    height = PAD + title_h * len(title_lines) + small_h * len(sub_lines) + GAP
    height += sum(text_h * len(lines) + 2 * ROW_PAD + ROW_GAP for lines in labels)
    height += small_h * len(foot_lines) + PAD
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH - 1, height - 1), outline=BORDER, width=2)
    y = PAD
    for line in title_lines:
        _text(draw, (PAD, y), line, TITLE_SIZE, INK)
        y += title_h
    for line in sub_lines:
        _text(draw, (PAD, y), line, SMALL_SIZE, MUTED)
        y += small_h
    y += GAP
    top = max((b.value for b in bars if math.isfinite(b.value)), default=0.0)
    scale = scale_max if scale_max and scale_max > 0 else top
    for bar, lines in zip(bars, labels, strict=True):
        row_h = text_h * len(lines) + 2 * ROW_PAD
        draw.rounded_rectangle((PAD, y, PAD + track, y + row_h), radius=RADIUS, fill=TRACK)
        share = bar.value / scale if scale and math.isfinite(bar.value) else 0.0
        filled = round(track * min(1.0, max(0.0, share)))
        if filled >= 2 * RADIUS:
            draw.rounded_rectangle((PAD, y, PAD + filled, y + row_h), radius=RADIUS,
                                   fill=LEAD if bar.highlight else BAR)
        elif filled > 0:
            draw.rectangle((PAD, y + 2, PAD + filled, y + row_h - 2),
                           fill=LEAD if bar.highlight else BAR)
        for n, line in enumerate(lines):
            _text(draw, (PAD + INSET, y + ROW_PAD + n * text_h), line, TEXT_SIZE, INK)
        figure = _clean(bar.figure)
        _text(draw, (PAD + track + 16, y + (row_h - text_h) // 2), figure, TEXT_SIZE, INK)
        y += row_h + ROW_GAP
    for line in foot_lines:
        _text(draw, (PAD, y), line, SMALL_SIZE, MUTED)
        y += small_h
    return encode(image)


def encode(image: Any) -> bytes:
    """PNG bytes with the chart's own palette: each theme colour exactly, plus the steps of
    anti-aliased text over each background. Four times faster to encode than RGB, and the
    file is less than half the size."""
    from PIL import Image

    out = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, format="PNG",
                                                                      compress_level=1)
    return out.getvalue()


@cache
def _palette() -> Any:
    from PIL import Image

    def mix(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
        return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))

    colours = [BACKGROUND, BORDER, INK, MUTED, TRACK, BAR, LEAD]
    for background in (BACKGROUND, TRACK, BAR, LEAD):
        colours += [mix(background, INK, n / 12) for n in range(1, 12)]
    colours += [mix(BACKGROUND, MUTED, n / 8) for n in range(1, 8)]
    colours += [mix(BACKGROUND, BORDER, n / 4) for n in range(1, 4)]
    flat = [channel for colour in dict.fromkeys(colours) for channel in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + flat[:3] * (256 - len(flat) // 3))
    return palette


def _text(draw: Any, xy: tuple[int, int], text: str, size: int, fill: tuple[int, ...]) -> None:
    """Draw one line, each run of characters with the font that has their glyphs."""
    x, y = xy
    for index, piece in chart_fonts.runs(text):
        face = chart_fonts.font(index, size)
        draw.text((x, y), piece, font=face, fill=fill)
        x += face.getlength(piece)


@cache
def _measurer(size: int) -> Callable[[str], float]:
    """Width in pixels of a piece of text at ``size``, cached per piece."""
    @lru_cache(maxsize=8192)
    def measure(text: str) -> float:
        return sum(chart_fonts.font(i, size).getlength(p) for i, p in chart_fonts.runs(text))
    return measure


def _line_height(size: int) -> int:
    ascent, descent = chart_fonts.font(0, size).getmetrics()
    return min(ascent + descent, round(size * 1.45))


def _pieces(text: str) -> list[str]:
    """Break opportunities: after a space, and around every wide (CJK) character."""
    pieces: list[str] = []
    for char in text:
        if not pieces:
            pieces.append(char)
            continue
        prev = pieces[-1][-1]
        if char.isspace():
            new = False  # spaces stay with the word they follow
        elif prev.isspace():
            new = True
        elif _wide(char) or _wide(prev):
            new = _breakable_before(char) and unicodedata.category(prev) not in ("Ps", "Pi")
        else:
            new = False
        if new:
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def _wide(char: str) -> bool:
    """Wide characters (kana, kanji) may break anywhere; Korean breaks at spaces, like words."""
    return unicodedata.east_asian_width(char) in ("W", "F") and not _HANGUL.match(char)


def _breakable_before(char: str) -> bool:
    """No line starts with closing punctuation such as 、。）」 or a combining mark."""
    return unicodedata.category(char) not in ("Pe", "Pf", "Po", "Mn", "Me", "Cf", "Lm")


def _fit(line: str, width: float, measure: Callable[[str], float]) -> int:
    """The longest prefix (at least one character) that fits ``width``."""
    low, high = 1, len(line)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(line[:mid]) <= width:
            low = mid
        else:
            high = mid - 1
    return low


def _clean(text: str) -> str:
    """One line of drawable text: every kind of space or line break becomes a plain space;
    control characters and lone surrogates go."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(" " if c.isspace() else c for c in text
                   if unicodedata.category(c) != "Cc" or c.isspace()).strip()


def _percent(value: float) -> str:
    if not math.isfinite(value):
        return "0%"
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"
