"""Moderator curation core: permissions, add/edit/remove, unanswered questions, crash safety."""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.exchange import (
    export_files,
    import_entries,
    reload_knowledge,
    removed_entry_paths,
)
from bot.knowledge import Entry, Source
from bot.moderators import OPERATOR, Actor, is_moderator
from bot.yamlout import dump_entry
from tests.conftest import REPO
from tests.curation_support import GUILD, MARKDOWN, MEMBER, MOD, UNANSWERED, dog_data, snapshot

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
    return suggestions.suggest(app, Actor(99, GUILD), 2, "A title", "Some text").id


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
    ask(app, UNANSWERED, source="test", asker=MEMBER)  # something to link
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
    ask(app, UNANSWERED, source="test", asker=MEMBER)
    WRITES[operation](app, MOD, tmp_path)

# ---------------------------------------------------------------- add / edit / remove


def test_add_makes_a_searchable_entry_with_an_audit_row(app: App) -> None:
    entry = add_entry(app, MOD, dog_data())
    assert entry.id == "whose-dog-is-in-the-saab-at-the-end"
    answer = ask(app, "whose dog is it at the end?", source="test", asker=MEMBER)
    assert answer.answered and answer.entry == entry
    assert answer.entry.answer == MARKDOWN
    row = app.db["mod_entries"].get(entry.id)
    assert row["actor_id"] == MOD.user_id and '"film":"drive-my-car"' in row["data"]
    (record,) = audit_log(app, OPERATOR)
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
    (record,) = audit_log(app, OPERATOR, "why-a-driver")
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
    with pytest.raises(NotFound) as long_id:  # a pasted essay is not echoed back whole
        edit_entry(app, MOD, "x" * 10_000, {"answer": "x"})
    assert len(str(long_id.value)) < 120


def test_remove_hides_the_entry_with_a_tombstone_and_audit(app: App) -> None:
    removed = remove_entry(app, MOD, "no-kiss")
    assert app.index.get("no-kiss") is None
    assert not ask(app, "do they kiss", source="t").answered
    assert app.db["mod_entries"].get("no-kiss")["data"] is None
    (record,) = audit_log(app, OPERATOR, "no-kiss")
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
    assert removed_entry_paths(app) == [] and export_files(app, MOD) == {}
    # a removal is remembered (it would hide a file with that id: see bot.curation)
    assert reload_knowledge(app, OPERATOR).endswith(
        "; 0 moderator change(s) kept on top of the files; 1 removal(s) remembered.")
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

# ---------------------------------------------------------------- unanswered questions


def test_unanswered_and_link(app: App) -> None:
    for _ in range(2):
        ask(app, "  What does the red Saab mean? ", source="test", asker=MEMBER)
    ask(app, "what does the red saab mean?", source="test", asker=MEMBER)
    ask(app, "is there a sequel", source="test", asker=MEMBER)
    top = unanswered_questions(app, MOD)
    assert (top[0].text, top[0].count) == ("what does the red saab mean?", 3)
    count = link_question(app, MOD, top[0].text, "ending-korea")
    assert count == 3
    assert [q.text for q in unanswered_questions(app, MOD)] == ["is there a sequel"]
    (record,) = audit_log(app, OPERATOR, "ending-korea")
    assert record.action == "link" and record.after["questions_linked"] == 3
    with pytest.raises(NotFound, match="No unanswered question"):
        link_question(app, MOD, top[0].text, "ending-korea")
    with pytest.raises(NotFound):
        link_question(app, MOD, "is there a sequel", "no-such-entry")


def test_adding_an_entry_for_an_unanswered_question_links_it(app: App) -> None:
    ask(app, "Who feeds the dog?", source="test", asker=MEMBER)
    add_entry(app, MOD, dog_data(), question="who feeds the dog?")
    assert unanswered_questions(app, MOD) == []
    assert [r.action for r in audit_log(app, OPERATOR)] == ["link", "add"]


def test_unanswered_window(app: App) -> None:
    ask(app, "is there a sequel", source="test", asker=MEMBER)
    app.db.execute("UPDATE question_log SET asked_at = '2000-01-01T00:00:00+00:00'")
    assert unanswered_questions(app, MOD, days=30) == []
    with pytest.raises(InvalidInput):
        unanswered_questions(app, MOD, days=0)

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
mod = Actor(7, 1, True)
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
