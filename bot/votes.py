"""Ballots: cast, toggle and retract votes, one ballot per user, every change logged.

Every vote is checked against the database inside one ``BEGIN IMMEDIATE`` transaction, and
each ballot change appends to ``vote_events`` in that same transaction, so the results can
be recomputed from the log (``poll_results.tally_from_events``) and audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.errors import InvalidInput, VoteNotChangeable
from bot.polls import ANY_SERVER, Poll, accepting_votes, check_id, get_poll, utc
from bot.store import dumps, iso, write

Server = int | object | None  # a guild id, ANY_SERVER (console, CLI), or None for a DM


@dataclass(frozen=True)
class VoteResult:
    """What changed for this voter: their ballot before and after (equal when nothing did)."""

    poll: Poll
    old: tuple[str, ...]
    new: tuple[str, ...]


def vote(
    db: Database, poll_id: int, user_id: int, choices: Sequence[str], now: datetime | None = None,
    *, guild_id: Server = ANY_SERVER,
) -> VoteResult:
    """Cast or replace the user's whole ballot (a single choice, or a multiple-choice submit).

    ``guild_id``: the server the vote comes from; another server's poll counts as unknown.
    """
    at = utc(now)
    check_id(user_id, "user_id")
    wanted = [choices] if isinstance(choices, str) else list(choices)
    with write(db):
        poll = accepting_votes(db, poll_id, at, guild_id)
        for choice in wanted:
            poll.option(choice)
        new = tuple(o.id for o in poll.options if o.id in wanted)
        if not new:
            raise InvalidInput("Pick at least one option (or retract your vote instead).")
        if len(new) > poll.max_choices:
            raise InvalidInput(f"You can pick at most {poll.max_choices} options in this poll.")
        return _apply(db, poll, user_id, _ballot(db, poll.id, user_id), new, at)


def toggle(
    db: Database, poll_id: int, user_id: int, option_id: str, now: datetime | None = None,
    *, guild_id: Server = ANY_SERVER,
) -> VoteResult:
    """Add or remove one option; in a single-choice poll it replaces the old pick."""
    at = utc(now)
    check_id(user_id, "user_id")
    with write(db):
        poll = accepting_votes(db, poll_id, at, guild_id)
        return _toggled(db, poll, user_id, poll.option(option_id).id, at)


def press(
    db: Database, poll_id: int, user_id: int, option_id: str, now: datetime | None = None,
    *, guild_id: Server = ANY_SERVER,
) -> VoteResult:
    """A vote button: in a multiple-choice poll it adds or removes its option; in a
    single-choice poll it picks it, and pressing your current pick again keeps it."""
    at = utc(now)
    check_id(user_id, "user_id")
    with write(db):
        poll = accepting_votes(db, poll_id, at, guild_id)
        picked = poll.option(option_id).id
        if poll.max_choices > 1:
            return _toggled(db, poll, user_id, picked, at)
        return _apply(db, poll, user_id, _ballot(db, poll.id, user_id), (picked,), at)


def retract(
    db: Database, poll_id: int, user_id: int, now: datetime | None = None,
    *, guild_id: Server = ANY_SERVER,
) -> VoteResult:
    """Remove the user's ballot; a user without one gets an unchanged result and no event."""
    at = utc(now)
    check_id(user_id, "user_id")
    with write(db):
        poll = accepting_votes(db, poll_id, at, guild_id)
        return _apply(db, poll, user_id, _ballot(db, poll.id, user_id), (), at)


def _toggled(db: Database, poll: Poll, user_id: int, picked: str, at: datetime) -> VoteResult:
    """Add ``picked`` to the ballot, or take it out if it is there (inside the transaction)."""
    old = _ballot(db, poll.id, user_id)
    if picked in old:
        new = tuple(c for c in old if c != picked)
    elif poll.max_choices == 1:
        new = (picked,)
    elif len(old) >= poll.max_choices:
        raise InvalidInput(
            f"You can pick at most {poll.max_choices} options in this poll; "
            "remove one before adding another."
        )
    else:
        new = tuple(o.id for o in poll.options if o.id in old or o.id == picked)
    return _apply(db, poll, user_id, old, new, at)


def ballot(db: Database, poll_id: int, user_id: int) -> tuple[str, ...]:
    """The user's current choices (empty if none); show them to that user only."""
    return _ballot(db, get_poll(db, poll_id).id, user_id)


def _ballot(db: Database, poll_id: int, user_id: int) -> tuple[str, ...]:
    """The stored choices of one voter, in poll order."""
    row = db.execute(
        "SELECT choices FROM ballots WHERE poll_id = ? AND user_id = ?", [poll_id, user_id]
    ).fetchone()
    return tuple(json.loads(row[0])) if row else ()


def _apply(
    db: Database, poll: Poll, user_id: int, old: tuple, new: tuple, at: datetime
) -> VoteResult:
    """Write the ballot change and its vote event together; an identical ballot writes nothing."""
    if old == new:
        return VoteResult(poll, old, new)
    if old and not poll.allow_change:
        verb = "changed" if new else "retracted"
        raise VoteNotChangeable(f"Votes in poll #{poll.id} can't be {verb} once cast.")
    when, old_json, new_json = iso(at), _json(old), _json(new)
    if new:
        db.execute(
            "INSERT INTO ballots (poll_id, user_id, choices, cast_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (poll_id, user_id) DO UPDATE"
            " SET choices = excluded.choices, cast_at = excluded.cast_at",
            [poll.id, user_id, new_json, when],
        )
    else:
        db.execute("DELETE FROM ballots WHERE poll_id = ? AND user_id = ?", [poll.id, user_id])
    db.execute(
        "INSERT INTO vote_events (poll_id, user_id, at, old, new) VALUES (?, ?, ?, ?, ?)",
        [poll.id, user_id, when, old_json, new_json],
    )
    return VoteResult(poll, old, new)


def _json(choices: tuple[str, ...]) -> str | None:
    """A ballot as stored in ballots.choices and vote_events: a JSON list, NULL for none."""
    return dumps(list(choices)) if choices else None
