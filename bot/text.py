"""Plain-text rendering for the terminal (the console and the CLI's ``ask``).

Nothing Discord-only reaches the terminal: markdown becomes text (``bot.plaintext``), a
last-act answer sits between two marker lines instead of ``||…||`` (which a terminal can't
hide anyway), and control characters that people typed (an escape sequence in a logged
question, say) are shown as U+FFFD rather than sent to the terminal. ``spoiler()`` stays
here for the Discord embeds, which wrap the same texts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.answers import ANSWER, CLOSEST, SMALLTALK, Answer
from bot.knowledge import Entry, Source
from bot.plaintext import plain, plain_inline
from bot.poll_results import Tally, render_bar

SPOILER_START = "--- spoiler: the last act ---"
SPOILER_END = "--- end of spoiler ---"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but newline and tab


@dataclass(frozen=True)
class Hints:
    """How the front end printing an answer names its own commands."""

    open_entry: str = "type 'open {id}' to read it"
    commands: str = "Type 'help' for the commands (on Discord: /about)."


CONSOLE = Hints()


def cli_hints(prog: str) -> Hints:
    """The hints for ``PROG ask``, where ``kb show`` reads an entry."""
    return Hints(open_entry=f"'{prog} kb show {{id}}' shows it",
                 commands=f"'{prog} --help' lists the commands (on Discord: /about).")


def terminal_safe(text: str) -> str:
    """``text`` with control characters (escape sequences, bells...) replaced by U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def spoiler(text: str) -> str:
    """Wrap text in Discord spoiler markup; existing ``||`` would end the spoiler early."""
    return "||" + text.replace("||", "| |") + "||"


def source_line(source: Source) -> str:
    """One source as text: 'Scene: ...' or 'title - url'."""
    if source.scene:
        return f"Scene: {plain_inline(source.scene)}"
    return f"{plain_inline(source.title)} - {source.url}" if source.title else str(source.url)


def render_entry(entry: Entry, *, show_spoilers: bool = False,
                 width: int | None = None) -> list[str]:
    """One entry as lines: title, answer (between spoiler marker lines when hidden) and
    sources."""
    hidden = entry.spoiler and not show_spoilers
    title = plain_inline(entry.title, show_spoilers=True)
    title += "  [spoiler: last act]" if entry.spoiler else ""
    lines = [title, "=" * min(_cells(title), 72)]
    body = plain(entry.answer, width=width, show_spoilers=show_spoilers).split("\n")
    lines += [SPOILER_START, *body, SPOILER_END] if hidden else body
    lines.append("")
    lines.append("Sources:")
    lines += [f"  {n}. {source_line(src)}" for n, src in enumerate(entry.sources, 1)]
    return lines


def render_answer(answer: Answer, *, show_spoilers: bool = False, width: int | None = None,
                  hints: Hints = CONSOLE) -> str:
    """A readable answer (each part of a two-part question), a closest match, a friendly
    reply to small talk, or an honest abstention listing the closest topics."""
    lines: list[str] = []
    film = f"{answer.film.title} ({answer.film.year})" if answer.film else ""
    if answer.outcome == ANSWER:
        for n, part in enumerate(answer.parts):
            if n:
                lines += ["", "-" * 40]
            if len(answer.parts) > 1:
                lines.append(f"Q: {part.question}")
            lines += render_entry(part.entry, show_spoilers=show_spoilers, width=width)
            if part.standings is not None:
                lines += ["", "Where the community stands right now:",
                          render_tally(part.standings)]
            lines.append(f"{film} · confidence {part.confidence:.0%} · entry {part.entry.id}")
    elif answer.outcome == SMALLTALK:
        lines.append(plain(answer.reply or "", width=width))
        lines += [f"  - {q}" for q in answer.examples]
        lines.append(hints.commands)
        return terminal_safe("\n".join(lines))
    elif answer.outcome == CLOSEST and answer.suggested:
        best = answer.suggested
        lines.append("I'm not sure I have a curated answer for that. The closest entry I have "
                     f"({answer.confidence:.0%} sure) is:")
        lines.append(f"  {plain_inline(best.title, show_spoilers=True)}"
                     + ("  [spoiler]" if best.spoiler else "")
                     + f"  ({hints.open_entry.format(id=best.id)})")
    else:
        lines.append("I don't have a curated answer for that, and I'd rather not guess.")
    if answer.alternatives:
        lines.append("")
        lines.append("Related topics:" if answer.answered else "Other topics I can answer:"
                     if answer.outcome == CLOSEST else "Closest topics I can answer:")
        for alt in answer.alternatives:
            lines.append(f"  - {plain_inline(alt.title, show_spoilers=True)}"
                         + ("  [spoiler]" if alt.spoiler else ""))
    return terminal_safe("\n".join(lines))


def render_tally(tally: Tally) -> str:
    """Poll results with bars, for the terminal; the footer says what Discord's does."""
    poll = tally.poll
    state = "open" if poll.is_open else "closed"
    lines = [f"Poll #{poll.id} ({state}): {_one_line(poll.question)}"]
    labels = [_one_line(r.option.label) for r in tally.results]
    width = max(map(_cells, labels), default=0)
    for n, (r, label) in enumerate(zip(tally.results, labels, strict=True), 1):
        lead = " <- leading" if r.option.id in tally.leaders and len(tally.leaders) == 1 else ""
        tie = " <- tied" if r.option.id in tally.leaders and len(tally.leaders) > 1 else ""
        pad = " " * (width - _cells(label))
        lines.append(f"  {n:>2}. {label}{pad}  {render_bar(r.percent)} "
                     f"{r.percent:3.0f}% ({r.count}) [{r.option.id}]{lead}{tie}")
    voters = tally.total_voters
    footer = [f"{voters} voter{'s' if voters != 1 else ''}",
              "anonymous" if poll.anonymous else "public",
              "one choice" if poll.max_choices == 1 else f"up to {poll.max_choices} choices"]
    if not poll.allow_change:
        footer.append("votes are final")
    if poll.deadline and poll.is_open:
        footer.append(f"closes {poll.deadline:%Y-%m-%d %H:%M} UTC")
    lines.append("  " + " · ".join(footer))
    return terminal_safe("\n".join(lines))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cells(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
