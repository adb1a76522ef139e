"""/suggest: any member proposes an entry or a correction (bot.suggestions), and the entry-id
suggestions while typing that /suggest and /kb share.

A cog of its own because Discord applies ``/kb``'s default permissions to the whole group:
suggesting must stay visible to everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.autocomplete import throttled
from bot.cogs.embeds import clip
from bot.cogs.members import actor_of
from bot.cogs.modals import SuggestModal
from bot.suggestions import check_suggestions_here

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

Choices = list[app_commands.Choice[str]]
EntryId = app_commands.Range[str, 1, 64]
CHOICE_MAX = 100  # autocomplete choice names and values


def entry_choices(client: BotClient, current: str) -> Choices:
    """Entry ids (with titles) that contain what the member typed."""
    return [app_commands.Choice(name=clip(f"{entry_id} · {title}", CHOICE_MAX), value=entry_id)
            for entry_id, title in client.app.index.ids(current.strip()[:64], limit=25)]


class Suggest(commands.Cog):
    @app_commands.command(name="suggest",
                          description="Suggest an answer for the bot, or a correction")
    @app_commands.guild_only()
    @app_commands.describe(entry="The id of an entry to correct (optional)")
    async def suggest(self, interaction: discord.Interaction,
                      entry: EntryId | None = None) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        check_suggestions_here(client.app, actor_of(interaction))
        await interaction.response.send_modal(SuggestModal(interaction.user.id, entry))

    @suggest.autocomplete("entry")
    @throttled()
    async def entry_ids(self, interaction: discord.Interaction, current: str) -> Choices:
        return entry_choices(interaction.client, current)  # type: ignore[arg-type]
