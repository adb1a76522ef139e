"""kb export: byte-identical when nothing changed, one-field diffs, and never a silent overwrite.

Every target file is new, updated, unchanged or a conflict (someone else changed it since
the bot last loaded or exported it: left alone unless forced). Files get normal
permissions, and a failure halfway says exactly what was written.
"""

from __future__ import annotations

import difflib
import errno
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import bot.exportfiles
from bot.app import App, open_app
from bot.cli import cli
from bot.config import Settings
from bot.curation import add_entry, edit_entry, remove_entry
from bot.errors import ExportFailed
from bot.exchange import export_entries, export_files, reload_knowledge
from bot.knowledge import load_knowledge
from tests.conftest import REPO
from tests.curation_support import MOD, dog_data

FILM = "drive-my-car"


@pytest.fixture
def shipped(tmp_path: Path) -> Iterator[App]:
    """The app over a writable copy of the shipped knowledge folder (real files, real
    layouts: keys in the curators' order, quoted titles, comments)."""
    folder = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", folder)
    app = open_app(Settings(db_path=tmp_path / "shipped.db", knowledge_path=folder))
    yield app
    app.close()


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


# ---------------------------------------------------------------- minimal diffs


def test_export_all_into_the_knowledge_folder_changes_nothing(shipped: App) -> None:
    root = Path(shipped.settings.knowledge_path)
    before = _tree(root)
    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*.yaml")}
    result = export_entries(shipped, MOD, root, only_moderator=False)
    assert {f.status for f in result.files} == {"unchanged"}
    assert len(result.files) == len(load_knowledge(root).entries)
    assert _tree(root) == before
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.yaml")} == mtimes  # not rewritten


def test_unchanged_entries_export_byte_identical_anywhere(shipped: App, tmp_path: Path) -> None:
    root = Path(shipped.settings.knowledge_path)
    export_entries(shipped, MOD, tmp_path / "out", only_moderator=False)
    assert _tree(tmp_path / "out") == {k: v for k, v in _tree(root).items()
                                       if "/entries/" in k}
    files = export_files(shipped, MOD, only_moderator=False)  # the zip's texts, too
    assert all(text.encode() == (root / rel).read_bytes() for rel, text in files.items())


@pytest.mark.parametrize("key", ["title", "spoiler", "answer", "tags"])
def test_a_one_field_edit_is_a_one_field_diff(shipped: App, key: str) -> None:
    root = Path(shipped.settings.knowledge_path)
    for entry_id in sorted(load_knowledge(root).entries)[:12:4]:
        path = root / FILM / "entries" / f"{entry_id}.yaml"
        before = path.read_text(encoding="utf-8")
        current = shipped.index.get(entry_id)
        assert current is not None
        change = {"title": {"title": current.title + " (edited)"},
                  "spoiler": {"spoiler": not current.spoiler},
                  "answer": {"answer": "A different answer.\n\nIn two paragraphs."},
                  "tags": {"tags": [*current.tags, "new-tag"]}}[key]
        edit_entry(shipped, MOD, entry_id, change)
        result = export_entries(shipped, MOD, root)
        assert {f.path: f.status for f in result.files}[path] == "updated"
        after = path.read_text(encoding="utf-8")
        changed = _changed_lines(before, after)
        assert changed, (entry_id, change)
        if key in ("title", "spoiler"):  # a one-line field: a one-line diff
            assert len(changed) == 2, changed
        removed = [line for line in changed if line.startswith("-")]
        assert all(line[1:].startswith((f"{key}:", " ")) or not line[1:] for line in removed), \
            changed
        assert load_knowledge(root).entries[entry_id] == shipped.index.get(entry_id)


def test_a_new_entry_is_written_canonically(app: App, tmp_path: Path) -> None:
    add_entry(app, MOD, dog_data())
    result = export_entries(app, MOD, tmp_path / "out")
    [file] = result.files
    assert file.status == "new" and file.path.name == "whose-dog-is-in-the-saab-at-the-end.yaml"
    assert file.path.read_text(encoding="utf-8").startswith("id: whose-dog")


# ---------------------------------------------------------------- never silently


def test_a_file_changed_by_someone_else_is_a_conflict(app: App, tmp_path: Path) -> None:
    out = tmp_path / "out"
    edit_entry(app, MOD, "no-kiss", {"title": "First"})
    assert [f.status for f in export_entries(app, MOD, out).files] == ["new"]
    target = out / FILM / "entries" / "no-kiss.yaml"
    assert [f.status for f in export_entries(app, MOD, out).files] == ["unchanged"]
    edit_entry(app, MOD, "no-kiss", {"title": "Second"})
    assert [f.status for f in export_entries(app, MOD, out).files] == ["updated"]  # our own
    hand = target.read_text(encoding="utf-8") + "# a reviewer's note\n"
    target.write_text(hand, encoding="utf-8")
    edit_entry(app, MOD, "no-kiss", {"title": "Third"})
    [file] = export_entries(app, MOD, out).files
    assert file.status == "conflict" and "--force" in file.note
    assert target.read_text(encoding="utf-8") == hand  # left alone
    [file] = export_entries(app, MOD, out, force=True).files
    assert file.status == "replaced"
    text = target.read_text(encoding="utf-8")
    assert "title: Third" in text and "# a reviewer's note" in text  # its own layout kept


def test_a_knowledge_file_changed_since_the_load_is_a_conflict(app: App, pack: Path) -> None:
    path = pack / FILM / "entries" / "no-kiss.yaml"
    edit_entry(app, MOD, "no-kiss", {"title": "The moderators' title"})
    pulled = path.read_text(encoding="utf-8").replace("spoiler: true", "spoiler: false")
    assert pulled != path.read_text(encoding="utf-8")
    path.write_text(pulled, encoding="utf-8")  # a git pull the bot has not loaded
    [file] = export_entries(app, MOD, pack).files
    assert file.status == "conflict"
    assert path.read_text(encoding="utf-8") == pulled
    reload_knowledge(app, MOD)  # now the bot has seen it: replacing it loses nothing
    [file] = export_entries(app, MOD, pack).files
    assert file.status == "updated"
    assert "The moderators' title" in path.read_text(encoding="utf-8")


def test_cli_lists_every_file_and_fails_on_a_conflict(settings: Settings, tmp_path: Path) -> None:
    app = open_app(settings)
    try:
        edit_entry(app, MOD, "no-kiss", {"title": "Edited"})
        add_entry(app, MOD, dog_data())
        remove_entry(app, MOD, "takatsuki-arrest")
    finally:
        app.close()
    out = tmp_path / "out"
    base = ["--db", str(settings.db_path), "--knowledge", str(settings.knowledge_path)]
    first = CliRunner().invoke(cli, ["kb", "export", str(out), *base])
    assert first.exit_code == 0, first.output
    entries = out / FILM / "entries"
    assert first.output.splitlines() == [
        f"new {entries / 'no-kiss.yaml'}",
        f"new {entries / 'whose-dog-is-in-the-saab-at-the-end.yaml'}",
        f"to delete: {entries / 'takatsuki-arrest.yaml'}"]
    (entries / "no-kiss.yaml").write_text("id: no-kiss\n", encoding="utf-8")
    second = CliRunner().invoke(cli, ["kb", "export", str(out), *base])
    assert second.exit_code == 1
    assert second.output.splitlines()[:2] == [
        f"conflict {entries / 'no-kiss.yaml'}: changed since the bot last loaded or exported "
        "it; left as it is (review it, or export with --force to replace it)",
        f"unchanged {entries / 'whose-dog-is-in-the-saab-at-the-end.yaml'}"]


# ---------------------------------------------------------------- files on disk


def test_files_get_normal_permissions_and_keep_their_mode(app: App, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        edit_entry(app, MOD, "no-kiss", {"title": "Edited"})
        [file] = export_entries(app, MOD, tmp_path / "out").files
        assert stat.S_IMODE(file.path.stat().st_mode) == 0o644
        file.path.chmod(0o664)
        edit_entry(app, MOD, "no-kiss", {"title": "Edited again"})
        [file] = export_entries(app, MOD, tmp_path / "out").files
        assert file.status == "updated" and stat.S_IMODE(file.path.stat().st_mode) == 0o664
    finally:
        os.umask(old)
    assert not list((tmp_path / "out").rglob(".*.tmp"))


def test_a_write_failure_writes_nothing(app: App, tmp_path: Path) -> None:
    edit_entry(app, MOD, "no-kiss", {"title": "Edited"})
    add_entry(app, MOD, dog_data())
    out = tmp_path / "out"
    (out / FILM).mkdir(parents=True)
    (out / FILM / "entries").write_text("a file where the folder should be")
    with pytest.raises(ExportFailed) as info:
        export_entries(app, MOD, out)
    assert str(info.value).startswith("Nothing was written: cannot write ")
    assert info.value.written == () and len(info.value.not_written) == 2
    assert sorted(p.name for p in out.rglob("*")) == [FILM, "entries"]


def test_a_rename_failure_lists_what_was_written(app: App, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    edit_entry(app, MOD, "no-kiss", {"title": "Edited"})
    edit_entry(app, MOD, "why-a-driver", {"title": "Edited too"})
    add_entry(app, MOD, dog_data())
    real, calls = os.replace, []

    def replace(src: Path, dst: Path) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(bot.exportfiles.os, "replace", replace)
    out = tmp_path / "out"
    with pytest.raises(ExportFailed) as info:
        export_entries(app, MOD, out)
    written, rest = info.value.written, info.value.not_written
    assert len(written) == 1 and len(rest) == 2
    assert f"Written: {written[0]}" in str(info.value) and "No space left" in str(info.value)
    assert [p for p in out.rglob("*.yaml")] == list(written)  # exactly those, on disk
    assert not list(out.rglob(".*.tmp"))
