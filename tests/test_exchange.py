"""The way back into git: export, import, reload, and how overrides meet the YAML files."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from bot.answers import ask
from bot.app import App, open_app
from bot.audit import audit_log
from bot.config import Settings
from bot.curation import (
    Problems,
    add_entry,
    edit_entry,
    get_entry,
    remove_entry,
)
from bot.errors import InvalidInput, KnowledgeError
from bot.exchange import (
    export_entries,
    export_files,
    export_zip,
    import_entries,
    reload_knowledge,
    removed_entry_paths,
)
from bot.knowledge import Entry, Source, load_knowledge
from bot.moderators import OPERATOR
from bot.yamlout import dump_entry
from tests.curation_support import (
    MARKDOWN,
    MOD,
    dog_data,
    load_entry_text,
    snapshot,
)

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
    first = export_entries(app, MOD, tmp_path / "one")
    assert [p.name for p in first.written] == [
        "everyone-ping.yaml", "whose-dog-is-in-the-saab-at-the-end.yaml", "why-a-driver.yaml"]
    assert first.to_delete == (tmp_path / "one/drive-my-car/entries/takatsuki-arrest.yaml",)
    export_entries(app, MOD, tmp_path / "again")
    assert _read_tree(tmp_path / "again") == _read_tree(tmp_path / "one")  # byte-stable

    other = open_app(Settings(db_path=tmp_path / "other.db", knowledge_path=pack))
    try:
        result = import_entries(other, MOD, tmp_path / "one")
        assert result == ["added everyone-ping", "added whose-dog-is-in-the-saab-at-the-end",
                          "updated why-a-driver"]
        assert {r.action for r in audit_log(other, OPERATOR)} == {"import"}
        export_entries(other, MOD, tmp_path / "two")
        assert _read_tree(tmp_path / "two") == _read_tree(tmp_path / "one")
        assert other.index.get("everyone-ping") == app.index.get("everyone-ping")
    finally:
        other.close()

    assert import_entries(app, MOD, tmp_path / "one") == [
        "unchanged everyone-ping", "unchanged whose-dog-is-in-the-saab-at-the-end",
        "unchanged why-a-driver"]


def test_exported_yaml_keeps_markdown_and_mentions_as_written(app: App, tmp_path: Path) -> None:
    _curate(app)
    files = export_files(app, MOD)
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
    result = export_entries(app, MOD, pack)
    for path in result.to_delete:
        path.unlink()
    kb = load_knowledge(pack)
    for entry_id in ("everyone-ping", "whose-dog-is-in-the-saab-at-the-end", "why-a-driver"):
        assert kb.entries[entry_id] == app.index.get(entry_id)
    assert "takatsuki-arrest" not in kb.entries


def test_export_all_and_zip(app: App) -> None:
    everything = export_files(app, MOD, only_moderator=False)
    assert set(everything) == {f"drive-my-car/entries/{i}.yaml"
                               for i, _ in app.index.ids("", limit=100)}
    assert export_files(app, MOD) == {}
    add_entry(app, MOD, dog_data())
    blob = export_zip(app, MOD)
    assert blob == export_zip(app, MOD)
    with zipfile.ZipFile(BytesIO(blob)) as archive:
        assert archive.namelist() == ["drive-my-car/entries/whose-dog-is-in-the-saab-at-the-end"
                                      ".yaml"]
        text = archive.read(archive.namelist()[0]).decode()
    assert text == next(iter(export_files(app, MOD).values()))


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
    assert "3 moderator change(s) kept" in message and "1 removal(s) remembered" in message
    assert get_entry(app, "why-a-driver").answer.startswith("Festival rule.")
    assert get_entry(app, "whose-dog-is-in-the-saab-at-the-end").answer == MARKDOWN
    assert app.index.get("takatsuki-arrest") is None
    assert ask(app, "whose dog is it at the end", source="t", log=False).answered
    origins = dict(app.db.execute("SELECT id, origin FROM entries"))
    assert origins["why-a-driver"] == "moderator" and origins["ending-korea"] == "yaml"

    # the overrides are exported and committed: they are dropped as redundant
    result = export_entries(app, MOD, pack)
    for path in result.to_delete:
        path.unlink()
    message = reload_knowledge(app, MOD)
    assert "0 moderator change(s) kept" in message and "3 now in the files" in message
    # the removal stays: a file that comes back (a half-finished checkout) stays hidden
    assert [r[0] for r in app.db.execute("SELECT id FROM mod_entries WHERE data IS NULL")] == [
        "takatsuki-arrest"]
    assert get_entry(app, "why-a-driver").answer.startswith("Festival rule.")
    assert get_entry(app, "whose-dog-is-in-the-saab-at-the-end").answer == MARKDOWN
    assert app.index.get("takatsuki-arrest") is None
    assert export_files(app, MOD) == {} and removed_entry_paths(app) == []
    assert set(dict(app.db.execute("SELECT id, origin FROM entries")).values()) == {"yaml"}


def test_reload_without_actor_is_allowed_for_the_operator(app: App) -> None:
    assert reload_knowledge(app, OPERATOR).startswith("Reloaded the files (1 film")
