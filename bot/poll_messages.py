"""What a poll's Discord messages last showed, so they catch up with the database after a crash.

A poll can have three things on Discord: its message (buttons and live bars, then the final
results with a chart), a discussion thread started on that message, and a results post made
when it closes. Discord and SQLite can't commit together, so the bot writes down what it
did only once Discord confirmed it, and at start-up (and every half minute) redoes whatever
lags behind the database:

- **The poll message.** ``shown`` is ``'open'``, or the ``closed_at`` of the closing the
  message displays. A closed poll whose ``shown`` differs from its ``closed_at`` (the bot
  died after ``close`` committed, before the edit; or the edit failed) is edited again.
- **The results post.** It is *marked before it is sent* (``begin_results``: a nonce and
  where it goes) and *recorded after* (``record_results``). A crash in between leaves the
  nonce behind: the bot then looks for its post in those channels first, and sends again,
  with the same nonce, only if it is not there. Discord refuses to create a second message
  with a nonce it saw in the last few minutes and returns the first one instead, which
  covers a post whose answer was lost. There is one results post per poll: when a reopened
  poll closes again, the same post is edited to the new final results (``results_for``
  says which closing it shows).

These are the bot's records of its own messages (housekeeping), so no function takes an
actor; the poll ids come from the bot's own messages and tasks.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.errors import InvalidInput, PollNotFound
from bot.poll_results import Tally, message_tally
from bot.polls import check_id
from bot.store import iso, write

OPEN = "open"  # what ``shown`` holds for a message that shows an open poll
NONCE_MAX = 25  # Discord's limit for a message nonce
_COLUMNS = ("thread_id", "shown", "results_channel_id", "results_message_id", "results_nonce",
            "results_started_at", "results_for")


@dataclass(frozen=True)
class PollPost:
    """One poll's Discord bookkeeping next to the state the database holds now."""

    poll_id: int
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    status: str
    closed_at: str | None  # as stored: it names the closing
    thread_id: int | None = None
    shown: str | None = None
    results_channel_id: int | None = None
    results_message_id: int | None = None
    results_nonce: str | None = None
    results_started_at: str | None = None
    results_for: str | None = None

    @property
    def should_show(self) -> str:
        """What the poll message must show: ``'open'``, or the closing it is in now."""
        return OPEN if self.status == "open" else self.closed_at or ""

    @property
    def message_lags(self) -> bool:
        """The poll message shows something else than the database holds."""
        return self.message_id is not None and self.shown != self.should_show

    @property
    def results_due(self) -> bool:
        """Closed, posted in a channel, and the results post does not show this closing yet."""
        return (self.status == "closed" and self.channel_id is not None
                and self.message_id is not None and self.results_for != self.closed_at)

    @property
    def results_in_flight(self) -> bool:
        """A results post was started and never recorded: it may exist on Discord."""
        return self.results_nonce is not None and self.results_message_id is None

    @property
    def results_target(self) -> int | None:
        """Where the results go: the discussion thread if there is one, else the channel."""
        return self.thread_id or self.channel_id


def state(db: Database, poll_id: int) -> PollPost:
    """The bookkeeping of one poll (PollNotFound for an id the bot never stored)."""
    check_id(poll_id, "poll_id")
    row = db.execute(
        "SELECT p.id, p.guild_id, p.channel_id, p.message_id, p.status, p.closed_at, "
        + ", ".join(f"pp.{c}" for c in _COLUMNS)
        + " FROM polls p LEFT JOIN poll_posts pp ON pp.poll_id = p.id WHERE p.id = ?",
        [poll_id]).fetchone()
    if row is None:
        raise PollNotFound(f"There is no poll #{poll_id} here; it may have been removed.")
    return PollPost(*row)


def with_tally(db: Database, poll_id: int) -> tuple[PollPost, Tally]:
    """The bookkeeping and the tally as of one moment (one read transaction), so what the
    bot draws and what it then records as shown can't come from two different states."""
    check_id(poll_id, "poll_id")
    if db.conn.in_transaction:  # the caller's transaction is the moment
        return state(db, poll_id), message_tally(db, poll_id)
    db.execute("BEGIN")
    try:
        return state(db, poll_id), message_tally(db, poll_id)
    finally:
        db.conn.rollback()  # nothing was written: just end the read


def lagging(db: Database) -> list[int]:
    """Closed polls whose message or results post does not show their closing yet."""
    return [r[0] for r in db.execute(
        "SELECT p.id FROM polls p LEFT JOIN poll_posts pp ON pp.poll_id = p.id "
        "WHERE p.status = 'closed' AND p.message_id IS NOT NULL AND p.channel_id IS NOT NULL "
        "AND (pp.shown IS NOT p.closed_at OR pp.results_for IS NOT p.closed_at) ORDER BY p.id")]


def set_thread(db: Database, poll_id: int, thread_id: int | None) -> None:
    """Remember the discussion thread started on the poll message (None: it is gone)."""
    check_id(thread_id, "thread_id", nullable=True)
    _update(db, poll_id, thread_id=thread_id)


def mark_shown(db: Database, poll_id: int, shown: str) -> None:
    """The poll message now shows ``shown`` (``'open'`` or a closing's ``closed_at``);
    Discord has confirmed the edit."""
    if not isinstance(shown, str) or not shown:
        raise InvalidInput("shown must be 'open' or the closed_at of a closing.")
    _update(db, poll_id, shown=shown)


def new_nonce() -> str:
    """A fresh nonce for one results post (random, within Discord's 25 characters)."""
    return secrets.token_hex(10)


def begin_results(db: Database, poll_id: int, channel_id: int, nonce: str,
                  now: datetime) -> PollPost:
    """Mark a results post as about to be sent to ``channel_id`` with ``nonce``, before
    sending it, so that a crash before ``record_results`` is noticed at the next start."""
    check_id(channel_id, "channel_id")
    if not isinstance(nonce, str) or not 0 < len(nonce) <= NONCE_MAX:
        raise InvalidInput(f"A nonce is 1 to {NONCE_MAX} characters of text.")
    _update(db, poll_id, results_channel_id=channel_id, results_nonce=nonce,
            results_started_at=iso(now), results_message_id=None)
    return state(db, poll_id)


def record_results(db: Database, poll_id: int, channel_id: int, message_id: int,
                   closing: str | None) -> None:
    """The results post exists (Discord confirmed it, or the bot found it again). With
    ``closing``, it shows that closing's final results; None leaves that open."""
    check_id(channel_id, "channel_id")
    check_id(message_id, "message_id")
    values: dict[str, Any] = {"results_channel_id": channel_id, "results_message_id": message_id,
                              "results_nonce": None, "results_started_at": None}
    if closing is not None:
        values["results_for"] = closing
    _update(db, poll_id, **values)


def skip_results(db: Database, poll_id: int, closing: str) -> None:
    """No results post for this closing (nowhere the bot may post, or nothing to post to);
    it will not be tried again until the poll closes again."""
    _update(db, poll_id, results_for=closing, results_nonce=None, results_started_at=None)


def forget_results_message(db: Database, poll_id: int) -> None:
    """The results post was deleted on Discord: the next closing posts a new one."""
    _update(db, poll_id, results_message_id=None, results_nonce=None, results_started_at=None)


def _update(db: Database, poll_id: int, **values: Any) -> None:
    """Set some columns of a poll's row, creating the row on first use."""
    check_id(poll_id, "poll_id")
    names = list(values)
    with write(db):
        if db.execute("SELECT 1 FROM polls WHERE id = ?", [poll_id]).fetchone() is None:
            raise PollNotFound(f"There is no poll #{poll_id} here; it may have been removed.")
        db.execute(
            f"INSERT INTO poll_posts (poll_id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' for _ in names)}) ON CONFLICT (poll_id) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in names),
            [poll_id, *values.values()])
