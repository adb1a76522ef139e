"""`python -m bot kb ...` through click's runner, over a real database and a pack copy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bot.answers import ask
from bot.app import App, open_app
from bot.cli import cli
from bot.cli.kb import kb
from bot.config import Settings
from bot.curation import add_entry, edit_entry, remove_entry
from bot.forms import entry_data_from_form
from bot.moderators import Actor
from bot.search import SearchIndex
from bot.store import open_db
from tests.conftest import REPO

MOD = Actor(42, 1, True)


@pytest.fixture
def run(tmp_path: Path, pack: Path):
    """Invoke ``kb SUBCOMMAND`` against the pack copy and one database file."""
    runner = CliRunner()

    def invoke(*args: str, db: Path | None = None) -> Result:
        return runner.invoke(cli, ["kb", *args, "--db", str(db or tmp_path / "cli.db"),
                                   "--knowledge", str(pack)], catch_exceptions=False)

    return invoke


@pytest.fixture
def curated(tmp_path: Path, pack: Path) -> Path:
    """The CLI database with moderator changes made through the core."""
    app = open_app(Settings(db_path=tmp_path / "cli.db", knowledge_path=pack))
    try:
        add_entry(app, MOD, entry_data_from_form(
            "Whose dog is in the Saab?", "whose dog is it at the end",
            "Nobody says.\n\n**Really.**", "scene: the epilogue", "dog, ending", spoiler=True))
        edit_entry(app, MOD, "no-kiss", {"answer": "No. They embrace."})
        remove_entry(app, MOD, "takatsuki-arrest")
        ask(app, "is there a sequel planned", source="test")
        ask(app, "Is there a sequel planned", source="test")
    finally:
        app.close()
    return tmp_path / "cli.db"


KB_COMMANDS = sorted(kb.commands)


@pytest.mark.parametrize("name", KB_COMMANDS)
def test_every_kb_command_has_help(name: str) -> None:
    command = kb.commands[name]
    assert command.help and command.help.strip()
    result = CliRunner().invoke(cli, ["kb", name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_kb_group_lists_the_curation_commands() -> None:
    assert {"check", "export", "import", "unanswered", "list", "show", "audit",
            "reload"} <= set(kb.commands)
    assert isinstance(kb, click.Group)


def test_list_and_show(run, curated: Path) -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    assert "entries, page 1/1:" in result.output
    assert "whose-dog-is-in-the-saab - Whose dog is in the Saab?  [spoiler]  (moderator)" \
        in result.output
    assert "takatsuki-arrest" not in result.output
    shown = run("show", "whose-dog-is-in-the-saab")
    assert shown.exit_code == 0
    assert shown.output.startswith(
        "# drive-my-car/entries/whose-dog-is-in-the-saab.yaml (a moderator's version)\n"
        "id: whose-dog-is-in-the-saab\n")
    assert "answer: |\n  Nobody says.\n\n  **Really.**\n" in shown.output
    assert "(from the knowledge files)" in run("show", "ending-korea").output


def test_show_unknown_entry_fails_cleanly(run, curated: Path) -> None:
    result = run("show", "whose-dog")
    assert result.exit_code == 1
    assert "No entry has the id 'whose-dog'. Did you mean whose-dog-is-in-the-saab?" \
        in result.output
    assert "Traceback" not in result.output


def test_audit_and_unanswered(run, curated: Path) -> None:
    audit = run("audit")
    assert audit.exit_code == 0
    lines = audit.output.splitlines()
    assert len(lines) == 3
    assert "user 42: remove takatsuki-arrest" in lines[0]
    assert "user 42: edit no-kiss (answer)" in lines[1]
    assert "user 42: add whose-dog-is-in-the-saab" in lines[2]
    one = run("audit", "no-kiss").output.splitlines()
    assert len(one) == 1 and "edit no-kiss" in one[0]
    unanswered = run("unanswered", "--days", "7", "--limit", "5")
    assert unanswered.exit_code == 0
    assert "2x  is there a sequel planned" in unanswered.output


def test_export_then_import_into_another_database(run, curated: Path, tmp_path: Path,
                                                  pack: Path) -> None:
    out = tmp_path / "export"
    result = run("export", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"new {out / 'drive-my-car/entries/no-kiss.yaml'}",
        f"new {out / 'drive-my-car/entries/whose-dog-is-in-the-saab.yaml'}",
        f"to delete: {out / 'drive-my-car/entries/takatsuki-arrest.yaml'}",
    ]
    first = {p.name: p.read_bytes() for p in out.rglob("*.yaml")}

    other = tmp_path / "other.db"
    imported = run("import", str(out), db=other)
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines() == ["updated no-kiss", "added whose-dog-is-in-the-saab"]
    again = tmp_path / "again"
    assert run("export", str(again), db=other).exit_code == 0
    assert {p.name: p.read_bytes() for p in again.rglob("*.yaml")} == first
    assert "import no-kiss" in run("audit", db=other).output


def test_exported_file_passes_kb_check(run, curated: Path, pack: Path, tmp_path: Path) -> None:
    run("export", str(tmp_path / "export"))
    target = pack / "drive-my-car" / "entries"
    for path in (tmp_path / "export" / "drive-my-car" / "entries").iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    result = CliRunner().invoke(cli, ["kb", "check", str(pack)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {pack}: 1 film,")
    # and the real entry point agrees
    proc = subprocess.run([sys.executable, "-m", "bot", "kb", "check", str(pack)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_import_problems_exit_1_with_path_and_line(run, curated: Path, tmp_path: Path) -> None:
    entries = tmp_path / "bad" / "drive-my-car" / "entries"
    entries.mkdir(parents=True)
    (entries / "oops.yaml").write_text("id: oops\ntitle: Oops\nquestions: [q]\nanswer: a\n"
                                       "sources: [{scene: s}]\ntags: [Not OK]\n"
                                       "spoiler: false\n", encoding="utf-8")
    result = run("import", str(tmp_path / "bad"))
    assert result.exit_code == 1
    assert re.search(r"oops\.yaml:6: 'tags' item 'Not OK' must be a lowercase slug",
                     result.output)
    assert "Nothing was imported" in result.output
    assert "oops" not in run("list").output


def test_nothing_to_export(run) -> None:
    result = run("export", "unused-dir")
    assert result.exit_code == 0
    assert result.output.strip() == "nothing to export: no moderator changes"


def test_reload_ok_and_broken(run, curated: Path, pack: Path) -> None:
    ok = run("reload")
    assert ok.exit_code == 0, ok.output
    assert "2 moderator change(s) kept" in ok.output and "1 removal(s) remembered" in ok.output
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text(
        "id: no-kiss\ntitle: [broken\n", encoding="utf-8")
    broken = run("reload")
    assert broken.exit_code == 1
    assert broken.stderr.startswith("Error: 1 problem in the knowledge base:\n")
    assert re.search(rf"^{pack}/drive-my-car/entries/no-kiss\.yaml:\d+: invalid YAML",
                     broken.stderr, re.MULTILINE)
    # the old index still answers (open_app would refuse the broken files, so no sync)
    db = open_db(curated)
    try:
        index_app = App(Settings(db_path=curated, knowledge_path=pack), db, SearchIndex(db))
        assert ask(index_app, "whose dog is it at the end", log=False).answered
        assert ask(index_app, "do they kiss", log=False).entry.answer == "No. They embrace."
    finally:
        db.close()


def test_a_page_past_the_end_says_how_many_pages_there_are(tmp_path: Path) -> None:
    """`kb list --page 10` of 9 pages printed "page 10/9" and no entries."""
    entries = len(list((REPO / "knowledge").glob("*/entries/*.yaml")))
    pages = -(-entries // 10)
    args = ["--db", str(tmp_path / "b.db"), "--knowledge", str(REPO / "knowledge")]
    last = CliRunner().invoke(cli, ["kb", "list", "--page", str(pages), *args])
    assert last.exit_code == 0 and f"entries, page {pages}/{pages}:" in last.output
    past = CliRunner().invoke(cli, ["kb", "list", "--page", str(pages + 1), *args])
    assert past.exit_code == 2
    assert past.output.splitlines()[-1] == (
        f"Error: Invalid value for '--page': {pages + 1} is past the last page: there are "
        f"{pages} pages (10 entries a page).")
