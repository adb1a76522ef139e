"""Who is acting: the member behind an interaction, with moderator rights as Discord reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.moderators import Actor, is_moderator

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
    """The member behind an interaction, as the core's Actor for the shared knowledge base.

    The knowledge base is shared by every server the bot is in, so with BOT_KB_GUILDS set,
    only moderators of those servers may curate it: anyone can make a server of their own.
    """
    client: BotClient = interaction.client  # type: ignore[assignment]
    curators = client.app.settings.kb_guilds
    here = not curators or interaction.guild_id in curators
    return Actor(interaction.user.id, here and member_is_moderator(interaction))
