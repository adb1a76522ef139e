"""Plain-text rendering of answers for the terminal (CLI and console).

Spoilers are shown with Discord's own ``||…||`` markers, so the console reads
like the channel does.
"""

from __future__ import annotations

from bot.answers import ANSWER, CLOSEST, SMALLTALK, Answer
from bot.knowledge import Entry, Source
from bot.poll_results import Tally, render_bar


def spoiler(text: str) -> str:
    """Wrap text in Discord spoiler markup; existing ``||`` would end the spoiler early."""
    return "||" + text.replace("||", "| |") + "||"


def source_line(source: Source) -> str:
    """One source as text: 'Scene: ...' or 'title - url'."""
    return f"Scene: {source.scene}" if source.scene else f"{source.title} - {source.url}"


def render_entry(entry: Entry, *, show_spoilers: bool = False) -> list[str]:
    """One entry as lines: title, answer (spoiler-marked when hidden) and sources."""
    hidden = entry.spoiler and not show_spoilers
    title = entry.title + ("  [spoiler: last act]" if entry.spoiler else "")
    lines = [title, "=" * min(len(title), 72)]
    lines.append(spoiler(entry.answer.strip()) if hidden else entry.answer.strip())
    lines.append("")
    lines.append("Sources:")
    lines += [f"  {n}. {source_line(src)}" for n, src in enumerate(entry.sources, 1)]
    return lines


def render_answer(answer: Answer, *, show_spoilers: bool = False) -> str:
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
            lines += render_entry(part.entry, show_spoilers=show_spoilers)
            if part.standings is not None:
                lines += ["", "Where the community stands right now:",
                          render_tally(part.standings)]
            lines.append(f"{film} · confidence {part.confidence:.0%} · entry `{part.entry.id}`")
    elif answer.outcome == SMALLTALK:
        lines.append(answer.reply or "")
        lines += [f"  - {q}" for q in answer.examples]
        lines.append("Type `help` for the commands (on Discord: `/about`).")
        return "\n".join(lines)
    elif answer.outcome == CLOSEST and answer.suggested:
        best = answer.suggested
        lines.append("I'm not sure I have a curated answer for that. The closest entry I have "
                     f"({answer.confidence:.0%} sure) is:")
        lines.append(f"  {best.title}" + ("  [spoiler]" if best.spoiler else "")
                     + f"  (type `open {best.id}` to read it)")
    else:
        lines.append("I don't have a curated answer for that, and I'd rather not guess.")
    if answer.alternatives:
        lines.append("")
        lines.append("Related topics:" if answer.answered else "Other topics I can answer:"
                     if answer.outcome == CLOSEST else "Closest topics I can answer:")
        for alt in answer.alternatives:
            lines.append(f"  - {alt.title}" + ("  [spoiler]" if alt.spoiler else ""))
    return "\n".join(lines)


def render_tally(tally: Tally) -> str:
    """Poll results with bars, for the terminal."""
    poll = tally.poll
    state = "open" if poll.is_open else "closed"
    lines = [f"Poll #{poll.id} ({state}): {poll.question}"]
    width = max((len(r.option.label) for r in tally.results), default=0)
    for n, r in enumerate(tally.results, 1):
        lead = " <- leading" if r.option.id in tally.leaders and len(tally.leaders) == 1 else ""
        tie = " <- tied" if r.option.id in tally.leaders and len(tally.leaders) > 1 else ""
        lines.append(f"  {n:>2}. {r.option.label:<{width}}  {render_bar(r.percent)} "
                     f"{r.percent:3.0f}% ({r.count}) [{r.option.id}]{lead}{tie}")
    voters = tally.total_voters
    lines.append(f"  {voters} voter{'s' if voters != 1 else ''}"
                 + (f" · closes {poll.deadline:%Y-%m-%d %H:%M} UTC"
                    if poll.deadline and poll.is_open else ""))
    return "\n".join(lines)
