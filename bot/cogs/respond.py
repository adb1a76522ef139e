"""One way to answer an interaction, so every reply gets the same safety defaults."""

from __future__ import annotations

from typing import Any

import discord

NO_PINGS = discord.AllowedMentions.none()


async def reply(interaction: discord.Interaction, content: str | None = None, *,
                ephemeral: bool = False, **kwargs: Any) -> None:
    """Respond, or follow up if a response (or defer) was already sent; never ping anyone."""
    kwargs.setdefault("allowed_mentions", NO_PINGS)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=ephemeral, **kwargs)
