"""The bot class: takes the App, loads the cogs in ``setup_hook``, syncs only on request."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.app import App
from bot.cogs.respond import NO_PINGS

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

    async def setup_hook(self) -> None:
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
