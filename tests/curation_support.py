"""Shared setup for the curation tests: moderators, a sample entry, table snapshots."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.forms import entry_data_from_form
from bot.knowledge import Entry, parse_entry
from bot.moderators import Actor
from bot.yamlin import YamlDoc, parse_yaml_text

UNANSWERED = "is there a sequel planned"
GUILD = 111  # the server the curation tests happen in
MOD = Actor(user_id=42, guild_id=GUILD, is_moderator=True)
MEMBER = Actor(user_id=7, guild_id=GUILD, is_moderator=False)
MARKDOWN = (
    "**Nobody knows.**  \n"  # markdown hard line break: two trailing spaces
    "The film never says whose dog it is.\n"
    "\n"
    "- Kōji is gone\n"
    "  - nested item with `code`\n"
    "> a quote @everyone should stay text\n"
    "\n"
    "||not a spoiler tag|| 🚗"
)


def dog_data(**changes: Any) -> dict[str, Any]:
    data = entry_data_from_form(
        title="Whose dog is in the Saab at the end?",
        questions_text="whose dog is it at the end\nwhy does misaki have a dog",
        answer=MARKDOWN,
        sources_text="Review | https://eiga.com/movie/94037/\nscene: the epilogue",
        tags_text="ending, dog",
        spoiler=True,
        related_text="ending-korea",
    )
    data.update(changes)
    return data


def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("entries", "vocab", "mod_entries", "audit_log", "suggestions", "question_log")
    return {t: app.db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def load_entry_text(text: str, film: str = "drive-my-car") -> Entry:
    data, doc = parse_yaml_text(text, YamlDoc("t"))
    entry = parse_entry(doc, data, film)
    assert not doc.problems, doc.problems
    return entry
