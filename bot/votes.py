"""Ballots: cast, toggle and retract votes, one ballot per user, every change logged.

Every vote is checked against the database inside one ``BEGIN IMMEDIATE`` transaction, and
each ballot change appends to ``vote_events`` in that same transaction, so the results can
be recomputed from the log (``poll_results.tally_from_events``) and audited.

The voter is the actor, in the actor's server: another server's poll is "not found". A
ballot is kept under a ``voter`` key: the user id in a public poll (which shows who voted),
a keyed pseudonym in an anonymous one, whose rows then hold no user id at all (see
``bot.pseudonyms``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.errors import InvalidInput, VoteNotChangeable
from bot.moderators import Actor
from bot.polls import Poll, accepting_votes, check_voter_key, get_poll, utc
from bot.pseudonyms import pseudonym
from bot.store import dumps, iso, write


@dataclass(frozen=True)
class VoteResult:
    """What changed for this voter: their ballot before and after (equal when nothing did)."""

    poll: Poll
    old: tuple[str, ...]
    new: tuple[str, ...]


def vote(
    db: Database, actor: Actor, poll_id: int, choices: Sequence[str],
    now: datetime | None = None,
) -> VoteResult:
    """Cast or replace the actor's whole ballot (a single choice, or a multiple-choice submit)."""
    at = utc(now)
    wanted = [choices] if isinstance(choices, str) else list(choices)
    with write(db):
        poll = accepting_votes(db, actor, poll_id, at)
        for choice in wanted:
            poll.option(choice)
        new = tuple(o.id for o in poll.options if o.id in wanted)
        if not new:
            raise InvalidInput("Pick at least one option (or retract your vote instead).")
        if len(new) > poll.max_choices:
            raise InvalidInput(f"You can pick at most {_options(poll.max_choices)} in this poll.")
        voter = _voter(db, poll, actor)
        return _apply(db, poll, voter, _ballot(db, poll.id, voter.key), new, at)


def toggle(
    db: Database, actor: Actor, poll_id: int, option_id: str, now: datetime | None = None,
) -> VoteResult:
    """Add or remove one option; in a single-choice poll it replaces the old pick."""
    at = utc(now)
    with write(db):
        poll = accepting_votes(db, actor, poll_id, at)
        return _toggled(db, poll, _voter(db, poll, actor), poll.option(option_id).id, at)


def press(
    db: Database, actor: Actor, poll_id: int, option_id: str, now: datetime | None = None,
) -> VoteResult:
    """A vote button: in a multiple-choice poll it adds or removes its option; in a
    single-choice poll it picks it, and pressing your current pick again keeps it."""
    at = utc(now)
    with write(db):
        poll = accepting_votes(db, actor, poll_id, at)
        picked, voter = poll.option(option_id).id, _voter(db, poll, actor)
        if poll.max_choices > 1:
            return _toggled(db, poll, voter, picked, at)
        return _apply(db, poll, voter, _ballot(db, poll.id, voter.key), (picked,), at)


def retract(db: Database, actor: Actor, poll_id: int, now: datetime | None = None
            ) -> VoteResult:
    """Remove the actor's ballot; without one, an unchanged result and no event."""
    at = utc(now)
    with write(db):
        poll = accepting_votes(db, actor, poll_id, at)
        voter = _voter(db, poll, actor)
        return _apply(db, poll, voter, _ballot(db, poll.id, voter.key), (), at)


@dataclass(frozen=True)
class _Voter:
    key: str  # ballots.voter and vote_events.voter
    user_id: int | None  # stored only in public polls


def _voter(db: Database, poll: Poll, actor: Actor) -> _Voter:
    """How the actor's ballot is keyed in this poll: a pseudonym when it is anonymous."""
    if poll.anonymous:
        return _Voter(pseudonym(db, f"poll:{poll.id}", actor.user_id), None)
    return _Voter(str(actor.user_id), actor.user_id)


def _toggled(db: Database, poll: Poll, voter: _Voter, picked: str, at: datetime) -> VoteResult:
    """Add ``picked`` to the ballot, or take it out if it is there (inside the transaction)."""
    old = _ballot(db, poll.id, voter.key)
    if picked in old:
        new = tuple(c for c in old if c != picked)
    elif poll.max_choices == 1:
        new = (picked,)
    elif len(old) >= poll.max_choices:
        raise InvalidInput(
            f"You can pick at most {_options(poll.max_choices)} in this poll; "
            "remove one before adding another."
        )
    else:
        new = tuple(o.id for o in poll.options if o.id in old or o.id == picked)
    return _apply(db, poll, voter, old, new, at)


def ballot(db: Database, actor: Actor, poll_id: int) -> tuple[str, ...]:
    """The actor's current choices (empty if none); show them to that person only.

    VoterKeyLost when an anonymous poll's key is gone: "no ballot" would not be true.
    """
    poll = get_poll(db, actor, poll_id)
    check_voter_key(db, poll)
    return _ballot(db, poll.id, _voter(db, poll, actor).key)


def _ballot(db: Database, poll_id: int, voter: str) -> tuple[str, ...]:
    """The stored choices of one voter, in poll order."""
    row = db.execute(
        "SELECT choices FROM ballots WHERE poll_id = ? AND voter = ?", [poll_id, voter]
    ).fetchone()
    return tuple(json.loads(row[0])) if row else ()


def _apply(
    db: Database, poll: Poll, voter: _Voter, old: tuple, new: tuple, at: datetime
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
            "INSERT INTO ballots (poll_id, voter, user_id, choices, cast_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (poll_id, voter) DO UPDATE"
            " SET choices = excluded.choices, cast_at = excluded.cast_at",
            [poll.id, voter.key, voter.user_id, new_json, when],
        )
    else:
        db.execute("DELETE FROM ballots WHERE poll_id = ? AND voter = ?", [poll.id, voter.key])
    db.execute(
        "INSERT INTO vote_events (poll_id, voter, user_id, at, old, new)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [poll.id, voter.key, voter.user_id, when, old_json, new_json],
    )
    return VoteResult(poll, old, new)


def _json(choices: tuple[str, ...]) -> str | None:
    """A ballot as stored in ballots.choices and vote_events: a JSON list, NULL for none."""
    return dumps(list(choices)) if choices else None


def _options(count: int) -> str:
    """"1 option", "3 options"."""
    return f"{count} option{'' if count == 1 else 's'}"
