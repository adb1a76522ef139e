"""Writing exported entries as files: what each file becomes, and writing them all or none.

An entry is written by editing its own file (``yamledit.splice_entry``): an unchanged
entry gives its file's bytes back, a one-field edit a one-field diff. Entries without a
file get the canonical text (``yamlout.dump_entry``).

Each target file gets a status:

* ``new``: it did not exist;
* ``unchanged``: it already says exactly this (not rewritten);
* ``updated``: it held a version the bot knows, the file as last loaded from the knowledge
  folder or as last exported, so replacing it loses nobody's work;
* ``conflict``: it differs from both the database and every version the bot knows, so
  someone changed it since (a hand edit, a pull): it is left alone and reported, unless
  the caller forces it (then ``replaced``).

All files are first written to temporary files next to their targets; only when every
one is on disk are they renamed into place. A failure while writing leaves nothing
changed; a failure while renaming (rare: a full or read-only disk) is reported with the
list of files written and not written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ExportFailed
from bot.knowledge import Entry
from bot.packfiles import EXTENSIONS
from bot.yamledit import splice_entry
from bot.yamlin import Refused, read_limited
from bot.yamlout import dump_entry, stage_file, sync_folder

WRITTEN = ("new", "updated", "replaced")


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    status: str  # new, updated, unchanged, conflict or replaced
    note: str = ""  # why, for a conflict


@dataclass(frozen=True)
class ExportResult:
    files: tuple[ExportedFile, ...]
    to_delete: tuple[Path, ...]  # files of entries moderators removed: delete them by hand

    @property
    def written(self) -> tuple[Path, ...]:
        return tuple(f.path for f in self.files if f.status in WRITTEN)

    @property
    def conflicts(self) -> tuple[ExportedFile, ...]:
        return tuple(f for f in self.files if f.status == "conflict")


@dataclass(frozen=True)
class Planned:
    path: Path
    text: str
    status: str
    note: str = ""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_file(root: Path, film: str, entry_id: str) -> Path | None:
    """The knowledge folder's file for an entry (``<id>.yaml`` or ``.yml``), if any."""
    for ext in EXTENSIONS:
        path = root / film / "entries" / f"{entry_id}.{ext}"
        if path.is_file():
            return path
    return None


def relative_path(root: Path, entry: Entry) -> str:
    """Where an entry's file goes, with ``/``: its existing name, or ``<id>.yaml``."""
    source = source_file(root, entry.film, entry.id)
    name = source.name if source else f"{entry.id}.yaml"
    return f"{entry.film}/entries/{name}"


def entry_text(entry: Entry, base: str | None) -> str:
    """The entry as file text: ``base`` (a file's text) edited, or the canonical text."""
    return (splice_entry(base, entry) if base is not None else None) or dump_entry(entry)


def read_text(path: Path) -> str | None:
    """A file's text, or None when it cannot be read as a knowledge file."""
    try:
        return read_limited(path).decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return None


def plan(entries: Iterable[Entry], out_dir: Path, root: Path,
         known: Callable[[Path], set[str]], force: bool = False) -> list[Planned]:
    """What each entry's file under ``out_dir`` becomes; ``known(path)`` gives the hashes
    of the versions of that file the bot may replace."""
    planned = []
    for entry in entries:
        path = out_dir / relative_path(root, entry)
        if not path.exists() and not path.is_symlink():
            source = source_file(root, entry.film, entry.id)
            base = read_text(source) if source else None
            planned.append(Planned(path, entry_text(entry, base), "new"))
            continue
        current = read_text(path)
        if current is None:
            planned.append(Planned(path, "", "conflict",
                                   "not a readable UTF-8 file; left as it is"))
            continue
        text = entry_text(entry, current)
        if current == text:
            planned.append(Planned(path, text, "unchanged"))
        elif sha256(current) in known(path):
            planned.append(Planned(path, text, "updated"))
        elif force:
            planned.append(Planned(path, text, "replaced"))
        else:
            planned.append(Planned(path, text, "conflict",
                                   "changed since the bot last loaded or exported it; left "
                                   "as it is (review it, or export with --force to replace "
                                   "it)"))
    return planned


def write_all(planned: list[Planned]) -> None:
    """Write every planned new/updated/replaced file: all of them, or none (see the module
    docstring); ExportFailed says which."""
    todo = [p for p in planned if p.status in WRITTEN]
    staged: list[tuple[Path, Path]] = []
    try:
        for item in todo:
            staged.append((stage_file(item.path, item.text), item.path))
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise ExportFailed(f"Nothing was written: cannot write {item.path}: "
                           f"{exc.strerror or exc}.", written=(), not_written=tuple(
                               p.path for p in todo)) from None
    done: list[Path] = []
    for n, (tmp, path) in enumerate(staged):
        try:
            os.replace(tmp, path)
        except OSError as exc:
            for left, _ in staged[n:]:
                left.unlink(missing_ok=True)
            rest = tuple(p for _, p in staged[n:])
            raise ExportFailed(
                f"The export stopped at {path}: {exc.strerror or exc}. Written: "
                f"{', '.join(map(str, done)) or 'none'}. Not written: "
                f"{', '.join(map(str, rest))}.", written=tuple(done), not_written=rest
            ) from None
        done.append(path)
    for folder in {path.parent for path in done}:
        sync_folder(folder)
