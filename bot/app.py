"""App: the settings, database and search index, built once and shared by every front end.

The CLI, the console and the Discord bot all receive an ``App`` (discord.py's
``advanced_startup.py`` injection pattern) and call the domain functions with it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlite_utils import Database

from bot import __version__, entry_rows, fields, knowledge, search, words
from bot.config import Settings
from bot.errors import KnowledgeError
from bot.knowledge import Entry, Film, KnowledgeBase, entry_from_dict, load_knowledge
from bot.packfiles import content_hash
from bot.retention import purge_question_log
from bot.search import SearchIndex
from bot.store import dumps, get_meta, now, open_db, set_meta, write

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    index: SearchIndex
    _films: dict[str, Film] | None = field(default=None, repr=False)
    stale: str | None = None  # why the index is older than the files (they do not validate)

    def films(self) -> dict[str, Film]:
        """Films of the loaded packs, by id (read once per knowledge load, not per question)."""
        if self._films is None:
            rows = self.db.execute("SELECT data FROM films ORDER BY id").fetchall()
            films = [Film(**{**d, "aliases": tuple(d["aliases"]),
                             "synonyms": tuple(tuple(g) for g in d["synonyms"])})
                     for d in (json.loads(r[0]) for r in rows)]
            self._films = {f.id: f for f in films}
        return dict(self._films)

    def close(self) -> None:
        """Close the database (graceful shutdown)."""
        self.db.close()


def open_app(settings: Settings) -> App:
    """Open the database and make sure the index matches the knowledge files.

    When the files do not validate but the database holds a good index of the same
    folder, the app keeps answering from it and logs one warning (``kb check`` and
    ``kb reload`` still list every problem); without one, the KnowledgeError is raised.
    """
    db = open_db(settings.db_path, settings.secret_path)
    try:
        purge_question_log(db, settings.log_days)
        app = App(settings, db, SearchIndex(db))
        try:
            sync_knowledge(app)
        except KnowledgeError as exc:
            place, loaded_at = _place(settings), get_meta(db, "knowledge_loaded_at")
            if get_meta(db, "knowledge_root") != place or loaded_at is None:
                raise
            app.stale = (f"the knowledge files have {len(exc.problems)} problem(s); answering "
                         f"from the last good index (loaded {loaded_at[:19]} UTC) until they "
                         "are fixed: `python -m bot kb check` lists them")
            log.warning("%s", app.stale)
    except BaseException:
        db.close()
        raise
    return app


def attach_app(settings: Settings) -> App:
    """Another App on the same database, taking the index as it is (no sync, no purge).

    The bot's writer thread works through one of these next to the bot's own App: SQLite
    connections belong to the thread that opened them.
    """
    db = open_db(settings.db_path, settings.secret_path)
    return App(settings, db, SearchIndex(db))


@dataclass(frozen=True)
class Loaded:
    """What a knowledge load did: the files, and how the moderators' rows met them."""

    kb: KnowledgeBase
    kept: int  # moderators' versions of entries still layered on top of the files
    removals: int  # moderators' removals (kept: see bot.curation)
    dropped: tuple[str, ...]  # versions the files now match, dropped as redundant


def sync_knowledge(app: App, *, force: bool = False) -> Loaded | None:
    """Rebuild the index when the files (or the code that indexes them) changed.

    Returns None when nothing changed. Raises KnowledgeError (and leaves the index exactly
    as it was) when the files do not validate.

    The files are read outside any transaction (the slow part); then one BEGIN IMMEDIATE
    transaction re-reads the moderators' rows, decides which overrides are redundant,
    rebuilds the index and records the hash, so an edit or removal committed by another
    process while the files were being read is never lost or undone. The hash recorded is
    that of the bytes actually loaded, so a file that changed during the load is seen as
    changed at the next start.
    """
    root = Path(app.settings.knowledge_path)
    place = _place(app.settings)
    if not force:
        now_hash = content_hash(root) if root.is_dir() else "missing"
        if get_meta(app.db, "knowledge_hash") == _digest(place, now_hash):
            return None
    with _gc_paused():
        kb = load_knowledge(root)
        with write(app.db):
            rows = app.db.execute("SELECT id, data FROM mod_entries ORDER BY id").fetchall()
            entries, moderated, redundant = merge_overrides(kb, rows)
            app.db.conn.executemany("DELETE FROM mod_entries WHERE id = ?",
                                    [(entry_id,) for entry_id in redundant])
            app.index.rebuild(entries, kb.films.values(), moderated=moderated)
            app.db.execute("DELETE FROM interpretations")
            app.db["interpretations"].insert_all(
                {"id": f"{i.film}/{i.id}", "film": i.film, "position": n, "label": i.label,
                 "summary": i.summary, "sources": dumps([s.as_dict() for s in i.sources])}
                for items in kb.interpretations.values() for n, i in enumerate(items)
            )
            app.db.execute("DELETE FROM loaded_files")
            app.db.conn.executemany("INSERT INTO loaded_files (path, sha256) VALUES (?, ?)",
                                    kb.file_hashes.items())
            set_meta(app.db, "knowledge_hash", _digest(place, kb.digest))
            set_meta(app.db, "knowledge_root", place)
            set_meta(app.db, "knowledge_loaded_at", now())
        app._films = None
        app.stale = None
    log.info("knowledge index rebuilt: %s", kb.summary())
    removals = sum(1 for _, data in rows if data is None)
    return Loaded(kb, len(rows) - removals - len(redundant), removals, tuple(redundant))


def _place(settings: Settings) -> str:
    return str(Path(settings.knowledge_path).resolve())


def _digest(place: str, files_hash: str) -> str:
    """What the recorded hash covers: the folder, its files, and the indexing code."""
    return f"{place}:{files_hash}:{_code_fingerprint()}"


@cache
def _code_fingerprint() -> str:
    """A hash of the modules that decide what an index row holds: after an upgrade that
    changes tokenizing, stemming or validation, the next start rebuilds the index instead
    of serving one built by the old code."""
    digest = hashlib.sha256(__version__.encode())
    for module in (entry_rows, fields, knowledge, search, words):
        with suppress(OSError):  # no source files (a frozen build): the version alone
            digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk load.

    Loading allocates millions of objects that stay alive (YAML nodes, line maps, entries,
    rows), so the collector keeps scanning a growing heap for cycles that do not exist:
    about a tenth of a 10,000-entry cold start. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def merge_overrides(kb: KnowledgeBase, rows: Iterable[tuple[str, str | None]]
                    ) -> tuple[list[Entry], set[str], list[str]]:
    """YAML entries with the moderators' rows (id, JSON or NULL) layered on top.

    Returns the entries to index, the ids that come from moderators, and the ids of
    overrides the files now match (redundant: the caller drops them). The rules are in
    ``bot.curation``'s module docstring: a moderator's version wins over the file with the
    same id until the file says the same thing; a removal hides the file's entry and is
    never dropped by a reload.
    """
    entries = dict(kb.entries)
    moderated: set[str] = set()
    redundant: list[str] = []
    first_film = next(iter(kb.films), "")
    for row_id, data in rows:
        if data is None:
            entries.pop(row_id, None)
            continue
        stored = json.loads(data)
        film = stored.pop("film", None) or first_film
        entry, problems = entry_from_dict(stored, film, f"moderator entry {row_id}")
        if problems:  # kept (it was acknowledged), but a curator should look at it
            log.warning("moderator entry %s no longer validates: %s", row_id,
                        "; ".join(problems))
        if kb.entries.get(entry.id) == entry:
            redundant.append(row_id)
        else:
            moderated.add(entry.id)
        entries[entry.id] = entry
    return list(entries.values()), moderated, redundant
