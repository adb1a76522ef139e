"""Fixtures: a local fake Discord, and the project's real bot started against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import open_app
from bot.cogs.client import BotClient
from bot.config import Settings
from tests.fakediscord import FakeDiscord

StartBot = Callable[..., Awaitable[BotClient]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running fake with discord.py pointed at it; restored and stopped afterwards."""
    server = FakeDiscord(callback_deadline=3.0)
    await server.start()
    try:
        with server.patch_discord():
            yield server
    finally:
        await server.stop()


@pytest.fixture
def bot_settings(tmp_path: Path, pack: Path) -> Settings:
    return Settings(db_path=tmp_path / "bot.db", knowledge_path=pack, token="fake-token")


@pytest.fixture
async def start_dmc(fake: FakeDiscord, bot_settings: Settings) -> AsyncIterator[StartBot]:
    """Start the project's BotClient in-process (a fresh App each time, as after a restart)."""
    running: list[tuple[BotClient, asyncio.Task[None]]] = []

    async def start(*, sync: bool = True, **overrides: object) -> BotClient:
        settings = replace(bot_settings, **overrides)  # type: ignore[arg-type]
        client = BotClient(open_app(settings), sync=sync, guild_ready_timeout=0.05)
        task = asyncio.create_task(client.start(fake.token))
        running.append((client, task))
        ready = asyncio.ensure_future(fake.wait_ready(timeout=10, identifies=len(running)))
        await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
            raise RuntimeError("the bot stopped before it was ready")
        await ready
        await asyncio.wait_for(client.wait_until_ready(), 10)
        await fake.settle()
        return client

    yield start
    for client, task in running:
        await stop(client, task)


async def stop(client: BotClient, task: asyncio.Task[None] | None = None) -> None:
    """Close a bot and its App (as a shutdown would)."""
    if not client.is_closed():
        await client.close()
    if task is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    with contextlib.suppress(Exception):
        client.app.close()
