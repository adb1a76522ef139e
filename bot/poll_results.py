"""Poll results: tallies from current ballots, audits from the vote log, exports and bars.

Split from ``bot.polls`` to keep each module small. Like every poll function, each takes
the actor and shows only their own server's polls; ``message_tally`` is the exception, for
the bot's own poll message.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from bot.errors import NotAllowed, PollError
from bot.moderators import Actor
from bot.polls import Option, Poll, get_poll, load_for_message


@dataclass(frozen=True)
class OptionResult:
    """How many voters picked one option, and what share of all voters that is."""

    option: Option
    count: int
    percent: float


@dataclass(frozen=True)
class Tally:
    """Counts for every option in poll order; ``leaders`` holds all options tied for first."""

    poll: Poll
    results: tuple[OptionResult, ...]
    total_voters: int
    leaders: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Option id → count, the shape ``tally_from_events`` returns, for audits."""
        return {r.option.id: r.count for r in self.results}


def tally(db: Database, actor: Actor, poll_id: int) -> Tally:
    """Counts and percent of voters per option (multiple choice may sum over 100), ties kept."""
    return _tally(db, get_poll(db, actor, poll_id))


def message_tally(db: Database, poll_id: int) -> Tally:
    """The tally drawn on the poll's own message, in the poll's own channel.

    Housekeeping (live bars, deadlines, restarts), never an answer to a person, so it takes
    no actor: whoever voted, the message shows what its server already sees.
    """
    return _tally(db, load_for_message(db, poll_id))


def _tally(db: Database, poll: Poll) -> Tally:
    rows = db.execute("SELECT choices FROM ballots WHERE poll_id = ?", [poll.id]).fetchall()
    counts = _counts(poll, (json.loads(choices) for (choices,) in rows))
    total = len(rows)
    top = max(counts.values(), default=0)
    return Tally(
        poll=poll,
        results=tuple(
            OptionResult(o, counts[o.id], 100.0 * counts[o.id] / total if total else 0.0)
            for o in poll.options
        ),
        total_voters=total,
        leaders=tuple(o.id for o in poll.options if top and counts[o.id] == top),
    )


def tally_from_events(db: Database, actor: Actor, poll_id: int) -> dict[str, int]:
    """Recompute the counts by replaying the vote log, so an audit can compare it with tally."""
    poll = get_poll(db, actor, poll_id)
    events = db.execute(
        "SELECT id, voter, old, new FROM vote_events WHERE poll_id = ? ORDER BY id", [poll.id]
    )
    ballots: dict[str, list[str]] = {}
    for event_id, voter, old, new in events:
        if (json.loads(old) if old else []) != ballots.get(voter, []):
            raise PollError(f"The vote log of poll #{poll.id} is inconsistent at event {event_id}.")
        if new:
            ballots[voter] = json.loads(new)
        else:
            ballots.pop(voter, None)
    return _counts(poll, ballots.values())


def export_ballots(db: Database, actor: Actor, poll_id: int) -> list[dict[str, Any]]:
    """Rows for an export; an anonymous poll yields counts only, never who voted what."""
    poll = get_poll(db, actor, poll_id)
    if poll.anonymous:
        return [
            {"option_id": r.option.id, "label": r.option.label, "count": r.count}
            for r in _tally(db, poll).results
        ]
    rows = db.execute(
        "SELECT user_id, choices, cast_at FROM ballots WHERE poll_id = ? ORDER BY cast_at, user_id",
        [poll.id],
    )
    return [
        {"user_id": user_id, "option_id": choice, "cast_at": cast_at}
        for user_id, choices, cast_at in rows
        for choice in json.loads(choices)
    ]


def voters(db: Database, actor: Actor, poll_id: int) -> dict[str, tuple[int, ...]]:
    """Who picked each option of a public poll, earliest ballot first.

    Anonymous polls are refused for everyone, moderators and the operator included: their
    ballots hold pseudonyms, not user ids (see ``bot.pseudonyms``).
    """
    poll = get_poll(db, actor, poll_id)
    if poll.anonymous:
        raise NotAllowed(f"Poll #{poll.id} is anonymous: nobody can see who voted for what.")
    picked: dict[str, list[int]] = {o.id: [] for o in poll.options}
    rows = db.execute(
        "SELECT user_id, choices FROM ballots WHERE poll_id = ? ORDER BY cast_at, user_id",
        [poll.id],
    )
    for user_id, choices in rows:
        for choice in json.loads(choices):
            picked.setdefault(choice, []).append(user_id)
    return {option: tuple(users) for option, users in picked.items()}


def render_bar(percent: float, width: int = 10) -> str:
    """A text bar such as █████░░░░░, so Discord and the console draw results alike."""
    if width < 1:
        raise ValueError("width must be at least 1")
    share = percent if math.isfinite(percent) else 0.0
    filled = min(width, max(0, math.floor(share * width / 100 + 0.5)))
    return "█" * filled + "░" * (width - filled)


def _counts(poll: Poll, ballots: Any) -> dict[str, int]:
    """Votes per option id, every option of the poll present (zero when nobody picked it)."""
    counts = dict.fromkeys((o.id for o in poll.options), 0)
    for choices in ballots:
        for choice in choices:
            counts[choice] = counts.get(choice, 0) + 1
    return counts
