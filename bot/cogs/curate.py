"""/kb: moderators curate the knowledge base from Discord (/suggest, for anyone, is in
``suggest.py``; its cog is added here).

Only translation lives here: every rule is in ``bot.curation``, ``bot.suggestions`` and
``bot.exchange``, which get an ``Actor`` built from the interaction and refuse (and log)
a non-moderator.

Permissions, twice: the ``/kb`` group carries ``default_permissions(manage_guild=True)``
(hidden from members without Manage Server unless a server admin changes that under
Integrations) and each moderator command still asks the core, which also accepts the
configured moderator roles and applies BOT_KB_GUILDS. Commands that open a form ask the
core's check first (``check_curator``), so nobody types an entry they can't save.
Discord applies default permissions to a whole group, so suggesting is its own top-level
command, ``/suggest``, visible to everyone. A bot can't change who sees a command (that
takes a server admin's own login), so moderators by BOT_MOD_ROLES don't see ``/kb`` until an
admin allows their roles; ``/about`` tells them, and the bot logs it at start-up.
``/kb show``, ``list`` and ``search`` only read what ``/ask`` answers anyway, so they
need no moderator check beyond the group's visibility.

Everything here answers ephemerally and never pings (``reply`` sends
``AllowedMentions.none()``); the only message that pings is the outcome of a
suggestion, which names exactly its suggester (``modals.tell_suggester``).
"""

from __future__ import annotations

import io
import logging
from pathlib import PurePosixPath

import discord
from discord import app_commands
from discord.ext import commands

from bot import suggestions
from bot.audit import audit_log
from bot.cogs.autocomplete import throttled
from bot.cogs.client import BotClient
from bot.cogs.controls import disable_at
from bot.cogs.curate_views import (
    PER_PAGE,
    QUEUE_SHOWN,
    audit_text,
    entry_lines,
    list_embed,
    queue_embed,
    unanswered_embed,
)
from bot.cogs.embeds import COLOUR, MESSAGE_MAX, clip, entry_embed
from bot.cogs.kb_buttons import (
    AnswerButton,
    PageButton,
    QueueButton,
    RemoveButton,
    confirm_remove,
    pages_view,
    queue_view,
    unanswered_view,
)
from bot.cogs.members import actor_of
from bot.cogs.modals import (
    EntryModal,
    EntryTarget,
    FixButton,
    film_line,
)
from bot.cogs.respond import reply
from bot.cogs.suggest import CHOICE_MAX, Choices, EntryId, Suggest, entry_choices
from bot.curation import (
    check_curator,
    get_entry,
    list_entries,
    search_entries,
    unanswered_questions,
)
from bot.errors import BotError, KnowledgeError
from bot.exchange import export_files, export_zip, reload_knowledge, removed_entry_paths
from bot.forms import form_defaults
from bot.moderators import Actor

log = logging.getLogger(__name__)
EXPORT_ZIP = "knowledge-export.zip"
AUDIT_ROWS = 15
QUESTION_DAYS = 90  # unanswered questions offered by /kb add question:


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Curate(commands.GroupCog, group_name="kb",
             group_description="Curate the knowledge base (moderators)"):
    def __init__(self, bot: BotClient):
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(QueueButton, RemoveButton, PageButton, AnswerButton,
                                   FixButton)
        if self.bot.app.settings.mod_roles:
            log.info("BOT_MOD_ROLES is set: Discord shows /kb only to members with Manage "
                     "Server until a server admin allows the moderator roles (Server Settings "
                     "→ Integrations → the bot → /kb); /about tells moderators so")

    # ------------------------------------------------------------ entries

    @app_commands.command(name="add", description="Write a new entry (opens a form)")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(spoiler="About the last act: answers hide it behind spoiler bars",
                           entry_id="The entry's id (default: made from the title)",
                           question="An unanswered question this entry answers")
    async def add(self, interaction: discord.Interaction, spoiler: bool = False,
                  entry_id: EntryId | None = None,
                  question: app_commands.Range[str, 1, 1000] | None = None) -> None:
        actor = actor_of(interaction)
        check_curator(self.bot.app, actor, "add entries")
        question = self._full_question(actor, question) if question else None
        defaults = {"title": question[:1].upper() + question[1:], "questions": question} \
            if question else {}
        target = EntryTarget("add", entry_id=entry_id, spoiler=spoiler, question=question)
        await interaction.response.send_modal(
            EntryModal(interaction.user.id, target, defaults))

    def _full_question(self, actor: Actor, text: str) -> str:
        """An autocomplete value is clipped to 100 characters: find the logged question."""
        if len(text) < CHOICE_MAX:
            return text
        return next((q.text for q in unanswered_questions(self.bot.app, actor, QUESTION_DAYS,
                                                          100)
                     if q.text.startswith(text.lower())), text)

    @app_commands.command(name="edit", description="Change an entry (opens the form, filled in)")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="The entry to change",
                           spoiler="Change the spoiler flag (default: keep it)")
    async def edit(self, interaction: discord.Interaction, entry_id: EntryId,
                   spoiler: bool | None = None) -> None:
        check_curator(self.bot.app, actor_of(interaction), "edit entries")
        entry = get_entry(self.bot.app, entry_id)
        # None leaves the flag out of the data, so the core keeps the entry's current one
        target = EntryTarget("edit", entry_id=entry.id, spoiler=spoiler)
        await interaction.response.send_modal(
            EntryModal(interaction.user.id, target, form_defaults(entry)))

    @app_commands.command(name="remove", description="Hide an entry (asks to confirm)")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="The entry to remove")
    async def remove(self, interaction: discord.Interaction, entry_id: EntryId) -> None:
        check_curator(self.bot.app, actor_of(interaction), "remove entries")
        entry = get_entry(self.bot.app, entry_id)
        view, until = confirm_remove(interaction.user.id, entry.id)
        await reply(interaction, f"Remove `{entry.id}` ({entry.title})? The bot stops "
                    "answering with it at once. Only you can confirm, within five minutes.",
                    ephemeral=True, view=view,
                    embed=entry_embed(entry, film_line=film_line(self.bot, entry),
                                      show_spoilers=True))
        disable_at(interaction, until, "This confirmation expired; nothing was removed.")

    @app_commands.command(name="show", description="One entry with its questions and tags")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="The entry to show")
    async def show(self, interaction: discord.Interaction, entry_id: EntryId) -> None:
        entry = get_entry(self.bot.app, entry_id)
        embed = entry_embed(entry, film_line=film_line(self.bot, entry),
                            show_spoilers=actor_of(interaction).is_moderator)
        embed.add_field(name="Questions", value=clip("\n".join(entry.questions), 1024),
                        inline=False)
        embed.add_field(name="Tags", value=clip(", ".join(entry.tags), 1024) or "-")
        if entry.related:
            embed.add_field(name="Related", value=clip(", ".join(entry.related), 1024))
        await reply(interaction, embed=embed, ephemeral=True)

    @app_commands.command(name="list", description="All entries, ten per page")
    @app_commands.describe(page="Which page (default: the first)")
    async def list_command(self, interaction: discord.Interaction,
                           page: app_commands.Range[int, 1, 10_000] = 1) -> None:
        rows, pages = list_entries(self.bot.app, page, PER_PAGE)
        if page > pages:
            page = pages
            rows, pages = list_entries(self.bot.app, page, PER_PAGE)
        kwargs: dict = {"embed": list_embed(rows, page, pages)}
        if pages > 1:
            kwargs["view"] = pages_view(interaction.user.id, page, pages)
        await reply(interaction, ephemeral=True, **kwargs)

    @app_commands.command(name="search", description="Find entries by id, title or words")
    @app_commands.describe(text="Words to look for")
    async def search(self, interaction: discord.Interaction,
                     text: app_commands.Range[str, 1, 200]) -> None:
        rows = search_entries(self.bot.app, text)
        embed = discord.Embed(title=clip(f"Entries matching “{text}”", 256),
                              description=entry_lines(rows), colour=COLOUR)
        await reply(interaction, embed=embed, ephemeral=True)

    # ------------------------------------------------------------ suggestions, questions

    @app_commands.command(name="queue", description="Suggestions waiting for review")
    async def queue(self, interaction: discord.Interaction) -> None:
        pending = suggestions.queue(self.bot.app, actor_of(interaction))
        shown = pending[:QUEUE_SHOWN]
        kwargs: dict = {"embed": queue_embed(shown, len(pending) - len(shown))}
        view = queue_view(shown)
        if view is not None:
            kwargs["view"] = view
        await reply(interaction, ephemeral=True, **kwargs)

    @app_commands.command(name="unanswered", description="Questions the bot could not answer")
    @app_commands.describe(days="Look back this many days (default 30)")
    async def unanswered(self, interaction: discord.Interaction,
                         days: app_commands.Range[int, 1, 3650] = 30) -> None:
        items = unanswered_questions(self.bot.app, actor_of(interaction), days=days)
        kwargs: dict = {"embed": unanswered_embed(items, days)}
        if items:
            kwargs["view"] = unanswered_view(interaction.user.id, items, days)
        await reply(interaction, ephemeral=True, **kwargs)

    @app_commands.command(name="audit", description="Who changed what, newest first")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="Only this entry (default: all)")
    async def audit(self, interaction: discord.Interaction,
                    entry_id: EntryId | None = None) -> None:
        records = audit_log(self.bot.app, actor_of(interaction),
                            entry_id.strip() if entry_id else None, AUDIT_ROWS)
        title = f"Changes to {entry_id}" if entry_id else "Recent changes"
        embed = discord.Embed(title=clip(title, 256), description=audit_text(records),
                              colour=COLOUR)
        await reply(interaction, embed=embed, ephemeral=True)

    # ------------------------------------------------------------ files

    @app_commands.command(name="export", description="Moderator changes as YAML files")
    async def export(self, interaction: discord.Interaction) -> None:
        actor, app = actor_of(interaction), self.bot.app
        check_curator(app, actor, "export entries")
        await interaction.response.defer(ephemeral=True, thinking=True)
        files, removed = export_files(app, actor), removed_entry_paths(app)
        lines = []
        if len(files) == 1:
            path, text = next(iter(files.items()))
            attachment = discord.File(io.BytesIO(text.encode()), PurePosixPath(path).name)
            lines.append(f"1 moderator entry: save it as `knowledge/{path}`, review, commit.")
        elif files:
            attachment = discord.File(io.BytesIO(export_zip(app, actor)), EXPORT_ZIP)
            lines.append(f"{len(files)} moderator entries: unzip into `knowledge/`, review the "
                         "diff, commit.")
        else:
            lines.append("Nothing to export: no moderator has added or edited an entry.")
        if removed:
            lines.append("Removed by moderators; delete these files:")
            lines += [f"- `knowledge/{p}`" for p in removed]
        kwargs = {"file": attachment} if files else {}
        await reply(interaction, clip("\n".join(lines)), ephemeral=True, **kwargs)

    @app_commands.command(name="reload", description="Re-read the knowledge files now")
    async def reload(self, interaction: discord.Interaction) -> None:
        actor = actor_of(interaction)
        check_curator(self.bot.app, actor, "reload the knowledge base")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            summary = reload_knowledge(self.bot.app, actor)
        except KnowledgeError as exc:
            await reply(interaction, problems_text(exc.problems), ephemeral=True)
            return
        await reply(interaction, summary, ephemeral=True)

    # ------------------------------------------------------------ autocomplete

    @edit.autocomplete("entry_id")
    @remove.autocomplete("entry_id")
    @show.autocomplete("entry_id")
    @audit.autocomplete("entry_id")
    @throttled()
    async def entry_ids(self, interaction: discord.Interaction, current: str) -> Choices:
        return entry_choices(self.bot, current)

    @add.autocomplete("question")
    @throttled()
    async def questions(self, interaction: discord.Interaction, current: str) -> Choices:
        try:  # questions people asked here are for this server's moderators' eyes
            asked = unanswered_questions(self.bot.app, actor_of(interaction), QUESTION_DAYS, 100)
        except BotError:
            return []
        wanted = current.strip().lower()
        return [app_commands.Choice(name=clip(f"{q.count}× {q.text}", CHOICE_MAX),
                                    value=q.text[:CHOICE_MAX])
                for q in asked if wanted in q.text][:25]


def problems_text(problems: list[str]) -> str:
    """Reload problems as ``path:line: message`` lines, clipped to one message."""
    head = (f"Reload refused: {len(problems)} problem(s). The bot keeps answering from the "
            "files it had; fix these and run `/kb reload` again.\n```\n")
    budget = MESSAGE_MAX - len(head) - len("\n```") - 80  # 80: room for the "more" line
    lines: list[str] = []
    for n, problem in enumerate(problems):
        line = clip(problem.replace("```", "'''"), 300)
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            lines.append(f"… and {len(problems) - n} more (`python -m bot kb check` lists all)")
            break
        lines.append(line)
    return head + "\n".join(lines) + "\n```"


async def setup(bot: BotClient) -> None:
    await bot.add_cog(Curate(bot))
    await bot.add_cog(Suggest())  # its own cog: /kb's default permissions hide the group
