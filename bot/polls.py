"""Interpretation polls: creating, reading, closing and reopening them, with no Discord in sight.

Voting (ballots and the vote log) lives in ``bot.votes``; results (``tally``,
``tally_from_events``, ``export_ballots``, ``render_bar``) in ``bot.poll_results``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from bot.errors import (
    InvalidInput,
    NotAllowed,
    PollClosed,
    PollError,
    PollNotFound,
    UnknownChoice,
)
from bot.store import iso, write
from bot.usertext import clean

OPTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
FILM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
KINDS = ("interpretations", "custom")
SQLITE_INT_LIMIT = 2**63
ANY_SERVER = object()  # votes from the console and CLI: no server to check against
MIN_OPTIONS, MAX_OPTIONS = 2, 25  # 25: the most buttons one Discord message can hold
_COLS = (
    "id, question, creator_id, guild_id, channel_id, message_id, film, kind, max_choices,"
    " anonymous, allow_change, deadline, status, created_at, closed_at, closed_by"
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


def create_poll(
    db: Database,
    *,
    question: str,
    options: Sequence[Option],
    creator_id: int,
    guild_id: int | None = None,
    channel_id: int | None = None,
    film: str | None = None,
    kind: str = "custom",
    max_choices: int = 1,
    anonymous: bool = False,
    allow_change: bool = True,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> Poll:
    """Check every rule (InvalidInput names the field), then store poll and options at once."""
    at = utc(now)
    question = _text(question, "The question", 1, 300)
    opts = _check_options(options)
    check_id(creator_id, "creator_id")
    check_id(guild_id, "guild_id", nullable=True)
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
        values = [question, film, kind, creator_id, guild_id, channel_id, max_choices, anonymous]
        values += [allow_change, due and iso(due), iso(at)]
        poll_id = db.execute(
            "INSERT INTO polls (question, film, kind, creator_id, guild_id, channel_id,"
            " max_choices, anonymous, allow_change, deadline, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
            values,
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO poll_options (poll_id, option_id, position, label, summary)"
            " VALUES (?, ?, ?, ?, ?)",
            [(poll_id, o.id, n, o.label, o.summary) for n, o in enumerate(opts)],
        )
        return _load(db, poll_id)


def get_poll(db: Database, poll_id: int) -> Poll:
    """The poll as stored now, or PollNotFound for an unknown (stale or forged) id."""
    return _load(db, poll_id)


def poll_in_guild(db: Database, poll_id: int, guild_id: int | None) -> Poll:
    """The poll if it was started in that server; another server's polls count as unknown.

    Discord commands go through this (and votes pass ``guild_id``), so a moderator of one
    server can't close another server's poll and a forged button can't vote in a server the
    user isn't in.
    """
    poll = _load(db, poll_id)
    _check_server(poll, guild_id)
    return poll


def set_message(db: Database, poll_id: int, message_id: int | None) -> None:
    """Remember the Discord message that shows the poll (None: it was deleted)."""
    check_id(message_id, "message_id", nullable=True)
    with write(db):
        poll = _load(db, poll_id)
        db.execute("UPDATE polls SET message_id = ? WHERE id = ?", [message_id, poll.id])


def close(
    db: Database, poll_id: int, actor_id: int, *, is_moderator: bool, now: datetime | None = None
) -> Poll:
    """Close the poll for its creator or a moderator; votes are refused from then on."""
    at = utc(now)
    with write(db):
        poll = _load(db, poll_id)
        if not (is_moderator or actor_id == poll.creator_id):
            raise NotAllowed("Only a moderator or the poll's creator can close this poll.")
        if not poll.is_open:
            raise PollClosed(f"Poll #{poll.id} is already closed.")
        db.execute(
            "UPDATE polls SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ?",
            [iso(at), actor_id, poll.id],
        )
        return _load(db, poll.id)


def reopen(
    db: Database,
    poll_id: int,
    actor_id: int,
    *,
    is_moderator: bool,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> Poll:
    """Reopen a closed poll (moderators only); without a new deadline, a passed one is dropped."""
    at = utc(now)
    if not is_moderator:
        raise NotAllowed("Only moderators can reopen a poll.")
    due = _check_deadline(deadline, at)
    with write(db):
        poll = _load(db, poll_id)
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


def list_polls(
    db: Database, *, guild_id: int | None = None, status: str | None = "open"
) -> list[Poll]:
    """Polls newest first, of one guild and one status when given (None means any)."""
    check_id(guild_id, "guild_id", nullable=True)
    sql, params = "SELECT id FROM polls WHERE 1", []
    for column, value in (("guild_id", guild_id), ("status", status)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    ids = [r[0] for r in db.execute(sql + " ORDER BY id DESC", params)]
    return [_load(db, poll_id) for poll_id in ids]


def latest_poll(
    db: Database, *, film: str, kind: str = "interpretations", guild_id: int | None = None
) -> Poll | None:
    """The newest poll about a film (open or closed), so a command can show or reuse it."""
    check_id(guild_id, "guild_id", nullable=True)
    sql, params = "SELECT max(id) FROM polls WHERE film = ? AND kind = ?", [film, kind]
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params.append(guild_id)
    poll_id = db.execute(sql, params).fetchone()[0]
    return None if poll_id is None else _load(db, poll_id)


def interpretation_options(db: Database, film: str) -> tuple[Option, ...]:
    """The film pack's readings of the ending (interpretations.yaml) as poll options."""
    rows = db.execute(
        "SELECT id, label, summary FROM interpretations WHERE film = ? ORDER BY position", [film]
    ).fetchall()
    return options_from_interpretations((i.split("/", 1)[1], label, s) for i, label, s in rows)


def create_ending_poll(db: Database, *, film: str, creator_id: int, **settings: Any) -> Poll:
    """A poll on what the ending means, with the pack's interpretations as options."""
    options = interpretation_options(db, film)
    if len(options) < MIN_OPTIONS:
        raise InvalidInput(f"The {film} pack has no interpretations to vote on yet.")
    return create_poll(db, question="What does the ending of the film mean to you?",
                       options=options, creator_id=creator_id, film=film,
                       kind="interpretations", **settings)


# ---- helpers ---------------------------------------------------------------------------------


def _load(db: Database, poll_id: Any) -> Poll:
    """One poll with its options; PollNotFound for ids that are unknown or not even integers."""
    row = None
    # a text "1" would match id 1 through SQLite's type affinity; SQLite ints are 64-bit
    if type(poll_id) is int and 0 < poll_id < SQLITE_INT_LIMIT:
        row = db.execute(f"SELECT {_COLS} FROM polls WHERE id = ?", [poll_id]).fetchone()
    if row is None:
        raise PollNotFound(f"There is no poll #{_shown(poll_id)}; it may have been removed.")
    options = db.execute(
        "SELECT option_id, label, summary FROM poll_options WHERE poll_id = ? ORDER BY position",
        [poll_id],
    )
    (pid, question, creator, guild, channel, message, film, kind, max_choices) = row[:9]
    anonymous, allow_change, deadline, status, created_at, closed_at, closed_by = row[9:]
    return Poll(
        pid, question, tuple(Option(*o) for o in options), creator, guild, channel, message,
        film, kind, max_choices, bool(anonymous), bool(allow_change), _time(deadline), status,
        _time(created_at), _time(closed_at), closed_by,
    )  # fmt: skip


def accepting_votes(db: Database, poll_id: Any, at: datetime,
                    guild_id: int | object | None = ANY_SERVER) -> Poll:
    """The poll if it accepts votes at ``at``; PollClosed once closed or past its deadline.

    With ``guild_id``, another server's poll counts as unknown (see ``poll_in_guild``).
    """
    poll = _load(db, poll_id)
    _check_server(poll, guild_id)
    if not poll.is_open:
        raise PollClosed(f"Poll #{poll.id} is closed, so it no longer accepts votes.")
    if poll.deadline is not None and at >= poll.deadline:
        raise PollClosed(
            f"Poll #{poll.id} closed at its deadline ({_when(poll.deadline)}), "
            "so it no longer accepts votes."
        )
    return poll


def _check_server(poll: Poll, guild_id: int | object | None) -> None:
    """Another server's poll counts as unknown (ANY_SERVER: the console, the CLI)."""
    if guild_id is not ANY_SERVER and poll.guild_id != guild_id:
        raise PollNotFound(f"There is no poll #{poll.id} in this server.")


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

