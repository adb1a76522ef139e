"""Moving entries between the database and the YAML files: export, import and reload.

Moderator changes flow back into git as files (``export_*``), reviewed files flow in
(``import_entries``), and ``reload_knowledge`` re-reads ``knowledge/``; the conflict
rule between files and moderator overrides is described in ``bot.curation``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.app import App, sync_knowledge
from bot.curation import Problems, film_id, save_entry
from bot.errors import InvalidInput, KnowledgeError
from bot.exportfiles import (
    ExportedFile,
    ExportResult,
    entry_text,
    plan,
    read_text,
    relative_path,
    sha256,
    source_file,
    write_all,
)
from bot.knowledge import Entry, entry_from_dict, parse_entry
from bot.moderators import Actor, require_curator
from bot.packfiles import entry_files, file_key
from bot.store import now, write
from bot.yamlin import YamlDoc, load_yaml
from bot.yamlout import zip_files

__all__ = ["ExportResult", "ExportedFile"]  # the result types, for callers of export_entries

log = logging.getLogger("bot.curation")


def _moderator_entries(app: App) -> list[Entry]:
    entries = []
    for entry_id, data in app.db.execute(
            "SELECT id, data FROM mod_entries WHERE data IS NOT NULL ORDER BY id"):
        stored = json.loads(data)
        film = stored.pop("film", None) or film_id(app, None)
        entry, _ = entry_from_dict(stored, film, f"moderator entry {entry_id}")
        entries.append(entry)
    return entries


def _entries(app: App, only_moderator: bool) -> list[Entry]:
    if only_moderator:
        entries = _moderator_entries(app)
    else:
        ids = [r[0] for r in app.db.execute("SELECT id FROM entries ORDER BY id")]
        entries = [e for e in map(app.index.get, ids) if e is not None]
    return sorted(entries, key=lambda e: e.id)


def export_files(app: App, actor: Actor, only_moderator: bool = True) -> dict[str, str]:
    """``<film>/entries/<id>.yaml`` → file text, for moderator entries (or every entry).

    Each text is the entry's file in the knowledge folder with only the changed fields
    rewritten (unchanged entries come back byte for byte); new entries are canonical.
    """
    require_curator(actor, app.settings.kb_guilds, "export entries")
    root = Path(app.settings.knowledge_path)
    files = {}
    for entry in _entries(app, only_moderator):
        source = source_file(root, entry.film, entry.id)
        files[relative_path(root, entry)] = entry_text(entry, source and read_text(source))
    return files


def removed_entry_paths(app: App) -> list[str]:
    """``<film>/entries/<id>.yaml`` of removed entries whose file is still in the knowledge
    folder (a removal of an entry that only moderators had needs no file change)."""
    root = Path(app.settings.knowledge_path)
    paths = []
    for (entry_id,) in app.db.execute(
            "SELECT id FROM mod_entries WHERE data IS NULL ORDER BY id"):
        row = app.db.execute(
            "SELECT before FROM audit_log WHERE entry_id = ? AND before IS NOT NULL "
            "ORDER BY id DESC LIMIT 1", [entry_id]).fetchone()
        film = (json.loads(row[0]).get("film") if row else None) or film_id(app, None)
        source = source_file(root, film, entry_id)
        if source is not None:
            paths.append(f"{film}/entries/{source.name}")
    return paths


def export_entries(app: App, actor: Actor, out_dir: Path, only_moderator: bool = True, *,
                   force: bool = False) -> ExportResult:
    """Write entries as knowledge files under ``out_dir``; each file new, updated,
    unchanged or a conflict (left alone unless ``force``): see ``bot.exportfiles``.

    Removed entries are not written; their paths come back in ``to_delete``. Raises
    ExportFailed (saying what was written) when the disk refuses.
    """
    out_dir = Path(out_dir)
    require_curator(actor, app.settings.kb_guilds, "export entries")
    root = Path(app.settings.knowledge_path)

    def known(path: Path) -> set[str]:
        key = file_key(path)
        return {r[0] for r in app.db.execute(
            "SELECT sha256 FROM loaded_files WHERE path = ? "
            "UNION SELECT sha256 FROM exported_files WHERE path = ?", [key, key])}

    planned = plan(_entries(app, only_moderator), out_dir, root, known, force)
    with write(app.db):  # before the files: a version the bot wrote is one it may replace
        at = now()
        app.db["exported_files"].upsert_all(
            ({"path": file_key(p.path), "sha256": sha256(p.text), "at": at}
             for p in planned if p.status != "conflict"), pk="path")
    write_all(planned)
    to_delete = [out_dir / p for p in removed_entry_paths(app)]
    return ExportResult(tuple(ExportedFile(p.path, p.status, p.note) for p in planned),
                        tuple(to_delete))


def export_zip(app: App, actor: Actor, only_moderator: bool = True) -> bytes:
    """The exported files as one zip (for a Discord attachment); byte-stable."""
    return zip_files(export_files(app, actor, only_moderator))


def import_entries(app: App, actor: Actor, in_dir: Path) -> list[str]:
    """Add or update entries from ``in_dir/<film>/entries/<id>.yaml`` files; audit "import".

    Files are read and validated like the knowledge loader does; if any file has a
    problem, every problem is reported as ``path:line: message`` and nothing is imported.
    Returns one line per file: "added ID", "updated ID" or "unchanged ID".
    """
    require_curator(actor, app.settings.kb_guilds, "import entries")
    in_dir = Path(in_dir)
    if not in_dir.is_dir():
        raise InvalidInput(f"{in_dir} is not a folder.")
    listing = entry_files(in_dir)
    files = listing.files()
    if not files and not listing.problems:
        raise InvalidInput(f"No entry files in {in_dir} (expected <film>/entries/<id>.yaml, "
                           "the layout `kb export` writes).")
    films = app.films()
    problems: list[str] = list(listing.problems)
    parsed: list[tuple[YamlDoc, Entry]] = []
    seen: dict[str, str] = {}
    for path in (f.path for f in files):
        data, doc = load_yaml(path, str(path))
        if data is None and not doc.problems:
            doc.error((), "file is empty")
        if doc.problems:
            problems.extend(doc.problems)
            continue
        film = path.parent.parent.name
        if film not in films:
            doc.error((), f"unknown film folder '{film}' (known: {', '.join(sorted(films))})")
        entry = parse_entry(doc, data, film)
        if entry.id and entry.id != path.stem:
            doc.error(("id",), f"entry id '{entry.id}' must equal the file name '{path.stem}'")
        if entry.id in seen:
            doc.error(("id",), f"duplicate entry id '{entry.id}' (also in {seen[entry.id]})")
        seen.setdefault(entry.id, doc.path)
        parsed.append((doc, entry))
    for doc, entry in parsed:
        for i, rel in enumerate(entry.related):
            if rel == entry.id:
                doc.error(("related", i), "an entry cannot be related to itself")
            elif rel not in seen and app.index.get(rel) is None:
                doc.error(("related", i), f"related id '{rel}' does not exist")
        problems.extend(doc.problems)
    if problems:
        raise Problems(problems, head=f"Nothing was imported; {len(problems)} problem(s)")
    results = []
    try:
        with write(app.db):
            for _, entry in parsed:
                current = app.index.get(entry.id)
                if current == entry:
                    results.append(f"unchanged {entry.id}")
                    continue
                save_entry(app, actor, entry, "import", current)
                results.append(f"{'updated' if current else 'added'} {entry.id}")
    finally:
        app.index.refresh()
    log.info("import by %s: %s", actor.user_id, ", ".join(results))
    return results


# ---------------------------------------------------------------- reload


def reload_knowledge(app: App, actor: Actor) -> str:
    """Re-read the YAML files now and layer moderator overrides on top (see the module doc).

    On KnowledgeError (every problem as ``path:line: message``) the running index is left
    exactly as it was. Returns a one-line summary.
    """
    require_curator(actor, app.settings.kb_guilds, "reload the knowledge base")
    try:
        loaded = sync_knowledge(app, force=True)
    except KnowledgeError as exc:
        log.warning("reload refused, %d problem(s); the old index stays", len(exc.problems))
        raise
    assert loaded is not None  # forced: always loads
    summary = f"Reloaded the files ({loaded.kb.summary()})"
    summary += f"; {loaded.kept} moderator change(s) kept on top of the files"
    if loaded.dropped:
        summary += f", {len(loaded.dropped)} now in the files and dropped"
    if loaded.removals:
        summary += f"; {loaded.removals} removal(s) remembered"
    return summary + "."
