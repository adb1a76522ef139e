"""One error handler for application commands, and one for button/modal callbacks.

Domain errors carry a message written for users: it is shown ephemerally.
Anything else is logged with context and the user gets a short apology.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.client import BotClient
from bot.cogs.respond import reply
from bot.errors import BotError, NotAllowed

log = logging.getLogger("bot.cogs")
APOLOGY = "Sorry, something went wrong on my side. It has been logged."


def message_for(error: BaseException, interaction: discord.Interaction) -> str:
    """The user-facing text for an error; unexpected ones are logged with context."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or getattr(error, "original", error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Easy there: one question at a time. Try again in {error.retry_after:.0f}s."
    if isinstance(error, NotAllowed | app_commands.MissingPermissions):
        log.warning("refused %s for user %s in guild %s: %s", _what(interaction),
                    interaction.user.id, interaction.guild_id, error)
        return str(error) if isinstance(error, NotAllowed) else "This is for moderators only."
    if isinstance(error, BotError):
        return str(error)
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this here."
    log.error("%s failed for user %s in guild %s channel %s", _what(interaction),
              interaction.user.id, interaction.guild_id, interaction.channel_id, exc_info=error)
    return APOLOGY


def _what(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data = interaction.data or {}
    return f"component {data.get('custom_id', '?')!r}"


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, ephemerally; never raise from here."""
    try:
        await reply(interaction, message_for(error, interaction), ephemeral=True)
    except discord.HTTPException:
        log.exception("could not report an error to user %s", interaction.user.id)


async def guarded(interaction: discord.Interaction, work: Awaitable[None]) -> None:
    """Run a button/modal callback; turn errors into an ephemeral reply (views have no tree)."""
    try:
        await work
    except Exception as exc:
        await report(interaction, exc)


class Errors(commands.Cog):
    def __init__(self, bot: BotClient):
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.tree.on_error = report  # type: ignore[method-assign]


async def setup(bot: BotClient) -> None:
    await bot.add_cog(Errors(bot))
