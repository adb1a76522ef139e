"""Stateful property test: two processes curate and reload one database; nothing is lost.

Hypothesis drives a state machine over a real database and knowledge folder. This test's
process and a second bot process (``tests.stateful_worker``, over stdin/stdout) both edit,
remove, add and import entries and reload; some steps run at the same time (the worker
reloads while this process curates, and the other way round). The knowledge files change
too: retitled, deleted for a while (a half-finished checkout), restored.

A model says what the bot must show: the files as last loaded, with every acknowledged
moderator change on top (a version wins until the files say the same thing; a removal
always wins). After every step the index must equal the model (no acknowledged change
lost, no removal undone) and so must the moderators' rows; each operation must succeed
or be refused exactly when the model says. Titles are the only field that changes, so an
entry is equal to its file exactly when the titles are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bot.app import App, open_app
from bot.config import Settings
from bot.errors import KnowledgeError
from bot.knowledge import load_knowledge
from tests import stateful_worker
from tests.conftest import REPO, SMALL_PACK

FILM = "drive-my-car"
FILE_IDS = ("community-view", "ending-korea", "no-kiss", "takatsuki-arrest", "why-a-driver")
NEW_IDS = ("new-one", "new-two")
RELATED = {"ending-korea": ("why-a-driver",)}  # as in the small pack's files
REMOVED = None
ORIGINAL = {i: re.search(r"(?m)^title: (.*)$", (SMALL_PACK / FILM / "entries" / f"{i}.yaml")
                         .read_text(encoding="utf-8"))[1] for i in FILE_IDS}
TITLES = st.sampled_from(["Title A", "Title B", "Title C", *ORIGINAL.values()])
STATS = {"acknowledged": 0, "refused": 0, "steps": 0}

ids = st.sampled_from(FILE_IDS + NEW_IDS)
file_ids = st.sampled_from(FILE_IDS)
op = st.one_of(
    st.tuples(st.just("edit"), ids, TITLES),
    st.tuples(st.just("remove"), ids, st.just("")),
    st.tuples(st.just("add"), st.sampled_from(NEW_IDS), TITLES),
    st.tuples(st.just("import"), ids, TITLES),
)


class Worker:
    """The second process."""

    def __init__(self, db: Path, pack: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.stateful_worker", str(db), str(pack)], cwd=REPO,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.recv()["ready"]

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def recv(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            raise AssertionError(f"the worker died:\n{self.proc.stderr.read()}")  # type: ignore[union-attr]
        return json.loads(line)

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        self.send(command)
        return self.recv()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Curation(RuleBasedStateMachine):
    """Two processes, one database, one knowledge folder, and a model of what must show."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(mkdtemp(prefix="dmc-stateful-"))
        self.pack = self.tmp / "knowledge"
        shutil.copytree(SMALL_PACK, self.pack)
        self.settings = Settings(db_path=self.tmp / "bot.db", knowledge_path=self.pack)
        self.app: App = open_app(self.settings)
        self.worker = Worker(self.settings.db_path, self.pack)
        self.disk: dict[str, str] = dict(ORIGINAL)  # id → title of each file on disk
        self.loaded: dict[str, str] = dict(ORIGINAL)  # the files as last loaded
        self.overrides: dict[str, str | None] = {}  # id → title, or REMOVED
        self.stash: dict[str, bytes] = {}  # files taken away, to put back
        self.imports = 0

    # ---------------------------------------------------------------- the model

    def view(self) -> dict[str, str]:
        shown = dict(self.loaded)
        for entry_id, title in self.overrides.items():
            if title is REMOVED:
                shown.pop(entry_id, None)
            else:
                shown[entry_id] = title
        return shown

    def _related_ok(self, entry_id: str, also: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
        view = self.view()
        return all(rel in view or rel in also for rel in RELATED.get(entry_id, ()))

    def predict(self, kind: str, entry_id: str, title: str) -> tuple[bool, dict | None]:
        """Whether the operation must succeed, and the overrides after it."""
        view, after = self.view(), dict(self.overrides)
        if kind == "edit":
            if entry_id not in view or not self._related_ok(entry_id):
                return False, None
            if view[entry_id] != title:
                after[entry_id] = title
        elif kind == "remove":
            if entry_id not in view or any(entry_id in RELATED.get(other, ())
                                           for other in view if other != entry_id):
                return False, None
            after[entry_id] = REMOVED
        elif kind == "add":
            if entry_id in view:
                return False, None
            after[entry_id] = title
        elif kind == "import":
            if not self._related_ok(entry_id):
                return False, None
            if view.get(entry_id) != title:
                after[entry_id] = title
        return True, after

    def loaded_from_disk(self) -> None:
        """A successful load: the files as on disk, redundant versions dropped."""
        self.loaded = dict(self.disk)
        for entry_id, title in list(self.overrides.items()):
            if title is not REMOVED and self.loaded.get(entry_id) == title:
                del self.overrides[entry_id]

    def disk_valid(self) -> bool:
        try:
            load_knowledge(self.pack)
        except KnowledgeError:
            return False
        return True

    def command(self, kind: str, entry_id: str, title: str) -> dict[str, Any]:
        """The worker command for an operation (imports get a folder of their own)."""
        if kind != "import":
            return {"op": kind, "id": entry_id, "title": title}
        self.imports += 1
        folder = self.tmp / f"import-{self.imports}"
        (folder / FILM / "entries").mkdir(parents=True)
        if entry_id in FILE_IDS:
            text = (SMALL_PACK / FILM / "entries" / f"{entry_id}.yaml").read_text("utf-8")
            text = re.sub(r"(?m)^title: .*$", f"title: {title}", text)
        else:
            from bot.yamlout import dump_yaml

            text = dump_yaml(stateful_worker.new_entry(entry_id, title))
        (folder / FILM / "entries" / f"{entry_id}.yaml").write_text(text, encoding="utf-8")
        return {"op": "import", "dir": str(folder)}

    def apply(self, kind: str, entry_id: str, title: str, reply: dict[str, Any]) -> None:
        """Check a reply against the prediction, and take an acknowledged change in."""
        ok, after = self.predict(kind, entry_id, title)
        assert reply["ok"] == ok, (kind, entry_id, title, reply, self.view())
        STATS["acknowledged" if ok else "refused"] += 1
        if ok:
            self.overrides = after  # type: ignore[assignment]

    def here(self, kind: str, entry_id: str, title: str) -> dict[str, Any]:
        """Run an operation in this process, with the worker's code."""
        return stateful_worker.run(self.app, self.command(kind, entry_id, title))

    # ---------------------------------------------------------------- rules

    @initialize()
    def start(self) -> None:
        STATS["steps"] += 0

    @rule(where=st.sampled_from(["here", "worker"]), change=op)
    def curate(self, where: str, change: tuple[str, str, str]) -> None:
        command = self.command(*change)
        reply = self.here(*change) if where == "here" else self.worker.call(command)
        self.apply(*change, reply)

    @rule(where=st.sampled_from(["here", "worker"]))
    def reload(self, where: str) -> None:
        reply = stateful_worker.run(self.app, {"op": "reload"}) if where == "here" \
            else self.worker.call({"op": "reload"})
        assert reply["ok"] == self.disk_valid(), reply
        if reply["ok"]:
            self.loaded_from_disk()

    @rule(where=st.sampled_from(["here", "worker"]))
    def restart(self, where: str) -> None:
        if where == "here":
            self.app.close()
            self.app = open_app(self.settings)
        else:
            assert self.worker.call({"op": "restart"})["ok"]
        # a start loads the files only when they changed, and keeps the last good index
        # when they do not validate
        if self.disk != self.loaded and self.disk_valid():
            self.loaded_from_disk()

    @precondition(lambda self: self.disk == self.loaded or not self.disk_valid())
    @rule(reloads=st.integers(1, 4), changes=st.lists(op, min_size=1, max_size=5))
    def curate_while_the_worker_reloads(self, reloads: int,
                                        changes: list[tuple[str, str, str]]) -> None:
        valid = self.disk_valid()
        self.worker.send({"op": "storm", "n": reloads})
        for change in changes:
            self.apply(*change, self.here(*change))
        assert self.worker.recv()["ok"] == valid
        self.check_view()  # before anything settles the ambiguity below
        self.settle(valid)

    @precondition(lambda self: self.disk == self.loaded or not self.disk_valid())
    @rule(reloads=st.integers(1, 4), changes=st.lists(op, min_size=1, max_size=5))
    def reload_while_the_worker_curates(self, reloads: int,
                                        changes: list[tuple[str, str, str]]) -> None:
        valid = self.disk_valid()
        self.worker.send({"op": "batch", "ops": [self.command(*c) for c in changes]})
        for _ in range(reloads):
            reply = stateful_worker.run(self.app, {"op": "reload"})
            assert reply["ok"] == valid, reply
        for change, reply in zip(changes, self.worker.recv()["results"], strict=True):
            self.apply(*change, reply)
        self.check_view()
        self.settle(valid)

    def settle(self, valid: bool) -> None:
        """Whether a version the files already matched was dropped by a reload that ran
        alongside depends on timing (what shows does not): one more reload settles it."""
        if valid:
            assert stateful_worker.run(self.app, {"op": "reload"})["ok"]
            self.loaded_from_disk()

    @rule(entry_id=file_ids, title=TITLES)
    def retitle_a_file(self, entry_id: str, title: str) -> None:
        path = self.pack / FILM / "entries" / f"{entry_id}.yaml"
        if entry_id in self.stash:
            return
        path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}",
                               path.read_text(encoding="utf-8")), encoding="utf-8")
        self.disk[entry_id] = title

    @rule(entry_id=file_ids)
    def take_a_file_away(self, entry_id: str) -> None:
        """A half-finished checkout: the file is gone for a while."""
        path = self.pack / FILM / "entries" / f"{entry_id}.yaml"
        if entry_id in self.stash:
            return
        self.stash[entry_id] = path.read_bytes()
        path.unlink()
        del self.disk[entry_id]

    @precondition(lambda self: bool(self.stash))
    @rule(data=st.data())
    def put_a_file_back(self, data: st.DataObject) -> None:
        entry_id = data.draw(st.sampled_from(sorted(self.stash)))
        path = self.pack / FILM / "entries" / f"{entry_id}.yaml"
        path.write_bytes(self.stash.pop(entry_id))
        self.disk[entry_id] = re.search(r"(?m)^title: (.*)$", path.read_text("utf-8"))[1]

    # ---------------------------------------------------------------- what must hold

    def check_view(self) -> None:
        """The index shows exactly the model: no acknowledged change lost or undone."""
        shown = dict(self.app.db.execute("SELECT id, title FROM entries"))
        assert shown == self.view()

    @invariant()
    def check_index(self) -> None:
        """The index shows the model, and the moderators' rows are exactly the model's."""
        STATS["steps"] += 1
        self.check_view()
        rows = {i: (json.loads(d)["title"] if d else REMOVED)
                for i, d in self.app.db.execute("SELECT id, data FROM mod_entries")}
        assert rows == self.overrides

    def teardown(self) -> None:
        self.worker.close()
        self.app.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        report = os.environ.get("DMC_STATEFUL_REPORT")
        if report:
            Path(report).write_text(json.dumps(STATS))


Curation.TestCase.settings = settings(
    max_examples=int(os.environ.get("DMC_STATEFUL_EXAMPLES", "12")), stateful_step_count=25,
    deadline=None, suppress_health_check=[HealthCheck.too_slow])
TestCuration = Curation.TestCase
