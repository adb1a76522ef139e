"""Reloads racing moderators: no acknowledged edit or removal is lost or undone.

A reload reads the files outside any transaction, then re-reads the moderators' rows,
drops redundant ones, rebuilds the index and records the hash in one BEGIN IMMEDIATE
transaction. These tests put a moderator's write exactly where the old code lost it
(between reading the overrides and rebuilding), race two real processes, and take a
removal's file away for a moment, as a half-finished checkout does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import App, open_app, sync_knowledge
from bot.config import Settings
from bot.curation import edit_entry, get_entry, remove_entry
from bot.errors import NotFound
from bot.exchange import import_entries, reload_knowledge
from bot.moderators import OPERATOR, Actor
from bot.search import SearchIndex
from tests.conftest import REPO

MOD = Actor(user_id=42, guild_id=111, is_moderator=True)
ENTRIES = "drive-my-car/entries"


def _write_during_rebuild(monkeypatch: pytest.MonkeyPatch, settings: Settings,
                          write: Callable[[App], object]) -> list[threading.Thread]:
    """Run ``write`` on another connection just before the reload rebuilds the index.

    It runs in a thread and is given a second to finish: the old code let it commit at
    once and then rebuilt from rows read before it; the new code holds the write lock, so
    the write waits and commits after the rebuild.
    """
    threads: list[threading.Thread] = []
    real = SearchIndex.rebuild

    def other_connection() -> None:
        other = open_app(settings)
        try:
            write(other)
        finally:
            other.close()

    def rebuild(self, *args, **kwargs):
        if not threads:
            thread = threading.Thread(target=other_connection)
            threads.append(thread)
            thread.start()
            thread.join(timeout=1.0)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SearchIndex, "rebuild", rebuild)
    return threads


def _retitle(path: Path, title: str) -> None:
    path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}",
                           path.read_text(encoding="utf-8")), encoding="utf-8")


def test_an_edit_committed_during_a_reload_is_kept(settings: Settings, app: App,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _write_during_rebuild(
        monkeypatch, settings, lambda other: edit_entry(other, MOD, "no-kiss",
                                                        {"title": "Kiss? No."}))
    reload_knowledge(app, MOD)
    threads[0].join(10)
    assert get_entry(app, "no-kiss").title == "Kiss? No."
    restarted = open_app(settings)
    try:
        assert get_entry(restarted, "no-kiss").title == "Kiss? No."
    finally:
        restarted.close()


def test_a_removal_committed_during_a_reload_stays_removed(
        settings: Settings, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_entry(app, MOD, "no-kiss", {"title": "Kiss? No."})  # an override to be tempted by
    threads = _write_during_rebuild(monkeypatch, settings,
                                    lambda other: remove_entry(other, MOD, "no-kiss"))
    reload_knowledge(app, MOD)
    threads[0].join(10)
    with pytest.raises(NotFound):
        get_entry(app, "no-kiss")
    restarted = open_app(settings)  # the hash must not let a stale index survive a restart
    try:
        assert restarted.index.get("no-kiss") is None
    finally:
        restarted.close()


def test_a_redundant_override_is_judged_on_the_row_as_committed(
        settings: Settings, app: App, pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files catch up with an edit while the same entry is edited again: the new edit
    must not be dropped as "redundant" on the strength of the old row."""
    edit_entry(app, MOD, "no-kiss", {"title": "Kiss? No."})
    _retitle(pack / ENTRIES / "no-kiss.yaml", "Kiss? No.")
    threads = _write_during_rebuild(
        monkeypatch, settings, lambda other: edit_entry(other, MOD, "no-kiss",
                                                        {"title": "Kiss? Never."}))
    reload_knowledge(app, MOD)
    threads[0].join(10)
    assert get_entry(app, "no-kiss").title == "Kiss? Never."
    reload_knowledge(app, MOD)
    assert get_entry(app, "no-kiss").title == "Kiss? Never."


# ---------------------------------------------------------------- a half-finished checkout


def test_a_removal_survives_its_file_going_missing_for_a_while(settings: Settings, app: App,
                                                               pack: Path) -> None:
    remove_entry(app, MOD, "no-kiss")
    path = pack / ENTRIES / "no-kiss.yaml"
    text = path.read_bytes()
    path.unlink()  # mid-checkout: the file is gone for a moment
    reload_knowledge(app, MOD)
    app.close()
    app = open_app(settings)  # a restart in the middle, too
    path.write_bytes(text)  # the checkout finishes: the file is back
    try:
        reload_knowledge(app, MOD)
        assert app.index.get("no-kiss") is None
    finally:
        app.close()
    restarted = open_app(settings)
    try:
        assert restarted.index.get("no-kiss") is None
    finally:
        restarted.close()


def test_the_hash_recorded_is_that_of_the_bytes_loaded(settings: Settings, pack: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that changes while the pack loads is seen as changed at the next start."""
    import bot.app

    path = pack / ENTRIES / "no-kiss.yaml"
    real = bot.app.load_knowledge

    def load_then_change(root):
        kb = real(root)
        _retitle(path, "Changed meanwhile")
        return kb

    monkeypatch.setattr(bot.app, "load_knowledge", load_then_change)
    open_app(settings).close()
    monkeypatch.setattr(bot.app, "load_knowledge", real)
    app = open_app(settings)
    try:
        assert get_entry(app, "no-kiss").title == "Changed meanwhile"
        assert sync_knowledge(app) is None  # and now it is settled
    finally:
        app.close()


# ---------------------------------------------------------------- two real processes

EDITOR = """
import json, sys
from bot.app import open_app
from bot.config import Settings
from bot.curation import edit_entry, get_entry, remove_entry
from bot.errors import Busy
from bot.moderators import Actor
app = open_app(Settings(db_path=sys.argv[1], knowledge_path=sys.argv[2]))
mod = Actor(user_id=42, guild_id=111, is_moderator=True)
ids = ("no-kiss", "why-a-driver", "ending-korea", "takatsuki-arrest", "community-view")
original = {i: get_entry(app, i).title for i in ids}
print("ready", flush=True)
for n in range(int(sys.argv[3])):
    try:
        if n % 9 == 8:  # removals: filler-0, filler-1, ... once each
            entry_id = f"filler-{n // 9}"
            remove_entry(app, mod, entry_id)
            print(json.dumps([entry_id, None]), flush=True)
            continue
        # a file entry, edited away from its file and back: half the time the override is
        # redundant, which is when the old reload deleted rows edited meanwhile
        entry_id = ids[n % 5]
        title = original[entry_id] if (n // 5) % 2 else f"Edit number {n}"
        edit_entry(app, mod, entry_id, {"title": title})
        print(json.dumps([entry_id, title]), flush=True)
    except Busy:  # reloads back to back on a loaded machine: refused, not acknowledged
        print(json.dumps(["busy", n]), flush=True)
open(sys.argv[4], "w").close()
"""

RELOADER = """
import os, sys
from bot.app import open_app
from bot.config import Settings
from bot.exchange import reload_knowledge
from bot.moderators import OPERATOR
app = open_app(Settings(db_path=sys.argv[1], knowledge_path=sys.argv[2]))
print("ready", flush=True)
reloads = 0
while not os.path.exists(sys.argv[3]):  # until the editor is done
    reload_knowledge(app, OPERATOR)
    reloads += 1
print(reloads, flush=True)
"""


def _widen(app: App, folder: Path, count: int = 400) -> None:
    """Many moderator entries: merging them into a reload takes long enough for edits to
    land in the middle of it, as in a real knowledge base."""
    template = (Path(app.settings.knowledge_path) / ENTRIES / "no-kiss.yaml").read_text(
        encoding="utf-8")
    (folder / ENTRIES).mkdir(parents=True)
    for n in range(count):
        text = re.sub(r"(?m)^id: .*$", f"id: filler-{n}", template)
        (folder / ENTRIES / f"filler-{n}.yaml").write_text(text, encoding="utf-8")
    import_entries(app, MOD, folder)


def test_two_processes_editing_and_reloading_lose_nothing(settings: Settings, app: App,
                                                          tmp_path: Path) -> None:
    """The issue's race: one process edits and removes, another reloads all the while;
    every acknowledged change is what the index shows at the end, and after a restart."""
    _widen(app, tmp_path / "fillers")
    args = [str(settings.db_path), str(settings.knowledge_path)]
    done = tmp_path / "edits-done"
    reloader = subprocess.Popen([sys.executable, "-c", RELOADER, *args, str(done)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert reloader.stdout is not None and reloader.stdout.readline().strip() == "ready"
    editor = subprocess.run([sys.executable, "-c", EDITOR, *args, "300", str(done)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    reloads, reload_errors = reloader.communicate(timeout=120)
    assert editor.returncode == 0, editor.stderr
    assert reloader.returncode == 0, reload_errors
    replies = [json.loads(line) for line in editor.stdout.splitlines()[1:]]
    acknowledged = [r for r in replies if r[0] != "busy"]
    assert len(replies) == 300 and len(acknowledged) > 150 and int(reloads) >= 1
    last: dict[str, str | None] = dict(acknowledged)

    def lost(current: App) -> list[str]:
        shown = {i: (e.title if (e := current.index.get(i)) else None) for i in last}
        return [i for i, title in last.items() if shown[i] != title]

    assert lost(app) == [], "the index as the last reload left it"
    restarted = open_app(settings)
    try:
        assert lost(restarted) == [], "after a restart"
        reload_knowledge(restarted, OPERATOR)
        assert lost(restarted) == [], "after another reload"
    finally:
        restarted.close()
