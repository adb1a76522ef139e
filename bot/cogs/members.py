"""Who is acting: the member behind an interaction, with moderator rights as Discord reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.curation import Actor, is_moderator

if TYPE_CHECKING:
    from bot.cogs.client import BotClient


def member_is_moderator(interaction: discord.Interaction) -> bool:
    """A configured moderator role (BOT_MOD_ROLES), or the Manage Server permission."""
    client: BotClient = interaction.client  # type: ignore[assignment]
    user = interaction.user
    roles = [r.id for r in getattr(user, "roles", [])]
    cached = getattr(user, "guild_permissions", None)
    # interaction.permissions is what Discord resolved for this member in this channel
    manage = interaction.permissions.manage_guild or bool(cached and cached.manage_guild)
    return is_moderator(client.app.settings.mod_roles, roles, manage)


def actor_of(interaction: discord.Interaction) -> Actor:
    """The member behind an interaction, as the core's Actor."""
    return Actor(interaction.user.id, member_is_moderator(interaction))
