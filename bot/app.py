"""App: the settings, database and search index, built once and shared by every front end.

The CLI, the console and the Discord bot all receive an ``App`` (discord.py's
``advanced_startup.py`` injection pattern) and call the domain functions with it.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from bot.config import Settings
from bot.knowledge import (
    Entry,
    Film,
    KnowledgeBase,
    content_hash,
    entry_from_dict,
    load_knowledge,
)
from bot.retention import purge_question_log
from bot.search import SearchIndex
from bot.store import dumps, get_meta, open_db, set_meta, write

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    index: SearchIndex
    _films: dict[str, Film] | None = field(default=None, repr=False)

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
    """Open the database and make sure the index matches the knowledge files."""
    db = open_db(settings.db_path, settings.secret_path)
    purge_question_log(db, settings.log_days)
    index = SearchIndex(db)
    app = App(settings, db, index)
    sync_knowledge(app)
    return app


def attach_app(settings: Settings) -> App:
    """Another App on the same database, taking the index as it is (no sync, no purge).

    The bot's writer thread works through one of these next to the bot's own App: SQLite
    connections belong to the thread that opened them.
    """
    db = open_db(settings.db_path, settings.secret_path)
    return App(settings, db, SearchIndex(db))


def sync_knowledge(app: App, *, force: bool = False) -> KnowledgeBase | None:
    """Rebuild the index when the YAML changed (content hash); return the KB if reloaded.

    Raises KnowledgeError (and leaves the current index untouched) when the files
    do not validate.
    """
    root = Path(app.settings.knowledge_path)
    digest = f"{root.resolve()}:{content_hash(root) if root.is_dir() else 'missing'}"
    if not force and get_meta(app.db, "knowledge_hash") == digest:
        return None
    with _gc_paused():
        kb = load_knowledge(root)
        entries = merge_overrides(app.db, kb)
        moderated = {r[0] for r in app.db.execute("SELECT id FROM mod_entries")}
        app.index.rebuild(entries, kb.films.values(), moderated=moderated)
        app._films = None
    with write(app.db):
        app.db.execute("DELETE FROM interpretations")
        app.db["interpretations"].insert_all(
            {"id": f"{i.film}/{i.id}", "film": i.film, "position": n, "label": i.label,
             "summary": i.summary, "sources": dumps([s.as_dict() for s in i.sources])}
            for items in kb.interpretations.values() for n, i in enumerate(items)
        )
        set_meta(app.db, "knowledge_hash", digest)
    log.info("knowledge index rebuilt: %s", kb.summary())
    return kb


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


def merge_overrides(db: Database, kb: KnowledgeBase) -> list[Entry]:
    """YAML entries with moderator overrides layered on top.

    Rule: a moderator's version of an entry wins over the YAML file with the same
    id, and a moderator's removal hides it. Once the YAML says the same thing (the
    override was exported and committed), the override is dropped as redundant.
    """
    entries = dict(kb.entries)
    for row in list(db["mod_entries"].rows):
        data = json.loads(row["data"]) if row["data"] else None
        film = data.pop("film", None) if data else None
        if data is None:
            if row["id"] in entries:
                del entries[row["id"]]
            else:
                db["mod_entries"].delete(row["id"])
            continue
        entry, problems = entry_from_dict(data, film or next(iter(kb.films), ""),
                                          f"moderator entry {row['id']}")
        if problems:  # kept (it was acknowledged), but a curator should look at it
            log.warning("moderator entry %s no longer validates: %s", row["id"],
                        "; ".join(problems))
        yaml_entry = kb.entries.get(entry.id)
        if yaml_entry is not None and yaml_entry.as_dict() == entry.as_dict():
            db["mod_entries"].delete(row["id"])
        entries[entry.id] = entry
    return list(entries.values())
