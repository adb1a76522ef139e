"""Start the bot: endpoint overrides, logging, signals, and clean exits.

A missing or rejected token is one clear line and exit code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

import discord
import discord.gateway
import discord.http
import yarl

from bot.app import open_app
from bot.cogs.client import BotClient, ShardedBotClient
from bot.config import Settings
from bot.errors import BotError

log = logging.getLogger(__name__)


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
    if settings.shards is None:
        client = BotClient(app, sync=sync)
    else:
        count = None if settings.shards == "auto" else settings.shards
        client = ShardedBotClient(app, sync=sync, shard_count=count)
    # Everything loaded so far lives as long as the process: keep it out of the garbage
    # collector's scans, so collections during questions and votes stay short.
    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(_serve(client, settings.token or ""))
    finally:
        app.close()


async def _serve(client: BotClient, token: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(token))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("shutting down")
            await client.close()
        stopper.cancel()
        try:
            await runner
        except discord.LoginFailure:
            print("error: Discord rejected the token (check DISCORD_TOKEN)", file=sys.stderr)
            return 2
        except discord.PrivilegedIntentsRequired:
            print("error: enable the Message Content intent for this bot in the Discord "
                  "Developer Portal (Bot → Privileged Gateway Intents)", file=sys.stderr)
            return 2
        except asyncio.CancelledError:
            pass
    return 0
