"""Shared setup for the poll tests: readings, a poll factory, snapshots (fixtures: conftest)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot import polls

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CREATOR, MOD, ALICE, BOB, CAROL, DAN = 100, 200, 301, 302, 303, 304
READINGS = [
    ("healing", "Both begin to heal", "Kafuku and Misaki let themselves grieve."),
    ("new-life", "Misaki starts over in Korea", "The dog, the car: a life of her own."),
    ("acceptance", "Kafuku accepts not knowing", "Oto's secret stays a secret."),
    ("open", "Deliberately open", "Hamaguchi leaves it to the audience."),
]
OPTIONS = polls.options_from_interpretations(READINGS)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


def make(db, **kw) -> polls.Poll:
    args = {"question": "How do you read the ending?", "options": OPTIONS, "creator_id": CREATOR}
    return polls.create_poll(db, **(args | {"now": T0} | kw))


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every poll table, to prove a refused action wrote nothing."""
    tables = ("polls", "poll_options", "ballots", "vote_events")
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def events(db, poll_id: int) -> list[tuple]:
    return db.execute(
        "SELECT user_id, at, old, new FROM vote_events WHERE poll_id = ? ORDER BY id", [poll_id]
    ).fetchall()
