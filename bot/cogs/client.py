"""The bot class: takes the App, loads the cogs in ``setup_hook``, syncs only on request.

The event loop never waits on SQLite for a write: cogs hand every write to ``write`` (the
caller awaits the commit: votes, curation) or ``write_later`` (nobody waits: the question
log), which run it on the writer thread (``bot.writer``) with a connection of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord.ext import commands

from bot.app import App, attach_app
from bot.cogs.respond import NO_PINGS
from bot.writer import Writer

T = TypeVar("T")

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.cogs.errors",
    "bot.cogs.ask",
    "bot.cogs.about",
    "bot.cogs.polls",
    "bot.cogs.curate",
)


class BotClient(commands.Bot):
    """discord.py ``advanced_startup.py`` shape: state is injected, never global."""

    def __init__(self, app: App, *, sync: bool = False, **kwargs: object):
        intents = discord.Intents.default()
        intents.message_content = True  # to read questions that mention the bot
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_PINGS,
            help_command=None,
            **kwargs,  # type: ignore[arg-type]
        )
        self.app = app
        self.sync_on_start = sync
        self.writer = Writer(lambda: attach_app(app.settings))

    async def write(self, fn: Callable[[App], T]) -> T:
        """Run ``fn(app)`` on the writer thread; return its result once it is committed."""
        return await self.writer.run(fn)

    def write_later(self, fn: Callable[[App], Any]) -> None:
        """Queue ``fn(app)`` on the writer thread without waiting (failures are logged)."""
        self.writer.submit(fn)

    async def close(self) -> None:
        """Stop the gateway and the cogs first, then let the writer finish its queue."""
        await super().close()
        await asyncio.to_thread(self.writer.close)

    async def setup_hook(self) -> None:
        await asyncio.to_thread(self.writer.start)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_on_start:
            await self.sync_commands()

    async def sync_commands(self) -> list[discord.app_commands.AppCommand]:
        """Sync the command tree to the dev guild when configured, else globally."""
        guild_id = self.app.settings.dev_guild
        if guild_id:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d commands %s", len(synced),
                 f"to guild {guild_id}" if guild_id else "globally")
        return synced

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are handled by the ask cog's listener."""

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))


class ShardedBotClient(BotClient, commands.AutoShardedBot):
    """Same bot, sharded by discord.py for deployments past 2,500 guilds."""
