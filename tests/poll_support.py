"""Shared setup for the poll tests: readings, a poll factory, snapshots (fixtures: conftest)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot import polls
from bot.moderators import Actor

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CREATOR, MOD, ALICE, BOB, CAROL, DAN = 100, 200, 301, 302, 303, 304
GUILD, OTHER_GUILD = 1, 2  # the server the tests' polls are in, and another one
READINGS = [
    ("healing", "Both begin to heal", "Kafuku and Misaki let themselves grieve."),
    ("new-life", "Misaki starts over in Korea", "The dog, the car: a life of her own."),
    ("acceptance", "Kafuku accepts not knowing", "Oto's secret stays a secret."),
    ("open", "Deliberately open", "Hamaguchi leaves it to the audience."),
]
OPTIONS = polls.options_from_interpretations(READINGS)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


def member(user_id: int, guild_id: int | None = GUILD) -> Actor:
    """A member of a server (a DM with ``guild_id=None``), without moderator rights."""
    return Actor(user_id, guild_id, False)


def moderator(user_id: int, guild_id: int = GUILD) -> Actor:
    return Actor(user_id, guild_id, True)


HERE = member(900)  # someone in GUILD who only looks at results


def make(db, *, creator_id: int = CREATOR, guild_id: int = GUILD, **kw) -> polls.Poll:
    """A custom poll, started by a moderator of ``guild_id`` (only they may pick options)."""
    args = {"question": "How do you read the ending?", "options": OPTIONS}
    return polls.create_poll(db, moderator(creator_id, guild_id), **(args | {"now": T0} | kw))


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every poll table, to prove a refused action wrote nothing."""
    tables = ("polls", "poll_options", "ballots", "vote_events")
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def events(db, poll_id: int) -> list[tuple]:
    return db.execute(
        "SELECT user_id, at, old, new FROM vote_events WHERE poll_id = ? ORDER BY id", [poll_id]
    ).fetchall()
