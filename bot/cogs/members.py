"""Who is acting: the member behind an interaction or a message, as the core's ``Actor``.

The actor is decided here, once, from what Discord says: the user, the server the
interaction came from (``None`` in a DM), and whether they moderate *that* server. Every
rule (which server's polls they see, who may curate) is the core's. This module only ever
builds a plain ``Actor``: the operator's any-server scope (``bot.moderators.Operator``) is
for the CLI and the console, and a test checks that nothing in ``bot/cogs`` names it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.moderators import Actor, is_moderator

if TYPE_CHECKING:
    from bot.cogs.client import BotClient


def member_is_moderator(interaction: discord.Interaction) -> bool:
    """A configured moderator role (BOT_MOD_ROLES), or the Manage Server permission, in the
    server the interaction came from; nobody moderates a DM."""
    if interaction.guild_id is None:
        return False
    client: BotClient = interaction.client  # type: ignore[assignment]
    user = interaction.user
    roles = [r.id for r in getattr(user, "roles", [])]
    cached = getattr(user, "guild_permissions", None)
    # interaction.permissions is what Discord resolved for this member in this channel
    manage = interaction.permissions.manage_guild or bool(cached and cached.manage_guild)
    return is_moderator(client.app.settings.mod_roles, roles, manage)


def actor_of(interaction: discord.Interaction) -> Actor:
    """The member behind an interaction, in the server it came from (or a DM)."""
    return Actor(interaction.user.id, interaction.guild_id, member_is_moderator(interaction))


def author_of(message: discord.Message) -> Actor:
    """The author of a message that asks the bot something: where they asked, no rights."""
    return Actor(message.author.id, message.guild.id if message.guild else None)
