"""Interpretation polls: creating, reading, closing and reopening them, with no Discord in sight.

Voting (ballots and the vote log) lives in ``bot.votes``; results (``tally``,
``tally_from_events``, ``export_ballots``, ``render_bar``) in ``bot.poll_results``.

A poll belongs to the server it was started in. Every function that a person calls takes
their ``Actor`` and shows them their own server's polls only: another server's poll is
"not found", worded exactly like one that never existed, and a DM sees no poll at all.
The few functions without an actor are the bot's own housekeeping (deadlines, keeping the
poll message up to date), never an answer to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from bot.errors import (
    InvalidInput,
    NotAllowed,
    PollClosed,
    PollError,
    PollNotFound,
    UnknownChoice,
    VoterKeyLost,
)
from bot.moderators import Actor, require_moderator, require_server
from bot.pseudonyms import current_key_id
from bot.store import iso, write
from bot.usertext import clean

OPTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
FILM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
KINDS = ("interpretations", "custom")
SQLITE_INT_LIMIT = 2**63
MIN_OPTIONS, MAX_OPTIONS = 2, 25  # 25: the most buttons one Discord message can hold
MIN_HOURS, MAX_HOURS = 0.1, 720.0  # a poll's ``hours`` to its deadline: 6 minutes to 30 days
_COLS = (
    "id, question, creator_id, guild_id, channel_id, message_id, film, kind, max_choices,"
    " anonymous, allow_change, deadline, status, created_at, closed_at, closed_by, voter_key"
)


@dataclass(frozen=True)
class Option:
    """One answer a voter can pick; ``id`` is what buttons and the vote log carry."""

    id: str
    label: str
    summary: str = ""


@dataclass(frozen=True)
class Poll:
    """A snapshot of one poll as stored; re-read it rather than trusting an old copy."""

    id: int
    question: str
    options: tuple[Option, ...]
    creator_id: int
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    film: str | None
    kind: str
    max_choices: int
    anonymous: bool
    allow_change: bool
    deadline: datetime | None
    status: str
    created_at: datetime
    closed_at: datetime | None
    closed_by: int | None
    voter_key: str | None = None  # anonymous polls: the key id of their voters' pseudonyms

    @property
    def is_open(self) -> bool:
        """Whether the status is open (``vote`` also refuses once the deadline has passed)."""
        return self.status == "open"

    def option(self, option_id: str) -> Option:
        """The option with this id; UnknownChoice for ids that are not part of this poll."""
        for option in self.options:
            if option.id == option_id:
                return option
        raise UnknownChoice(
            f"{_shown(option_id)} is not an option in poll #{self.id}; "
            "the buttons may be out of date, so please use the poll's latest message."
        )


def options_from_interpretations(items: Iterable[tuple[str, str, str]]) -> tuple[Option, ...]:
    """Turn a film pack's (id, label, summary) readings into poll options, keeping their order."""
    return tuple(Option(id=i, label=label, summary=summary or "") for i, label, summary in items)


def options_from_text(text: str) -> tuple[Option, ...]:
    """Options typed as ``A | B | C`` (what /poll create and the console take): empty parts
    are dropped, and the ids are o1, o2... in order. ``create_poll`` checks the labels."""
    if not isinstance(text, str):
        raise InvalidInput(f"The options must be text such as 'A | B' (got {_shown(text)}).")
    labels = [part.strip() for part in text.split("|") if part.strip()]
    return tuple(Option(f"o{n}", label) for n, label in enumerate(labels, 1))


def deadline_after(hours: Any, now: datetime | None = None) -> datetime | None:
    """The deadline ``hours`` after ``now`` (None: no deadline), for every front end alike:
    from MIN_HOURS to MAX_HOURS, as /poll's ``hours`` option offers."""
    if hours is None:
        return None
    # the comparison also refuses nan, infinities and integers too large for a float
    if type(hours) not in (int, float) or not MIN_HOURS <= hours <= MAX_HOURS:
        raise InvalidInput(f"hours must be a number from {MIN_HOURS:g} to {MAX_HOURS:g} "
                           f"(got {_shown(hours)}).")
    return utc(now) + timedelta(hours=hours)


def create_poll(
    db: Database,
    actor: Actor,
    *,
    question: str,
    options: Sequence[Option],
    channel_id: int | None = None,
    film: str | None = None,
    kind: str = "custom",
    max_choices: int = 1,
    anonymous: bool = False,
    allow_change: bool = True,
    deadline: datetime | None = None,
    hours: float | None = None,
    now: datetime | None = None,
) -> Poll:
    """A poll with the actor's own options, in the actor's server: moderators only.

    Every rule is checked first (InvalidInput names the field); poll and options are stored
    at once. ``hours`` sets the deadline that many hours from now (``deadline_after``).
    Anyone may start a poll on the film's readings with ``create_ending_poll``.
    """
    require_server(actor, "polls")
    require_moderator(actor, "create polls with custom options; anyone can start a poll on the "
                      "film's readings of the ending (poll ending)")
    return _insert(db, actor, question=question, options=options, channel_id=channel_id,
                   film=film, kind=kind, max_choices=max_choices, anonymous=anonymous,
                   allow_change=allow_change, deadline=deadline, hours=hours, now=now)


def _insert(
    db: Database, actor: Actor, *, question: str, options: Sequence[Option],
    channel_id: int | None = None, film: str | None = None, kind: str = "custom",
    max_choices: int = 1, anonymous: bool = False, allow_change: bool = True,
    deadline: datetime | None = None, hours: float | None = None, now: datetime | None = None,
) -> Poll:
    """Check every rule, then store the poll (in the actor's server) and its options."""
    at = utc(now)
    deadline = _hours_or_deadline(hours, deadline, at)
    question = _text(question, "The question", 1, 300)
    opts = _check_options(options)
    check_id(channel_id, "channel_id", nullable=True)
    if kind not in KINDS:
        raise InvalidInput(f"The poll kind must be one of {', '.join(KINDS)} (got {_shown(kind)}).")
    if film is not None and not (isinstance(film, str) and FILM_ID.fullmatch(film)):
        raise InvalidInput(f"The film must be a film id such as drive-my-car (got {_shown(film)}).")
    if kind == "interpretations" and film is None:
        raise InvalidInput("An interpretations poll needs the film it is about.")
    if type(max_choices) is not int or not 1 <= max_choices <= len(opts):
        raise InvalidInput(
            f"max_choices must be between 1 and the number of options ({len(opts)}); "
            f"got {_shown(max_choices)}."
        )
    for name, flag in (("anonymous", anonymous), ("allow_change", allow_change)):
        if not isinstance(flag, bool):
            raise InvalidInput(f"{name} must be true or false (got {_shown(flag)}).")
    due = _check_deadline(deadline, at)
    with write(db):
        key = current_key_id(db) if anonymous else None
        values = [question, film, kind, actor.user_id, actor.guild_id, channel_id, max_choices]
        values += [anonymous, allow_change, due and iso(due), iso(at), key]
        poll_id = db.execute(
            "INSERT INTO polls (question, film, kind, creator_id, guild_id, channel_id,"
            " max_choices, anonymous, allow_change, deadline, status, created_at, voter_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            values,
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO poll_options (poll_id, option_id, position, label, summary)"
            " VALUES (?, ?, ?, ?, ?)",
            [(poll_id, o.id, n, o.label, o.summary) for n, o in enumerate(opts)],
        )
        return _load(db, poll_id)


def get_poll(db: Database, actor: Actor, poll_id: int) -> Poll:
    """The poll as stored now, if it is in the actor's server; else PollNotFound, worded the
    same whether it is another server's poll or a stale or forged id."""
    return _visible(db, actor, poll_id)


def load_for_message(db: Database, poll_id: int) -> Poll:
    """The poll behind a message the bot posted, to redraw it in its own channel.

    Housekeeping (live bars, deadlines, restarts), never an answer to a person: no actor.
    """
    return _load(db, poll_id)


def set_message(db: Database, poll_id: int, message_id: int | None) -> None:
    """Remember the message the bot posted to show the poll (None: it was deleted).

    Housekeeping: the bot's own record of its own message, so it takes no actor.
    """
    check_id(message_id, "message_id", nullable=True)
    with write(db):
        poll = _load(db, poll_id)
        db.execute("UPDATE polls SET message_id = ? WHERE id = ?", [message_id, poll.id])


def close(db: Database, actor: Actor, poll_id: int, *, now: datetime | None = None) -> Poll:
    """Close the poll for its creator or a moderator; votes are refused from then on."""
    at = utc(now)
    with write(db):
        poll = _visible(db, actor, poll_id)
        if not (actor.is_moderator or actor.user_id == poll.creator_id):
            raise NotAllowed("Only a moderator or the poll's creator can close this poll.")
        if not poll.is_open:
            raise PollClosed(f"Poll #{poll.id} is already closed.")
        db.execute(
            "UPDATE polls SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ?",
            [iso(at), actor.user_id, poll.id],
        )
        return _load(db, poll.id)


def reopen(
    db: Database,
    actor: Actor,
    poll_id: int,
    *,
    deadline: datetime | None = None,
    hours: float | None = None,
    now: datetime | None = None,
) -> Poll:
    """Reopen a closed poll (moderators only); without a new deadline (or ``hours``), a passed
    one is dropped."""
    at = utc(now)
    require_server(actor, "polls")
    require_moderator(actor, "reopen a poll")
    due = _check_deadline(_hours_or_deadline(hours, deadline, at), at)
    with write(db):
        poll = _visible(db, actor, poll_id)
        if poll.is_open:
            raise PollError(f"Poll #{poll.id} is already open.")
        if due is None and poll.deadline is not None and poll.deadline > at:
            due = poll.deadline
        db.execute(
            "UPDATE polls SET status = 'open', closed_at = NULL, closed_by = NULL, deadline = ?"
            " WHERE id = ?",
            [due and iso(due), poll.id],
        )
        return _load(db, poll.id)


def close_expired(db: Database, now: datetime | None = None) -> list[int]:
    """Close every open poll whose deadline has passed (also at startup); returns their ids."""
    at = iso(utc(now))
    where = "WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= ?"
    if db.execute(f"SELECT 1 FROM polls {where} LIMIT 1", [at]).fetchone() is None:
        return []  # the usual case takes no write lock
    with write(db):
        ids = [r[0] for r in db.execute(f"SELECT id FROM polls {where} ORDER BY id", [at])]
        # closed_at is the deadline itself: votes stopped counting then, not when this ran.
        db.execute(f"UPDATE polls SET status = 'closed', closed_at = deadline {where}", [at])
    return ids


def posted_open_polls(db: Database) -> list[int]:
    """Open polls with a message to keep up to date, after a restart (housekeeping)."""
    return [r[0] for r in db.execute(
        "SELECT id FROM polls WHERE status = 'open' AND message_id IS NOT NULL ORDER BY id")]


def list_polls(db: Database, actor: Actor, *, status: str | None = "open") -> list[Poll]:
    """The actor's server's polls, newest first, of one status (None means any)."""
    sql, params = _scope(actor)
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    ids = [r[0] for r in db.execute(f"SELECT id FROM polls WHERE {sql} ORDER BY id DESC", params)]
    return [_load(db, poll_id) for poll_id in ids]


def latest_poll(db: Database, actor: Actor, *, film: str, kind: str = "interpretations"
                ) -> Poll | None:
    """The newest poll about a film in the actor's server (open or closed), or None."""
    sql, params = _scope(actor)
    poll_id = db.execute(f"SELECT max(id) FROM polls WHERE {sql} AND film = ? AND kind = ?",
                         [*params, film, kind]).fetchone()[0]
    return None if poll_id is None else _load(db, poll_id)


def interpretation_options(db: Database, film: str) -> tuple[Option, ...]:
    """The film pack's readings of the ending (interpretations.yaml) as poll options."""
    rows = db.execute(
        "SELECT id, label, summary FROM interpretations WHERE film = ? ORDER BY position", [film]
    ).fetchall()
    return options_from_interpretations((i.split("/", 1)[1], label, s) for i, label, s in rows)


def create_ending_poll(db: Database, actor: Actor, *, film: str, **settings: Any) -> Poll:
    """A poll on what the ending means, with the pack's interpretations as options (anyone)."""
    require_server(actor, "polls")
    options = interpretation_options(db, film)
    if len(options) < MIN_OPTIONS:
        raise InvalidInput(f"The {film} pack has no interpretations to vote on yet.")
    return _insert(db, actor, question="What does the ending of the film mean to you?",
                   options=options, film=film, kind="interpretations", **settings)


# ---- helpers ---------------------------------------------------------------------------------


def _load(db: Database, poll_id: Any) -> Poll:
    """One poll with its options; PollNotFound for ids that are unknown or not even integers."""
    row = None
    # a text "1" would match id 1 through SQLite's type affinity; SQLite ints are 64-bit
    if type(poll_id) is int and 0 < poll_id < SQLITE_INT_LIMIT:
        row = db.execute(f"SELECT {_COLS} FROM polls WHERE id = ?", [poll_id]).fetchone()
    if row is None:
        raise PollNotFound(_missing(poll_id))
    options = db.execute(
        "SELECT option_id, label, summary FROM poll_options WHERE poll_id = ? ORDER BY position",
        [poll_id],
    )
    (pid, question, creator, guild, channel, message, film, kind, max_choices) = row[:9]
    anonymous, allow_change, deadline, status, created_at, closed_at, closed_by = row[9:16]
    return Poll(
        pid, question, tuple(Option(*o) for o in options), creator, guild, channel, message,
        film, kind, max_choices, bool(anonymous), bool(allow_change), _time(deadline), status,
        _time(created_at), _time(closed_at), closed_by, row[16],
    )  # fmt: skip


def _missing(poll_id: Any) -> str:
    """One message for unknown ids and other servers' polls, so it confirms nothing."""
    return f"There is no poll #{_shown(poll_id)} here; it may have been removed."


def _visible(db: Database, actor: Actor, poll_id: Any) -> Poll:
    """The poll if the actor may see it: their server's (any, for the operator)."""
    require_server(actor, "polls")
    poll = _load(db, poll_id)
    if not actor.sees(poll.guild_id):
        raise PollNotFound(_missing(poll_id))
    return poll


def _scope(actor: Actor) -> tuple[str, list[Any]]:
    """SQL condition and parameters for the polls an actor may see."""
    require_server(actor, "polls")
    if actor.is_operator:
        return "1", []
    return "guild_id = ?", [actor.guild_id]


def accepting_votes(db: Database, actor: Actor, poll_id: Any, at: datetime) -> Poll:
    """The poll, if it is in the actor's server and accepts votes at ``at``.

    PollClosed once closed or past its deadline; VoterKeyLost for an anonymous poll whose
    voters' pseudonyms were made with a key this bot no longer has (see ``bot.pseudonyms``).
    """
    poll = _visible(db, actor, poll_id)
    if not poll.is_open:
        raise PollClosed(f"Poll #{poll.id} is closed, so it no longer accepts votes.")
    if poll.deadline is not None and at >= poll.deadline:
        raise PollClosed(
            f"Poll #{poll.id} closed at its deadline ({_when(poll.deadline)}), "
            "so it no longer accepts votes."
        )
    check_voter_key(db, poll)
    return poll


def check_voter_key(db: Database, poll: Poll) -> None:
    """VoterKeyLost for an anonymous poll whose voters' pseudonyms were made with a key
    this bot no longer has: nobody's ballot can be found in it any more."""
    if poll.anonymous and poll.voter_key != current_key_id(db):
        raise VoterKeyLost(
            f"Poll #{poll.id} is anonymous, and the key that hides who voted was lost or "
            "replaced since it started, so the bot can't tell whether you already voted. "
            "Its votes still count, but it takes no new ones; a moderator can close it and "
            "start a new poll."
        )


def _check_options(options: Sequence[Option]) -> tuple[Option, ...]:
    """Validate the number of options and each id, label and summary; returns cleaned copies."""
    count = len(options) if isinstance(options, Sequence) and not isinstance(options, str) else 0
    if not MIN_OPTIONS <= count <= MAX_OPTIONS:
        raise InvalidInput(f"A poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options (got {count}).")
    cleaned: dict[str, Option] = {}
    for n, option in enumerate(options, 1):
        if not isinstance(option, Option):
            raise InvalidInput(f"Option {n} is not an Option (got {_shown(option)}).")
        if not (isinstance(option.id, str) and OPTION_ID.fullmatch(option.id)):
            raise InvalidInput(
                f"Option {n}: the id {_shown(option.id)} must be 1 to 40 lowercase letters, "
                "digits or hyphens, starting with a letter or digit."
            )
        if option.id in cleaned:
            raise InvalidInput(f"Option {n}: the id {option.id!r} is used twice; ids must differ.")
        label = _text(option.label, f"Option {n} ({option.id}): the label", 1, 80)
        summary = _text(option.summary, f"Option {n} ({option.id}): the summary", 0, 1000)
        cleaned[option.id] = Option(option.id, label, summary)
    return tuple(cleaned.values())


def _hours_or_deadline(hours: Any, deadline: Any, at: datetime) -> Any:
    """The deadline a call asked for: ``hours`` from ``at``, or ``deadline`` itself."""
    if hours is None:
        return deadline
    if deadline is not None:
        raise InvalidInput("Give either hours or a deadline, not both.")
    return deadline_after(hours, at)


def _check_deadline(deadline: Any, at: datetime) -> datetime | None:
    """A deadline must be a time-zone-aware datetime after ``at``; returned in UTC."""
    if deadline is None:
        return None
    if not isinstance(deadline, datetime) or deadline.utcoffset() is None:
        raise InvalidInput("The deadline must be a date and time with a time zone (e.g. UTC).")
    if deadline <= at:
        raise InvalidInput(f"The deadline ({_when(deadline)}) must be in the future.")
    return deadline.astimezone(UTC)


def _text(value: Any, what: str, low: int, high: int) -> str:
    """Strip a text field and check its length; the message names the field."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text (got {_shown(value)}).")
    value = clean(value).strip()
    if not low <= len(value) <= high:
        raise InvalidInput(f"{what} must be {low} to {high} characters long (it has {len(value)}).")
    return value


def check_id(value: Any, name: str, nullable: bool = False) -> None:
    """Discord ids are plain integers; refuse anything else before it reaches the database."""
    if not ((type(value) is int and 0 <= value < SQLITE_INT_LIMIT)  # True is no id
            or (nullable and value is None)):
        raise InvalidInput(f"{name} must be a Discord id (an integer), got {_shown(value)}.")


def utc(now: datetime | None) -> datetime:
    """The given aware time in UTC, or the real clock."""
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _time(value: str | None) -> datetime | None:
    """Parse a stored time (NULL stays None)."""
    return datetime.fromisoformat(value) if value else None


def _when(value: datetime) -> str:
    """A time as people read it in a message."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _shown(value: Any) -> str:
    """A user-supplied value quoted and cut short, safe to echo in a message."""
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "…"

