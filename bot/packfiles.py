"""Which files make up a knowledge pack, and which are refused before anyone reads them.

A pack is ``<root>/<film>/film.yaml``, ``interpretations.yaml`` and ``entries/<id>.yaml``
(or ``.yml``). Everything a person can put there is listed here first, and a file is read
only if it is a regular file no bigger than the limit, inside the knowledge folder.
Symbolic links may point anywhere inside the folder (and the folder itself may be a link);
a link leading out of it is refused, so the bot never reads a file nobody meant to publish.
Names that look meant to be loaded (``x.YAML``, ``x.yaml.txt``, ``x.ymal``, ``film.yml``)
are reported rather than skipped silently; dotfiles and editor leftovers (``x.yaml~``,
``.x.yaml.swp``) are ignored. Every refusal is one ``path:1: message`` line.

``load_knowledge`` and ``content_hash`` share this listing, so they agree on what the pack
is, and neither can raise OSError, hang on a FIFO or run out of memory on a device.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.yamlin import MAX_FILE_BYTES, Refused, file_kind, read_limited

PACK_NAMES = ("film.yaml", "interpretations.yaml")
EXTENSIONS = ("yaml", "yml")
_LEFTOVERS = ("~", ".bak", ".orig", ".rej", ".swp", ".swo", ".tmp")


@dataclass(frozen=True)
class PackFile:
    path: Path
    label: str  # how problems name it: relative to the knowledge folder's parent


@dataclass
class FilmFolder:
    path: Path
    label: str
    film: PackFile | None = None  # None: missing, or refused (then a problem says why)
    film_found: bool = False  # film.yaml exists, usable or not
    interpretations: PackFile | None = None
    entries: list[PackFile] = field(default_factory=list)
    entries_found: bool = False  # entries/ exists, usable or not


@dataclass
class Listing:
    folders: list[FilmFolder] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def files(self) -> list[PackFile]:
        """Every file that may be read, in a stable order."""
        out = []
        for folder in self.folders:
            out += [f for f in (folder.film, folder.interpretations) if f is not None]
            out += folder.entries
        return out


def label_of(path: Path, root: Path) -> str:
    """``knowledge/drive-my-car/entries/x.yaml``: the path from the knowledge folder's parent."""
    try:
        return shown(str(path.relative_to(root.parent)))
    except ValueError:
        return shown(str(path))


def shown(text: str) -> str:
    """A file name as one printable line: a newline or a byte that is not UTF-8 in a name
    (both allowed on Linux) is escaped, so every problem stays one ``path:line: message``."""
    if text.isprintable():
        return text
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def file_key(path: Path) -> str:
    """One name per file, however it was reached (a relative path, a linked folder): the
    real path of its folder, and its own name."""
    return os.path.join(os.path.realpath(path.parent), path.name)


def list_pack(root: Path) -> Listing:
    """Every file of the pack under ``root`` that may be read, and a problem for each refusal."""
    return _Walk(Path(root)).listing


def entry_files(root: Path) -> Listing:
    """The entry files of ``root/<film>/entries/`` (the layout ``kb export`` writes), with
    the same refusals as a pack; film.yaml is not needed. For ``kb import``."""
    walk = _Walk(Path(root), films=False, full_labels=True)
    for entry in walk._scan(walk.root):
        if not entry.name.startswith(".") and entry.is_dir() and not entry.is_symlink():
            entries = Path(entry.path) / "entries"
            if entries.is_dir() and not entries.is_symlink():
                folder = FilmFolder(Path(entry.path), walk.label(Path(entry.path)))
                folder.entries = walk._entry_files(entries)
                walk.listing.folders.append(folder)
    return walk.listing


def pack_files(root: Path) -> list[PackFile]:
    """Every file of the pack that may be read, in a stable order."""
    return list_pack(root).files()


def content_hash(root: Path) -> str:
    """Hash of the pack: every file's name and bytes, and every refusal.

    The index is rebuilt only when it changes. Never raises: a file that cannot be read
    counts by its problem, so fixing it changes the hash too.
    """
    listing = list_pack(root)
    problems = list(listing.problems)
    files = []
    for file in listing.files():
        try:
            files.append((file.label, hashlib.sha256(read_limited(file.path)).digest()))
        except Refused as exc:
            problems.append(f"{file.label}:1: {exc}")
    return combine_digests(problems, files)


def combine_digests(problems: Iterable[str], files: Iterable[tuple[str, bytes]]) -> str:
    """The pack hash from its problems and each file's (label, sha256 of its bytes)."""
    digest = hashlib.sha256()
    for problem in problems:
        digest.update(b"problem\0" + _utf8(problem) + b"\0")
    for label, file_digest in files:
        digest.update(_utf8(label) + b"\0" + file_digest)
    return digest.hexdigest()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # file names need not be UTF-8


class _Walk:
    """One pass over the knowledge folder, building a Listing."""

    def __init__(self, root: Path, *, films: bool = True, full_labels: bool = False):
        self.root, self.full_labels = root, full_labels
        self.real_root = os.path.realpath(root)
        self.listing = Listing()
        for entry in self._scan(root) if films else ():
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() and self._link_target(Path(entry.path)) is None:
                continue
            if entry.is_dir():  # follows a link that stays inside
                self._film_folder(Path(entry.path))

    def label(self, path: Path) -> str:
        return shown(str(path)) if self.full_labels else label_of(path, self.root)

    def _problem(self, path: Path, message: str) -> None:
        self.listing.problems.append(f"{self.label(path)}:1: {message}")

    def _scan(self, folder: Path) -> list[os.DirEntry[str]]:
        """A folder's entries sorted by name (comparing names is much faster than Paths)."""
        try:
            with os.scandir(folder) as found:
                return sorted(found, key=lambda e: e.name)
        except OSError as exc:
            self._problem(folder, f"cannot read folder ({exc.strerror or exc})")
            return []

    def _film_folder(self, path: Path) -> None:
        folder = FilmFolder(path, self.label(path))
        self.listing.folders.append(folder)
        for entry in self._scan(path):
            name = entry.name
            if name == "film.yaml":
                folder.film_found = True
                folder.film = self._usable(entry)
            elif name == "interpretations.yaml":
                folder.interpretations = self._usable(entry)
            elif name == "entries":
                folder.entries_found = True
                if entry.is_symlink() and self._link_target(Path(entry.path)) is None:
                    continue
                if entry.is_dir():
                    folder.entries = self._entry_files(Path(entry.path))
                else:
                    self._problem(Path(entry.path), "entries must be a folder of entry files")
            elif not _ignored(name):
                meant = _pack_name_meant(name)
                if meant:
                    self._problem(Path(entry.path), f"not loaded: rename it to {meant}")

    def _entry_files(self, folder: Path) -> list[PackFile]:
        files = []
        prefix = self.label(folder)  # labels by concatenation: 10,000 relative_to() are slow
        for entry in self._scan(folder):
            name = entry.name
            if _ignored(name):
                continue
            if name.rpartition(".")[2] in EXTENSIONS:
                if entry.is_file(follow_symlinks=False):  # the usual case: no system call
                    files.append(PackFile(folder / name, f"{prefix}/{shown(name)}"))
                    continue
                usable = self._usable(entry)
                if usable is not None:
                    files.append(usable)
                continue
            meant = _entry_name_meant(name)
            if meant:
                self._problem(Path(entry.path), f"not loaded: rename it to {meant}")
        return files

    def _usable(self, entry: os.DirEntry[str]) -> PackFile | None:
        """The file if it may be read; else None, with the reason added to the problems.

        Size is checked again when the file is read (``read_limited``), so a regular file
        in entries/ skips this stat.
        """
        path = Path(entry.path)
        try:
            info = self._link_target(path) if entry.is_symlink() else \
                entry.stat(follow_symlinks=False)
        except OSError as exc:
            self._problem(path, f"cannot read file ({exc.strerror or exc})")
            return None
        if info is None:
            return None
        if not stat.S_ISREG(info.st_mode):
            self._problem(path, f"not a regular file ({file_kind(info.st_mode)})")
            return None
        if info.st_size > MAX_FILE_BYTES:
            self._problem(path, f"file is {info.st_size} bytes; the limit is {MAX_FILE_BYTES}")
            return None
        return PackFile(path, self.label(path))

    def _link_target(self, path: Path) -> os.stat_result | None:
        """The target's stat if a symbolic link stays inside the knowledge folder; else None,
        with a problem (broken, a loop, or leading out)."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            self._problem(path, f"broken symbolic link (to {shown(os.readlink(path))})")
            return None
        except OSError as exc:
            self._problem(path, f"unusable symbolic link ({exc.strerror or exc})")
            return None
        target = os.path.realpath(path)
        if os.path.commonpath([self.real_root, target]) != self.real_root:
            self._problem(path, "symbolic link leads out of the knowledge folder "
                                f"(to {shown(target)})")
            return None
        return info


def _ignored(name: str) -> bool:
    """Dotfiles and editor or merge leftovers: never entries, never worth a problem."""
    return name.startswith(".") or name.lower().endswith(_LEFTOVERS)


def _entry_name_meant(name: str) -> str | None:
    """The name a file in entries/ probably should have (``x.YAML``, ``x.ymal``,
    ``x.yaml.txt``), or None when it does not look like an entry at all (``README.md``)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return None
    bare = ext.strip().lower()
    if bare in EXTENSIONS or (bare != "xml" and any(_close(bare, e) for e in EXTENSIONS)):
        return f"{stem.strip()}.yaml"
    inner, _, inner_ext = stem.rpartition(".")
    if inner and inner_ext.lower() in EXTENSIONS:
        return stem
    return None


def _pack_name_meant(name: str) -> str | None:
    """``film.yaml`` or ``interpretations.yaml`` for names close to them (``Film.yaml``,
    ``film.yml``, ``interpretation.yaml``)."""
    stem, _, ext = name.strip().lower().partition(".")
    if not any(_close(ext.rpartition(".")[2], e) for e in EXTENSIONS):
        return None
    return next((want for want in PACK_NAMES if _close(stem, want.partition(".")[0])), None)


def _close(a: str, b: str) -> bool:
    """At most one insertion, deletion, substitution or swap of neighbours apart."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) <= 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
