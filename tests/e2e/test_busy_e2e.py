"""A database held by another process: the member gets a polite private reply, not an error.

The write lock is held by another connection; the bot's write waits for the (lowered)
busy timeout, then ``store.write`` raises Busy, which the one error handler shows
ephemerally. Once the lock is gone the same action works.
"""

from __future__ import annotations

import sqlite3

import pytest

from bot import store
from bot.config import Settings
from tests.e2e.conftest import StartBot
from tests.e2e.test_curate_e2e import EPHEMERAL, content, fields_of, submit
from tests.fakediscord import FakeDiscord


async def test_busy_database_is_a_private_try_again(fake: FakeDiscord, start_dmc: StartBot,
                                                    bot_settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 200)
    await start_dmc()
    other = sqlite3.connect(bot_settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        modal = await (await fake.slash("suggest", {})).wait_response(timeout=3)
        assert set(fields_of(modal)) >= {"title", "text"}
        done = await submit(fake, modal, {"title": "A title", "text": "Some text"}, None)
        response = await done.wait_response(timeout=5)
        assert response["data"]["flags"] & EPHEMERAL
        assert content(response) == "The database is busy; please try again in a moment."
    finally:
        other.execute("ROLLBACK")
        other.close()
    modal = await (await fake.slash("suggest", {})).wait_response(timeout=3)
    done = await submit(fake, modal, {"title": "A title", "text": "Some text"}, None)
    assert content(await done.wait_response(timeout=5)).startswith("Thanks!")
