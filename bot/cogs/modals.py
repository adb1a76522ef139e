"""Forms for curation: the entry form (add, edit, approve), the suggestion form, the reason.

Only the person who opened a form may submit it (``interaction_check``), and the submit
builds its ``Actor`` from the *submitting* interaction, so the core (``bot.curation``,
``bot.suggestions``) decides with the permissions the member has at that moment and
refuses (and logs) a non-moderator even if a form's custom_id leaked. Entry data is
validated by the core only; when it refuses, the moderator sees every problem and gets a
"Fix and resubmit" button that reopens the form with what they wrote. What they wrote is
kept in the database (``bot.drafts``, for a day), so the button works after a restart too.

Each field's limit is the entry rule's (``bot.forms.FORM_LIMITS``), so Discord shows it
while the moderator types.

Modals are ephemeral dialogs with a timeout (random custom_ids, discord.py's default):
a form that is open while the bot restarts can't be submitted any more (Discord says the
interaction failed), which costs the typing in it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot import drafts, suggestions
from bot.cogs.controls import OWNER, b36, check_owner, from_b36
from bot.cogs.embeds import clip, entry_embed
from bot.cogs.errors import guarded, report
from bot.cogs.members import actor_of
from bot.cogs.respond import reply
from bot.curation import add_entry, check_curator, edit_entry
from bot.errors import InvalidInput
from bot.forms import FORM_LIMITS, entry_data_from_form
from bot.knowledge import ENTRY_LIMITS, Entry
from bot.suggestions import Suggestion

if TYPE_CHECKING:
    from bot.cogs.client import BotClient

log = logging.getLogger(__name__)
FORM_TIMEOUT = 30 * 60.0  # people take their time writing an answer
MODAL_TITLE_MAX = 45
TEXT_MAX = 4000
LABEL_MAX = 45
FIELDS = ("title", "questions", "answer", "sources", "tags")
ACTIONS = {"add": "add entries", "edit": "edit entries", "approve": "approve suggestions"}


def film_line(client: BotClient, entry: Entry) -> str:
    film = client.app.films().get(entry.film)
    name = f"{film.title} ({film.year})" if film else entry.film
    return f"{name} · id {entry.id}" + (" · spoiler" if entry.spoiler else "")


def shown_entry(client: BotClient, entry: Entry) -> discord.Embed:
    """An entry as a moderator checks it: plain text, even when it is a spoiler."""
    return entry_embed(entry, film_line=film_line(client, entry), show_spoilers=True)


class _Form(discord.ui.Modal):
    def __init__(self, owner_id: int, title: str):
        super().__init__(title=clip(title, MODAL_TITLE_MAX), timeout=FORM_TIMEOUT)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        check_owner(self.owner_id, interaction)
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report(interaction, error)


def _input(custom_id: str, label: str, default: str | None, *, paragraph: bool = False,
           max_length: int = TEXT_MAX, required: bool = True,
           placeholder: str | None = None) -> discord.ui.TextInput[Any]:
    """A text input; a pre-filled value longer than the field is refused, never cut."""
    if default and len(default) > max_length:
        raise InvalidInput(f"The {custom_id} ({len(default)} characters) is longer than the "
                           f"form can hold ({max_length}); edit the YAML file instead.")
    return discord.ui.TextInput(
        custom_id=custom_id, label=clip(label, LABEL_MAX), default=default or None,
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        max_length=max_length, required=required, placeholder=placeholder)


# ---------------------------------------------------------------- the entry form


@dataclass(frozen=True)
class EntryTarget:
    """What submitting the entry form does."""

    kind: str  # "add", "edit" or "approve"
    entry_id: str | None = None  # edit/correction: the entry; add: chosen id (None: from title)
    spoiler: bool | None = False  # None keeps the entry's current flag
    question: str | None = None  # add: the unanswered question this entry answers
    suggestion_id: int | None = None  # approve

    def heading(self) -> str:
        if self.kind == "edit":
            return f"Edit {self.entry_id}"
        if self.kind == "approve":
            return f"Approve suggestion #{self.suggestion_id}"
        return "New knowledge entry" + (" (spoiler)" if self.spoiler else "")


class EntryModal(_Form):
    """Five fields: title, questions (one per line), answer, sources (one per line), tags."""

    def __init__(self, owner_id: int, target: EntryTarget, defaults: Mapping[str, str]):
        super().__init__(owner_id, target.heading())
        self.target = target
        limit = FORM_LIMITS
        self.inputs = {
            "title": _input("title", f"Title: the question as a heading ({limit['title']} max)",
                            defaults.get("title"), max_length=limit["title"]),
            "questions": _input("questions", "Ways people ask it, one per line (12 max)",
                                defaults.get("questions"), paragraph=True,
                                max_length=limit["questions"]),
            "answer": _input("answer", f"Answer, markdown kept ({limit['answer']} max)",
                             defaults.get("answer"), paragraph=True, max_length=limit["answer"]),
            "sources": _input("sources", "Sources, one per line (10 max)",
                              defaults.get("sources"), paragraph=True,
                              max_length=limit["sources"],
                              placeholder="Title | https://link   or   scene: which scene"),
            "tags": _input("tags", "Tags, comma separated (10 max)", defaults.get("tags"),
                           max_length=limit["tags"], placeholder="ending, misaki"),
        }
        for item in self.inputs.values():
            self.add_item(item)

    def values(self) -> dict[str, str]:
        return {name: self.inputs[name].value or "" for name in FIELDS}

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._save(interaction))

    async def _save(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        app, target, values = client.app, self.target, self.values()
        actor = actor_of(interaction)
        check_curator(app, actor, ACTIONS[target.kind])
        decided: Suggestion | None = None
        try:
            data = entry_data_from_form(values["title"], values["questions"], values["answer"],
                                        values["sources"], values["tags"], id=target.entry_id,
                                        spoiler=target.spoiler)
            if target.kind == "add":
                entry = add_entry(app, actor, data, question=target.question)
                text = f"Added `{entry.id}`. It is searchable now."
            elif target.kind == "edit":
                before = app.index.get(target.entry_id or "")
                entry = edit_entry(app, actor, target.entry_id or "", data)
                text = (f"Edited `{entry.id}`." if entry != before
                        else f"Nothing changed in `{entry.id}`.")
            else:
                decided, entry = suggestions.approve(app, actor, target.suggestion_id or 0, data)
                text = f"Approved suggestion #{decided.id}: it is now `{entry.id}`."
        except InvalidInput as exc:
            log.info("%s form from user %s refused: %s", target.kind, actor.user_id, exc)
            kept, fields = asdict(target), values
            draft = await client.write(lambda app: drafts.save_draft(app.db, actor, kept,
                                                                     fields))
            view = discord.ui.View(timeout=None)
            view.add_item(FixButton(actor.user_id, draft.id))
            await reply(interaction, clip(f"{exc}\n\nNothing was saved. Press **Fix and "
                                          "resubmit** to reopen the form with your text (it is "
                                          "kept for a day)."), ephemeral=True, view=view)
            return
        if decided is not None:
            text += " " + where_told(decided)
        await reply(interaction, text, embed=shown_entry(client, entry), ephemeral=True)
        if decided is not None:
            await tell_suggester(interaction, decided, approved_notice(decided, entry))


class FixButton(discord.ui.DynamicItem[discord.ui.Button],
                template=rf"kbfix:{OWNER}:(?P<draft>[0-9a-z]{{1,13}})"):
    """Under a refused entry form: reopen it with what the moderator wrote (``bot.drafts``)."""

    def __init__(self, owner_id: int, draft_id: int):
        self.owner_id, self.draft_id = owner_id, draft_id
        super().__init__(discord.ui.Button(label="Fix and resubmit",
                                           style=discord.ButtonStyle.primary,
                                           custom_id=f"kbfix:{b36(owner_id)}:{b36(draft_id)}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> FixButton:
        return cls(from_b36(match["owner"]), from_b36(match["draft"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._reopen(interaction))

    async def _reopen(self, interaction: discord.Interaction) -> None:
        check_owner(self.owner_id, interaction)
        client: BotClient = interaction.client  # type: ignore[assignment]
        actor = actor_of(interaction)
        draft = drafts.load_draft(client.app.db, actor, self.draft_id)
        target = EntryTarget(**draft.target)
        check_curator(client.app, actor, ACTIONS.get(target.kind, "add entries"))
        await interaction.response.send_modal(
            EntryModal(interaction.user.id, target, draft.fields))


# ---------------------------------------------------------------- suggestions


class SuggestModal(_Form):
    """Any member: a title, the text, and optionally the id of an entry to correct."""

    def __init__(self, owner_id: int, entry_id: str | None = None):
        super().__init__(owner_id, "Suggest an entry or a correction")
        self.topic = _input("title", "What is it about? (a short title)", None,
                            max_length=suggestions.TITLE_MAX)
        self.text = _input("text", "Your suggestion, with a source if you can", None,
                           paragraph=True, max_length=suggestions.TEXT_MAX)
        self.entry = _input("entry", "Entry id to correct (optional)", entry_id,
                            max_length=ENTRY_LIMITS["id"], required=False)
        for item in (self.topic, self.text, self.entry):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._save(interaction))

    async def _save(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        made = suggestions.suggest(client.app, actor_of(interaction), interaction.channel_id,
                                   self.topic.value or "", self.text.value or "",
                                   (self.entry.value or "").strip() or None)
        await reply(interaction, f"Thanks! Suggestion #{made.id} is waiting for a moderator. "
                    "You will hear back in this channel.", ephemeral=True)


class RejectModal(_Form):
    """A moderator's reason for declining a suggestion; the suggester is shown it."""

    def __init__(self, owner_id: int, suggestion_id: int):
        super().__init__(owner_id, f"Reject suggestion #{suggestion_id}")
        self.suggestion_id = suggestion_id
        self.reason = _input("reason", "Reason (the suggester will see it)", None,
                             paragraph=True, max_length=suggestions.REASON_MAX)
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._save(interaction))

    async def _save(self, interaction: discord.Interaction) -> None:
        client: BotClient = interaction.client  # type: ignore[assignment]
        decided = suggestions.reject(client.app, actor_of(interaction), self.suggestion_id,
                                     self.reason.value or "")
        await reply(interaction, f"Rejected suggestion #{decided.id}. {where_told(decided)}",
                    ephemeral=True)
        await tell_suggester(interaction, decided, rejected_notice(decided))


# ---------------------------------------------------------------- telling the suggester


def _about(s: Suggestion) -> str:
    return f"suggestion #{s.id} (“{discord.utils.escape_markdown(clip(s.title, 200))}”)"


def approved_notice(s: Suggestion, entry: Entry) -> str:
    return (f"<@{s.author_id}> your {_about(s)} was approved: it is now in the knowledge "
            f"base as `{entry.id}`. Thank you!")


def rejected_notice(s: Suggestion) -> str:
    return clip(f"<@{s.author_id}> your {_about(s)} was not added. "
                f"The moderators said: {s.reason}")


def where_told(s: Suggestion) -> str:
    return (f"I am telling <@{s.author_id}> in <#{s.channel_id}>." if s.channel_id
            else "It was made outside a channel, so I cannot tell the suggester.")


async def tell_suggester(interaction: discord.Interaction, s: Suggestion, text: str) -> None:
    """Post the outcome where the suggestion was made, pinging the suggester and nobody else.

    The text holds a moderator's reason, which could contain @everyone or other mentions:
    the allowed mentions name exactly one user, so only the suggester is notified.
    """
    if s.channel_id is None:
        return
    channel = interaction.client.get_partial_messageable(s.channel_id, guild_id=s.guild_id)
    only_them = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                        users=[discord.Object(s.author_id)])
    try:
        await channel.send(text, allowed_mentions=only_them)
    except discord.HTTPException as exc:
        log.warning("could not tell user %s about suggestion %s in channel %s: %s",
                    s.author_id, s.id, s.channel_id, exc)
        await reply(interaction, f"I could not post in <#{s.channel_id}>, so <@{s.author_id}> "
                    "was not told; please let them know.", ephemeral=True)
