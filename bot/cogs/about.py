"""/about: what the bot is, how much it knows, how to add to it; for moderators, what they
can do here and why ``/kb`` may be hidden from them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.cogs.client import BotClient
from bot.cogs.embeds import about_embed
from bot.cogs.members import member_is_moderator
from bot.cogs.respond import reply

INTEGRATIONS = "Server Settings → Integrations → {bot} → /kb"


class About(commands.Cog):
    def __init__(self, bot: BotClient):
        self.bot = bot

    @app_commands.command(name="about", description="What this bot is and how to add to it")
    async def about(self, interaction: discord.Interaction) -> None:
        app = self.bot.app
        films = app.films()
        title = next(iter(films.values())).title if films else "film"
        interpretations = app.db["interpretations"].count
        await reply(interaction, embed=about_embed(
            film_title=title, entries=app.index.count(), interpretations=interpretations,
            version=__version__, moderators=self.moderators_note(interaction)),
            ephemeral=True)

    def moderators_note(self, interaction: discord.Interaction) -> str | None:
        """For a moderator of this server: what they can do, and how a server admin lets
        the BOT_MOD_ROLES roles see ``/kb`` (Discord shows it to Manage Server only)."""
        if interaction.guild_id is None or not member_is_moderator(interaction):
            return None
        settings = self.bot.app.settings
        where = INTEGRATIONS.format(bot=self.bot.user.name if self.bot.user else "the bot")
        manage = interaction.permissions.manage_guild
        lines = ["You moderate this server: `/poll create`, closing and reopening any poll, "
                 "`/spoilers`, `/kb queue` and `/kb unanswered`."]
        curates = not settings.kb_guilds or interaction.guild_id in settings.kb_guilds
        lines.append("You can change the knowledge base (`/kb add`, `edit`, `remove`)."
                     if curates else "This server does not curate the shared knowledge base "
                     "(the bot's operator chose the servers that do: BOT_KB_GUILDS).")
        if settings.mod_roles:
            lines.append(f"Discord shows `/kb` only to members with Manage Server. For the "
                         f"moderator roles to see it, a server admin allows them under "
                         f"**{where}** (Add Roles or Members).")
            if not manage:
                lines.append("You moderate through a role, so until then `/kb` is hidden "
                             "from you (the bot would accept it).")
        return "\n".join(lines)


async def setup(bot: BotClient) -> None:
    await bot.add_cog(About(bot))
