"""Plain-text rendering of answers for the terminal (CLI and console).

Spoilers are shown with Discord's own ``||…||`` markers, so the console reads
like the channel does.
"""

from __future__ import annotations

from bot.answers import Answer
from bot.knowledge import Source


def spoiler(text: str) -> str:
    """Wrap text in Discord spoiler markup; existing ``||`` would end the spoiler early."""
    return "||" + text.replace("||", "| |") + "||"


def source_line(source: Source) -> str:
    """One source as text: 'Scene: ...' or 'title - url'."""
    return f"Scene: {source.scene}" if source.scene else f"{source.title} - {source.url}"


def render_answer(answer: Answer, *, show_spoilers: bool = False) -> str:
    """A readable answer, or a friendly abstention listing the closest topics."""
    lines: list[str] = []
    entry = answer.entry
    if answer.answered and entry:
        hidden = entry.spoiler and not show_spoilers
        title = entry.title + ("  [spoiler: last act]" if entry.spoiler else "")
        lines += [title, "=" * min(len(title), 72)]
        lines.append(spoiler(entry.answer.strip()) if hidden else entry.answer.strip())
        lines.append("")
        lines.append("Sources:")
        lines += [f"  {n}. {source_line(src)}" for n, src in enumerate(entry.sources, 1)]
        film = f"{answer.film.title} ({answer.film.year})" if answer.film else ""
        lines.append(f"{film} · match {answer.confidence:.0%} · entry `{entry.id}`")
    else:
        lines.append("I don't have a curated answer for that, and I'd rather not guess.")
    if answer.alternatives:
        lines.append("")
        lines.append("Related topics:" if answer.answered else "Closest topics I can answer:")
        for alt in answer.alternatives:
            lines.append(f"  - {alt.title}" + ("  [spoiler]" if alt.spoiler else ""))
    return "\n".join(lines)
