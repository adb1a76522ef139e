"""Start the bot: endpoint overrides, logging, signals, and clean exits.

A missing or rejected token is one clear line and exit code 2, never a traceback. When
Discord cannot be reached at login (no network, DNS, an outage: the first request fails
before discord.py's own reconnect logic takes over), the bot retries with exponential
backoff, one log line per attempt, until it connects or SIGINT/SIGTERM stops it (exit 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from bot.app import open_app
from bot.cogs.client import BotClient, ShardedBotClient
from bot.config import Settings
from bot.errors import BotError

log = logging.getLogger(__name__)

FIRST_RETRY, LAST_RETRY = 1.0, 60.0  # seconds between login attempts, doubling
# What "Discord cannot be reached" looks like at login: no route, DNS, TLS, a timeout, or
# Discord's own servers failing (5xx).
UNREACHABLE = (aiohttp.ClientError, OSError, asyncio.TimeoutError, discord.DiscordServerError)


def point_at(api_base: str | None, gateway_url: str | None) -> None:
    """Use another Discord-compatible REST base (a rate-limit proxy, a test fake) or gateway."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def run_bot(settings: Settings, *, sync: bool = False) -> int:
    """Run until SIGINT/SIGTERM; return the process exit code.

    ``settings.shards``: None for one connection, "auto" or a number for discord.py's shards.
    """
    discord.utils.setup_logging(level=getattr(logging, settings.log_level, logging.INFO))
    point_at(settings.api_base, settings.gateway_url)
    try:
        app = open_app(settings)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    def make_client() -> BotClient:
        if settings.shards is None:
            return BotClient(app, sync=sync)
        count = None if settings.shards == "auto" else settings.shards
        return ShardedBotClient(app, sync=sync, shard_count=count)

    # Everything loaded so far lives as long as the process: keep it out of the garbage
    # collector's scans, so collections during questions and votes stay short.
    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(_serve(make_client, settings.token or ""))
    finally:
        app.close()


async def _serve(make_client: Callable[[], BotClient], token: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    attempt, delay = 0, FIRST_RETRY
    while True:
        attempt += 1
        client = make_client()  # a fresh client (and HTTP session) for every attempt
        async with client:
            try:
                logged_in = await _until_stopped(client.login(token), stop)
            except discord.LoginFailure:
                print("error: Discord rejected the token (check DISCORD_TOKEN)", file=sys.stderr)
                return 2
            except UNREACHABLE as exc:
                log.warning("cannot reach Discord (%s): attempt %d; retrying in %.0f s",
                            _reason(exc), attempt, delay)
            else:
                if not logged_in:
                    log.info("shutting down")
                    return 0
                return await _connected(client, stop)
        if not await _until_stopped(asyncio.sleep(delay), stop):
            log.info("shutting down")
            return 0
        delay = min(delay * 2, LAST_RETRY)


async def _until_stopped(work: Coroutine[Any, Any, Any], stop: asyncio.Event) -> bool:
    """Run ``work`` unless ``stop`` is set first (then cancel it): True if it finished."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task not in done:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return False
    task.result()  # its exception, if any
    return True


async def _connected(client: BotClient, stop: asyncio.Event) -> int:
    """Logged in: connect to the gateway (discord.py reconnects by itself from here on)."""
    runner = asyncio.create_task(client.connect(reconnect=True))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        log.info("shutting down")
        await client.close()
    stopper.cancel()
    try:
        await runner
    except discord.PrivilegedIntentsRequired:
        print("error: enable the Message Content intent for this bot in the Discord "
              "Developer Portal (Bot → Privileged Gateway Intents)", file=sys.stderr)
        return 2
    except asyncio.CancelledError:
        pass
    return 0


def _reason(exc: BaseException) -> str:
    """One short line: what failed, without aiohttp's nested reprs."""
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}"
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return " ".join(str(exc).split())[:200] or type(exc).__name__
