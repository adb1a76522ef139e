"""Autocomplete stays cheap on every keystroke: a per-user rate limit and a short cache
(issue 12 item 3, issue 13), through the real discord.py client and the fake Discord."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from types import SimpleNamespace
from typing import Any

import pytest

from bot.cogs.ask import Ask
from bot.cogs.autocomplete import PER, RATE, Throttle, throttled
from bot.cogs.curate import Curate
from bot.cogs.polls import Polls
from tests.e2e.conftest import StartBot
from tests.e2e.test_polls_e2e import start_ending_poll
from tests.fakediscord import FakeDiscord

QUESTION = "why does kafuku need a driver"


async def typed(fake: FakeDiscord, text: str, user: dict | None = None) -> list[str]:
    handle = await fake.autocomplete("ask", {"question": text}, "question", user=user)
    response = await handle.wait_response(timeout=3)
    assert response["type"] == 8
    return [c["name"] for c in response["data"]["choices"]]


async def test_typing_fast_computes_at_most_the_rate_and_never_fails(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    throttle: Throttle = Ask.question_autocomplete.throttle  # type: ignore[attr-defined]
    computed = throttle.computed
    fast, other = fake.make_user(name="fast"), fake.make_user(name="other")
    started = time.monotonic()
    answers = [await typed(fake, QUESTION[:n], fast) for n in range(3, len(QUESTION) + 1)]
    windows = math.ceil((time.monotonic() - started) / PER)
    assert throttle.computed - computed <= RATE * windows < len(answers)  # not one per key
    assert all(isinstance(a, list) for a in answers)  # every keystroke got an answer
    # nobody else is slowed down by it
    assert await typed(fake, QUESTION, other) == ["Why does Kafuku need a driver?"]
    # the same text again is answered from the cache, without a search
    before = throttle.computed
    assert await typed(fake, QUESTION, other) == ["Why does Kafuku need a driver?"]
    assert throttle.computed == before


async def test_the_limit_passes_and_the_latest_text_gets_its_answer(
        fake: FakeDiscord, start_dmc: StartBot) -> None:
    await start_dmc()
    user = fake.make_user(name="pauses")
    for n in range(RATE + 3):
        await typed(fake, f"why {n}", user)
    await asyncio.sleep(PER)
    assert await typed(fake, QUESTION, user) == ["Why does Kafuku need a driver?"]


async def test_poll_and_kb_autocompletes_are_throttled_too(fake: FakeDiscord,
                                                           start_dmc: StartBot) -> None:
    await start_dmc()
    await start_ending_poll(fake)
    for callback in (Polls.poll_autocomplete, Curate.entry_ids, Curate.questions):
        assert isinstance(callback.throttle, Throttle)  # type: ignore[attr-defined]
    throttle: Throttle = Polls.poll_autocomplete.throttle  # type: ignore[attr-defined]
    computed, started = throttle.computed, time.monotonic()
    for n in range(RATE * 3):
        handle = await fake.autocomplete("poll", {"poll": str(n)}, "poll",
                                         subcommand="results")
        assert (await handle.wait_response(timeout=3))["type"] == 8
    windows = math.ceil((time.monotonic() - started) / PER)
    assert throttle.computed - computed <= RATE * windows


async def test_a_failing_callback_answers_its_last_choices_and_logs(
        caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    class Cog:
        @throttled(rate=100, per=1.0)
        async def choices(self, interaction: Any, current: str) -> list[str]:
            calls.append(current)
            if current == "boom":
                raise RuntimeError("the index is gone")
            return [current.upper()]

    cog, who = Cog(), SimpleNamespace(user=SimpleNamespace(id=1), channel_id=2)
    assert await cog.choices(who, "ok") == ["OK"]
    with caplog.at_level(logging.ERROR, logger="bot.cogs.autocomplete"):
        assert await cog.choices(who, "boom") == ["OK"]
    assert "the index is gone" in caplog.text
    elsewhere = SimpleNamespace(user=SimpleNamespace(id=1), channel_id=3)
    assert await cog.choices(elsewhere, "ok") == ["OK"] and calls == ["ok", "boom", "ok"]
