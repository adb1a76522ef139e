"""Moderator curation core: real SQLite in tmp_path, the small test pack, no mocks."""

from __future__ import annotations

import logging
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot import suggestions
from bot.answers import ask
from bot.app import App, open_app
from bot.audit import audit_log
from bot.config import Settings
from bot.curation import (
    Problems,
    add_entry,
    edit_entry,
    get_entry,
    link_question,
    list_entries,
    remove_entry,
    search_entries,
    unanswered_questions,
)
from bot.errors import InvalidInput, KnowledgeError, NotAllowed, NotFound
from bot.exchange import (
    export_entries,
    export_files,
    export_zip,
    import_entries,
    reload_knowledge,
    removed_entry_paths,
)
from bot.forms import entry_data_from_form, form_defaults, slugify
from bot.knowledge import Entry, Source, load_knowledge, parse_entry
from bot.moderators import Actor, is_moderator
from bot.yamlin import YamlDoc, parse_yaml_text
from bot.yamlout import dump_entry
from tests.conftest import REPO

UNANSWERED = "is there a sequel planned"
MOD = Actor(user_id=42, is_moderator=True)
MEMBER = Actor(user_id=7, is_moderator=False)
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


# ---------------------------------------------------------------- permissions


def test_is_moderator_by_role_or_manage_server() -> None:
    roles = frozenset({10, 20})
    assert is_moderator(roles, [1, 20], manage_guild=False)
    assert is_moderator(frozenset(), [], manage_guild=True)
    assert not is_moderator(roles, [1, 2], manage_guild=False)
    assert not is_moderator(frozenset(), [10], manage_guild=False)


def _prepare_import(app: App, tmp_path: Path) -> Path:
    folder = tmp_path / "incoming" / "drive-my-car" / "entries"
    folder.mkdir(parents=True)
    entry = Entry(id="imported", film="drive-my-car", title="Imported", questions=("q",),
                  answer="a", sources=(Source(scene="s"),), tags=("t",), spoiler=False)
    (folder / "imported.yaml").write_text(dump_entry(entry), encoding="utf-8")
    return tmp_path / "incoming"


def _pending(app: App) -> int:
    return suggestions.suggest(app, 99, 1, 2, "A title", "Some text").id


WRITES: dict[str, Callable[[App, Actor, Path], Any]] = {
    "add": lambda app, who, tmp: add_entry(app, who, dog_data()),
    "edit": lambda app, who, tmp: edit_entry(app, who, "no-kiss", {"answer": "Changed."}),
    "remove": lambda app, who, tmp: remove_entry(app, who, "no-kiss"),
    "approve": lambda app, who, tmp: suggestions.approve(app, who, _pending(app), dog_data()),
    "reject": lambda app, who, tmp: suggestions.reject(app, who, _pending(app), "no"),
    "link": lambda app, who, tmp: link_question(app, who, UNANSWERED, "ending-korea"),
    "import": lambda app, who, tmp: import_entries(app, who, _prepare_import(app, tmp)),
    "reload": lambda app, who, tmp: reload_knowledge(app, who),
}


@pytest.mark.parametrize("operation", sorted(WRITES))
def test_non_moderator_is_refused_every_write_and_nothing_changes(
        app: App, tmp_path: Path, operation: str, caplog: pytest.LogCaptureFixture) -> None:
    ask(app, UNANSWERED, source="test")  # something to link
    before = snapshot(app)
    if operation in ("approve", "reject"):
        before = None  # the suggestion itself is created by a member, on purpose
    caplog.set_level(logging.WARNING, logger="bot.moderators")
    with pytest.raises(NotAllowed, match="Only moderators"):
        WRITES[operation](app, MEMBER, tmp_path)
    after = snapshot(app)
    if before is not None:
        assert after == before
    else:
        assert [r[8] for r in after["suggestions"]] == ["pending"]
        assert after["audit_log"] == [] and after["mod_entries"] == []
    refusals = [r for r in caplog.records if r.name == "bot.moderators"]
    assert refusals and str(MEMBER.user_id) in refusals[0].getMessage()
    assert refusals[0].levelno == logging.WARNING


@pytest.mark.parametrize("operation", sorted(WRITES))
def test_moderator_may_do_every_write(app: App, tmp_path: Path, operation: str) -> None:
    ask(app, UNANSWERED, source="test")
    WRITES[operation](app, MOD, tmp_path)


# ---------------------------------------------------------------- add / edit / remove


def test_add_makes_a_searchable_entry_with_an_audit_row(app: App) -> None:
    entry = add_entry(app, MOD, dog_data())
    assert entry.id == "whose-dog-is-in-the-saab-at-the-end"
    answer = ask(app, "whose dog is it at the end?", source="test")
    assert answer.answered and answer.entry == entry
    assert answer.entry.answer == MARKDOWN
    row = app.db["mod_entries"].get(entry.id)
    assert row["actor_id"] == MOD.user_id and '"film":"drive-my-car"' in row["data"]
    (record,) = audit_log(app)
    assert (record.action, record.entry_id, record.actor_id) == ("add", entry.id, 42)
    assert record.before is None and record.after["answer"] == MARKDOWN
    assert get_entry(app, entry.id) == entry


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "x" * 201}, "'title' is 201 characters; the limit is 200"),
        ({"tags": ["Not A Slug"]}, "'tags' item 'Not A Slug' must be a lowercase slug"),
        ({"sources": [{"title": "x", "url": "ftp://x"}]}, "source 1: source url must start"),
        ({"sources": [{"title": "x"}]}, "source 1: 'url' is missing"),
        ({"questions": []}, "'questions' is"),
        ({"answer": " "}, "'answer' is empty"),
        ({"spoiler": "maybe"}, "'spoiler' must be true or false"),
        ({"related": ["nope"]}, "related item 1: no entry has the id 'nope'"),
        ({"id": "Bad Id"}, "'id' must be a slug"),
        ({"id": "no-kiss"}, "already exists"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(app: App, change: dict,
                                                          field: str) -> None:
    before = snapshot(app)
    with pytest.raises(InvalidInput) as info:
        add_entry(app, MOD, dog_data(**change))
    assert field in str(info.value)
    assert snapshot(app) == before


def test_every_problem_is_listed_at_once(app: App) -> None:
    with pytest.raises(Problems) as info:
        add_entry(app, MOD, dog_data(title="", tags=[], answer=""))
    assert len(info.value.problems) == 3
    assert str(info.value).startswith("The entry was not saved:\n- ")


def test_unknown_film_is_refused(app: App) -> None:
    with pytest.raises(InvalidInput, match="Unknown film 'parasite'"):
        add_entry(app, MOD, dog_data(), film="parasite")


def test_edit_writes_before_and_after(app: App) -> None:
    old = get_entry(app, "why-a-driver")
    new = edit_entry(app, MOD, "why-a-driver", {"answer": "Because of the **festival rule**."})
    assert new.title == old.title and new.answer == "Because of the **festival rule**."
    (record,) = audit_log(app, "why-a-driver")
    assert record.action == "edit" and record.changed_fields() == ["answer"]
    assert record.before["answer"] == old.answer and record.after["answer"] == new.answer
    assert ask(app, "why does he need a driver", source="t").entry.answer == new.answer


def test_edit_that_changes_nothing_writes_nothing(app: App) -> None:
    before = snapshot(app)
    entry = get_entry(app, "no-kiss")
    assert edit_entry(app, MOD, "no-kiss", entry.as_dict()) == entry
    assert snapshot(app) == before


def test_edit_cannot_change_the_id_or_miss(app: App) -> None:
    with pytest.raises(InvalidInput, match="cannot change"):
        edit_entry(app, MOD, "no-kiss", {"id": "kiss"})
    with pytest.raises(NotFound, match=r"No entry has the id 'no-kis'\. Did you mean no-kiss"):
        edit_entry(app, MOD, "no-kis", {"answer": "x"})


def test_remove_hides_the_entry_with_a_tombstone_and_audit(app: App) -> None:
    removed = remove_entry(app, MOD, "no-kiss")
    assert app.index.get("no-kiss") is None
    assert not ask(app, "do they kiss", source="t").answered
    assert app.db["mod_entries"].get("no-kiss")["data"] is None
    (record,) = audit_log(app, "no-kiss")
    assert record.action == "remove" and record.after is None
    assert record.before["title"] == removed.title
    assert removed_entry_paths(app) == ["drive-my-car/entries/no-kiss.yaml"]
    with pytest.raises(NotFound):
        remove_entry(app, MOD, "no-kiss")


def test_remove_is_refused_while_another_entry_relates_to_it(app: App) -> None:
    before = snapshot(app)
    with pytest.raises(InvalidInput, match="related by ending-korea"):
        remove_entry(app, MOD, "why-a-driver")
    assert snapshot(app) == before


def test_removed_id_can_be_added_again(app: App) -> None:
    remove_entry(app, MOD, "no-kiss")
    entry = add_entry(app, MOD, dog_data(id="no-kiss"))
    assert app.index.get("no-kiss") == entry
    assert removed_entry_paths(app) == []


def test_removing_a_moderator_only_entry_needs_no_file_deletion(app: App) -> None:
    entry = add_entry(app, MOD, dog_data())
    remove_entry(app, MOD, entry.id)
    assert removed_entry_paths(app) == [] and export_files(app) == {}
    assert "0 moderator change(s) kept" in reload_knowledge(app)
    assert app.index.get(entry.id) is None


def test_list_search_and_get(app: App) -> None:
    add_entry(app, MOD, dog_data())
    rows, pages = list_entries(app, 1, per_page=2)
    total = app.db.execute("SELECT count(*) FROM entries").fetchone()[0]
    assert len(rows) == 2 and pages == -(-total // 2)
    every = [r for p in range(1, pages + 1) for r in list_entries(app, p, per_page=2)[0]]
    assert [r.id for r in every] == sorted(r.id for r in every)
    assert {r.id for r in every if r.moderator} == {"whose-dog-is-in-the-saab-at-the-end"}
    assert list_entries(app, pages + 1, per_page=2)[0] == []
    with pytest.raises(InvalidInput):
        list_entries(app, 0)
    found = [r.id for r in search_entries(app, "dog")]
    assert found[0] == "whose-dog-is-in-the-saab-at-the-end"
    assert "takatsuki-arrest" in [r.id for r in search_entries(app, "arrested")]
    assert search_entries(app, "   ") == []


# ---------------------------------------------------------------- modal parsing


def test_entry_data_from_form() -> None:
    data = entry_data_from_form(
        title="  Why is  Misaki in Korea?  ",
        questions_text="why korea\r\n\n- where is the epilogue\nwhy korea\n",
        answer="  Line one  \n\nline **two**  ",
        sources_text=("Golden Globes | https://goldenglobes.com/a\n"
                      "https://www.eiga.com/movie/1/\nScene: the epilogue\n"
                      "Interview: https://example.org/x"),
        tags_text="Ending, misaki  #korea",
        related_text="why-a-driver, no-kiss",
        aliases_text="Watari, Kōji Takatsuki",
    )
    assert data == {
        "id": "why-is-misaki-in-korea",
        "title": "Why is Misaki in Korea?",
        "questions": ["why korea", "where is the epilogue"],
        "answer": "Line one  \n\nline **two**",
        "sources": [
            {"title": "Golden Globes", "url": "https://goldenglobes.com/a"},
            {"title": "eiga.com", "url": "https://www.eiga.com/movie/1/"},
            {"scene": "the epilogue"},
            {"title": "Interview", "url": "https://example.org/x"},
        ],
        "tags": ["ending", "misaki", "korea"],
        "spoiler": False,
        "related": ["why-a-driver", "no-kiss"],
        "aliases": ["Watari", "Kōji Takatsuki"],
    }
    assert "spoiler" not in entry_data_from_form("t", "q", "a", "scene: s", "t", spoiler=None)
    assert entry_data_from_form("t", "q", "a", "scene: s", "t", id="given")["id"] == "given"


def test_bad_source_lines_are_named() -> None:
    with pytest.raises(InvalidInput) as info:
        entry_data_from_form("t", "q", "a", "scene: ok\njust some words\nA | not-a-link", "t")
    message = str(info.value)
    assert "sources line 2 ('just some words')" in message and "sources line 3" in message
    assert "Title | https://link" in message


def test_slugify() -> None:
    assert slugify("Why is Misaki in South Korea at the end?") == (
        "why-is-misaki-in-south-korea-at-the-end")
    assert slugify("Kōji's arrest!") == "koji-s-arrest"
    long = slugify("word " * 40)
    assert len(long) <= 64 and not long.endswith("-") and long.startswith("word-word")
    assert re.fullmatch(r"entry-[0-9a-f]{8}", slugify("ドライブ・マイ・カー"))


def test_form_defaults_round_trip(app: App) -> None:
    entry = get_entry(app, "ending-korea")
    text = form_defaults(entry)
    data = entry_data_from_form(text["title"], text["questions"], text["answer"],
                                text["sources"], text["tags"], id=text["id"],
                                spoiler=entry.spoiler, related_text=text["related"],
                                aliases_text=text["aliases"])
    assert data == entry.as_dict()


# ---------------------------------------------------------------- suggestions


def test_suggestion_approve_flow(app: App) -> None:
    s = suggestions.suggest(app, 501, 11, 22, "Whose dog is it?", "Please explain the dog.")
    assert (s.status, s.author_id, s.channel_id, s.guild_id) == ("pending", 501, 22, 11)
    assert suggestions.queue(app) == [s]
    decided, entry = suggestions.approve(app, MOD, s.id, dog_data())
    assert decided.status == "approved" and decided.reviewer_id == MOD.user_id
    assert decided.entry_id == entry.id and decided.author_id == 501
    assert decided.channel_id == 22
    assert ask(app, "whose dog is it at the end", source="t").entry == entry
    assert suggestions.queue(app) == []
    assert [r.action for r in audit_log(app)] == ["approve", "add"]
    with pytest.raises(InvalidInput, match="already approved"):
        suggestions.approve(app, MOD, s.id, dog_data(id="other"))
    with pytest.raises(InvalidInput, match="already approved"):
        suggestions.reject(app, MOD, s.id, "too late")


def test_correction_suggestion_edits_the_entry(app: App) -> None:
    s = suggestions.suggest(app, 501, None, None, "Wrong detail", "It is a man he hit.",
                            entry_id="takatsuki-arrest")
    assert suggestions.suggestion_form(app, s)["title"] == "Why is Takatsuki arrested?"
    _, entry = suggestions.approve(app, MOD, s.id, {"answer": "A man he hit died."})
    assert entry.id == "takatsuki-arrest" and entry.answer == "A man he hit died."
    assert [r.action for r in audit_log(app, "takatsuki-arrest")] == ["approve", "edit"]


def test_failed_approval_leaves_the_suggestion_pending(app: App) -> None:
    s = suggestions.suggest(app, 501, None, None, "Dog", "The dog.")
    with pytest.raises(InvalidInput):
        suggestions.approve(app, MOD, s.id, dog_data(tags=[]))
    assert suggestions.get_suggestion(app, s.id).status == "pending"
    assert audit_log(app) == []


def test_reject_needs_a_reason_and_is_final(app: App) -> None:
    s = suggestions.suggest(app, 501, None, None, "Dog", "The dog.")
    with pytest.raises(InvalidInput, match="reason is empty"):
        suggestions.reject(app, MOD, s.id, "  ")
    decided = suggestions.reject(app, MOD, s.id, "Already covered by ending-korea.")
    assert decided.status == "rejected" and decided.reason.startswith("Already")
    assert decided.author_id == 501
    with pytest.raises(InvalidInput, match="already rejected"):
        suggestions.approve(app, MOD, s.id, dog_data())
    assert app.index.get("whose-dog-is-in-the-saab-at-the-end") is None
    (record,) = audit_log(app)
    assert record.action == "reject" and record.after["status"] == "rejected"
    with pytest.raises(NotFound):
        suggestions.reject(app, MOD, 999, "x")


def test_suggestion_limits(app: App) -> None:
    with pytest.raises(InvalidInput, match="title is empty"):
        suggestions.suggest(app, 1, None, None, " ", "text")
    with pytest.raises(InvalidInput, match="2001 characters; the limit is 2000"):
        suggestions.suggest(app, 1, None, None, "t", "x" * 2001)
    with pytest.raises(NotFound):
        suggestions.suggest(app, 1, None, None, "t", "x", entry_id="nope")
    for n in range(suggestions.MAX_PENDING_PER_USER):
        suggestions.suggest(app, 1, None, None, f"t{n}", "x")
    with pytest.raises(NotAllowed, match="already have 5 suggestions waiting"):
        suggestions.suggest(app, 1, None, None, "one more", "x")
    suggestions.suggest(app, 2, None, None, "another member", "x")
    assert [s.title for s in suggestions.queue(app)] == ["t0", "t1", "t2", "t3", "t4",
                                                          "another member"]
    assert len(suggestions.queue(app, limit=2)) == 2


# ---------------------------------------------------------------- unanswered questions


def test_unanswered_and_link(app: App) -> None:
    for _ in range(2):
        ask(app, "  What does the red Saab mean? ", source="test")
    ask(app, "what does the red saab mean?", source="test")
    ask(app, "is there a sequel", source="test")
    top = unanswered_questions(app)
    assert (top[0].text, top[0].count) == ("what does the red saab mean?", 3)
    count = link_question(app, MOD, top[0].text, "ending-korea")
    assert count == 3
    assert [q.text for q in unanswered_questions(app)] == ["is there a sequel"]
    (record,) = audit_log(app, "ending-korea")
    assert record.action == "link" and record.after["questions_linked"] == 3
    with pytest.raises(NotFound, match="No unanswered question"):
        link_question(app, MOD, top[0].text, "ending-korea")
    with pytest.raises(NotFound):
        link_question(app, MOD, "is there a sequel", "no-such-entry")


def test_adding_an_entry_for_an_unanswered_question_links_it(app: App) -> None:
    ask(app, "Who feeds the dog?", source="test")
    add_entry(app, MOD, dog_data(), question="who feeds the dog?")
    assert unanswered_questions(app) == []
    assert [r.action for r in audit_log(app)] == ["link", "add"]


def test_unanswered_window(app: App) -> None:
    ask(app, "is there a sequel", source="test")
    app.db.execute("UPDATE question_log SET asked_at = '2000-01-01T00:00:00+00:00'")
    assert unanswered_questions(app, days=30) == []
    with pytest.raises(InvalidInput):
        unanswered_questions(app, days=0)


# ---------------------------------------------------------------- export / import


def _curate(app: App) -> None:
    add_entry(app, MOD, dog_data())
    add_entry(app, MOD, dog_data(id="everyone-ping", title="@everyone: is this a ping?",
                                 answer="@everyone and <@123> stay text.", related=[],
                                 questions=["yes", "null", "a: b # c"], aliases=["Kōji"]))
    edit_entry(app, MOD, "why-a-driver", {"answer": "Festival rule.\n\n1. one\n2. two\t(tab)"})
    remove_entry(app, MOD, "takatsuki-arrest")


def _read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def test_export_import_export_is_byte_identical(app: App, pack: Path, tmp_path: Path) -> None:
    _curate(app)
    first = export_entries(app, tmp_path / "one")
    assert [p.name for p in first.written] == [
        "everyone-ping.yaml", "whose-dog-is-in-the-saab-at-the-end.yaml", "why-a-driver.yaml"]
    assert first.to_delete == (tmp_path / "one/drive-my-car/entries/takatsuki-arrest.yaml",)
    export_entries(app, tmp_path / "again")
    assert _read_tree(tmp_path / "again") == _read_tree(tmp_path / "one")  # byte-stable

    other = open_app(Settings(db_path=tmp_path / "other.db", knowledge_path=pack))
    try:
        result = import_entries(other, MOD, tmp_path / "one")
        assert result == ["added everyone-ping", "added whose-dog-is-in-the-saab-at-the-end",
                          "updated why-a-driver"]
        assert {r.action for r in audit_log(other)} == {"import"}
        export_entries(other, tmp_path / "two")
        assert _read_tree(tmp_path / "two") == _read_tree(tmp_path / "one")
        assert other.index.get("everyone-ping") == app.index.get("everyone-ping")
    finally:
        other.close()

    assert import_entries(app, MOD, tmp_path / "one") == [
        "unchanged everyone-ping", "unchanged whose-dog-is-in-the-saab-at-the-end",
        "unchanged why-a-driver"]


def test_exported_yaml_keeps_markdown_and_mentions_as_written(app: App, tmp_path: Path) -> None:
    _curate(app)
    files = export_files(app)
    dog = files["drive-my-car/entries/whose-dog-is-in-the-saab-at-the-end.yaml"]
    assert "answer: |\n  **Nobody knows.**  \n  The film never says" in dog
    assert "\n  > a quote @everyone should stay text\n" in dog
    assert "\n    - nested item with `code`\n" in dog
    assert "\ntags: [ending, dog]\nspoiler: true\nrelated: [ending-korea]\n" in dog
    ping = files["drive-my-car/entries/everyone-ping.yaml"]
    assert "title: '@everyone: is this a ping?'" in ping
    assert "answer: |\n  @everyone and <@123> stay text.\n" in ping
    assert list(load_entry_text(dog).as_dict()) == list(app.index.get(
        "whose-dog-is-in-the-saab-at-the-end").as_dict())
    assert load_entry_text(dog).answer == MARKDOWN
    assert load_entry_text(ping) == app.index.get("everyone-ping")


def test_exported_files_pass_the_loader(app: App, pack: Path, tmp_path: Path) -> None:
    _curate(app)
    result = export_entries(app, pack)
    for path in result.to_delete:
        path.unlink()
    kb = load_knowledge(pack)
    for entry_id in ("everyone-ping", "whose-dog-is-in-the-saab-at-the-end", "why-a-driver"):
        assert kb.entries[entry_id] == app.index.get(entry_id)
    assert "takatsuki-arrest" not in kb.entries


def test_export_all_and_zip(app: App) -> None:
    everything = export_files(app, only_moderator=False)
    assert set(everything) == {f"drive-my-car/entries/{i}.yaml"
                               for i, _ in app.index.ids("", limit=100)}
    assert export_files(app) == {}
    add_entry(app, MOD, dog_data())
    blob = export_zip(app)
    assert blob == export_zip(app)
    with zipfile.ZipFile(BytesIO(blob)) as archive:
        assert archive.namelist() == ["drive-my-car/entries/whose-dog-is-in-the-saab-at-the-end"
                                      ".yaml"]
        text = archive.read(archive.namelist()[0]).decode()
    assert text == next(iter(export_files(app).values()))


def test_import_reports_every_problem_and_imports_nothing(app: App, tmp_path: Path) -> None:
    entries = tmp_path / "in" / "drive-my-car" / "entries"
    entries.mkdir(parents=True)
    good = Entry(id="good", film="drive-my-car", title="Good", questions=("q",), answer="a",
                 sources=(Source(scene="s"),), tags=("t",), spoiler=False)
    (entries / "good.yaml").write_text(dump_entry(good), encoding="utf-8")
    (entries / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    bad = dump_entry(good).replace("id: good", "id: wrong-name").replace("tags: [t]",
                                                                          "tags: [Bad Tag]")
    (entries / "named.yaml").write_text(bad, encoding="utf-8")
    (tmp_path / "in" / "no-such-film" / "entries").mkdir(parents=True)
    (tmp_path / "in" / "no-such-film" / "entries" / "x.yaml").write_text(
        dump_entry(good).replace("id: good", "id: x"), encoding="utf-8")
    before = snapshot(app)
    with pytest.raises(Problems) as info:
        import_entries(app, MOD, tmp_path / "in")
    problems = info.value.problems
    assert any(re.search(r"drive-my-car/entries/broken\.yaml:\d+: invalid YAML", p)
               for p in problems)
    assert any(re.search(r"named\.yaml:1: entry id 'wrong-name' must equal", p)
               for p in problems)
    assert any(re.search(r"named\.yaml:\d+: 'tags' item 'Bad Tag'", p) for p in problems)
    assert any(re.search(r"no-such-film/entries/x\.yaml:1: unknown film folder", p)
               for p in problems)
    assert str(info.value).startswith("Nothing was imported; 4 problem(s)")
    assert snapshot(app) == before
    with pytest.raises(InvalidInput, match="No entry files"):
        import_entries(app, MOD, tmp_path)


# ---------------------------------------------------------------- reload and overrides


def test_reload_with_a_broken_file_keeps_answering(app: App, pack: Path) -> None:
    add_entry(app, MOD, dog_data())
    before = snapshot(app)
    broken = pack / "drive-my-car" / "entries" / "no-kiss.yaml"
    broken.write_text("id: no-kiss\ntitle: Do they kiss?\nquestions:\n  - do they kiss\n"
                      "answer: [unclosed\n", encoding="utf-8")
    (pack / "drive-my-car" / "entries" / "why-a-driver.yaml").write_text(
        "id: why-a-driver\ntitle: Why?\nquestions: [q]\nanswer: a\nsources:\n"
        "  - title: x\n    url: nope\ntags: [t]\nspoiler: false\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        reload_knowledge(app, MOD)
    problems = info.value.problems
    assert any(re.search(r"drive-my-car/entries/no-kiss\.yaml:\d+: ", p) for p in problems)
    assert any(re.search(r"drive-my-car/entries/why-a-driver\.yaml:7: source url", p)
               for p in problems)
    assert snapshot(app) == before
    assert ask(app, "do they kiss", source="t", log=False).entry.id == "no-kiss"
    assert ask(app, "whose dog is it at the end", source="t", log=False).answered


def test_overrides_survive_reload_until_the_yaml_matches(app: App, pack: Path) -> None:
    _curate(app)
    # the files change elsewhere: the moderator's version still wins
    driver = pack / "drive-my-car" / "entries" / "why-a-driver.yaml"
    driver.write_text(driver.read_text(encoding="utf-8").replace("chauffeur", "driver"),
                      encoding="utf-8")
    message = reload_knowledge(app, MOD)
    assert "4 moderator change(s) kept" in message
    assert get_entry(app, "why-a-driver").answer.startswith("Festival rule.")
    assert get_entry(app, "whose-dog-is-in-the-saab-at-the-end").answer == MARKDOWN
    assert app.index.get("takatsuki-arrest") is None
    assert ask(app, "whose dog is it at the end", source="t", log=False).answered
    origins = dict(app.db.execute("SELECT id, origin FROM entries"))
    assert origins["why-a-driver"] == "moderator" and origins["ending-korea"] == "yaml"

    # the overrides are exported and committed: they are dropped as redundant
    result = export_entries(app, pack)
    for path in result.to_delete:
        path.unlink()
    message = reload_knowledge(app, MOD)
    assert "0 moderator change(s) kept" in message and "4 now in the files" in message
    assert app.db["mod_entries"].count == 0
    assert get_entry(app, "why-a-driver").answer.startswith("Festival rule.")
    assert get_entry(app, "whose-dog-is-in-the-saab-at-the-end").answer == MARKDOWN
    assert app.index.get("takatsuki-arrest") is None
    assert export_files(app) == {} and removed_entry_paths(app) == []
    assert set(dict(app.db.execute("SELECT id, origin FROM entries")).values()) == {"yaml"}


def test_reload_without_actor_is_allowed_for_the_operator(app: App) -> None:
    assert reload_knowledge(app).startswith("Reloaded the files (1 film")


# ---------------------------------------------------------------- YAML writing


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
_markdownish = st.lists(st.sampled_from(
    ["**b**", "  ", "\n", "\n\n", "- i", "  - j", "\t", "@everyone", "> q", "`c`", "a", " ",
     "|", "#", ": ", "'", '"', "\\", "é", "\u2028", "\x85", "\r\n", "---", "..."]),
    min_size=1, max_size=25).map("".join)
_clean = st.one_of(_text, _markdownish).map(str.strip).filter(bool)


@hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
# aliases are limited to 80 characters; the markdown-ish strategy can reach 125
@given(title=_clean, answer=_clean, question=_clean, alias=_clean.filter(lambda a: len(a) <= 80))
def test_dumped_entries_load_back_exactly(title: str, answer: str, question: str,
                                          alias: str) -> None:
    entry = Entry(id="x", film="drive-my-car", title=title, questions=(question, title),
                  answer=answer, sources=(Source(title=title, url="https://a.b/c"),
                                          Source(scene=question)),
                  tags=("a", "b-c"), spoiler=True, related=("y",), aliases=(alias,))
    text = dump_entry(entry)
    assert load_entry_text(text) == entry
    assert dump_entry(load_entry_text(text)) == text


# ---------------------------------------------------------------- crash safety

CHILD = """
import sys
from pathlib import Path
from bot.app import open_app
from bot.config import Settings
from bot.curation import add_entry, edit_entry
from bot.moderators import Actor
from bot.forms import entry_data_from_form

app = open_app(Settings(db_path=Path(sys.argv[1]), knowledge_path=Path(sys.argv[2])))
mod = Actor(7, True)
add_entry(app, mod, entry_data_from_form(
    "Why is there a dog in the Saab?", "why is there a dog in the saab",
    "Nobody says.", "scene: the epilogue", "dog"))
print("ACK", flush=True)
n = 0
while True:
    n += 1
    edit_entry(app, mod, "why-a-driver", {"answer": f"edit number {n} " + "x" * (n % 500)})
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_acknowledged_add_survives_sigkill(tmp_path: Path, pack: Path, delay: float) -> None:
    db = tmp_path / "crash.db"
    open_app(Settings(db_path=db, knowledge_path=pack)).close()  # index built up front
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(pack)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=REPO)
    try:
        assert child.stdout.readline().strip() == "ACK", child.stderr.read()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    app = open_app(Settings(db_path=db, knowledge_path=pack))
    try:
        entry = get_entry(app, "why-is-there-a-dog-in-the-saab")
        assert app.db["mod_entries"].get(entry.id)["data"]
        answer = ask(app, "why is there a dog in the saab", source="t", log=False)
        assert answer.answered and answer.entry == entry
        # every audit row, oldest first (audit_log() pages, and a fast child edits a lot)
        actions = [r[0] for r in app.db.execute("SELECT action FROM audit_log ORDER BY id")]
        assert actions[0] == "add" and set(actions[1:]) <= {"edit"}
        edits = len(actions) - 1
        assert edits == 0 or get_entry(app, "why-a-driver").answer.startswith(
            f"edit number {edits} ")
    finally:
        app.close()
