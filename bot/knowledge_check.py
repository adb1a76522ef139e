"""What ``kb check PATH`` validates: the whole knowledge base, one film's folder, or one file.

A film or a file is checked in the context of its knowledge base (synonyms, ids of
related entries, duplicate ids), exactly as the bot will load it, and only the problems of
that film or file are reported: a file passes when loading the knowledge base finds
nothing wrong with it, whatever the state of the other files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InvalidInput, KnowledgeError
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.packfiles import list_pack

PACK_FILES = ("film.yaml", "interpretations.yaml")


@dataclass(frozen=True)
class CheckResult:
    """Problems found in ``target`` (paths relative to ``root``'s parent, as the loader
    names them), and a summary of what it holds when everything loaded."""

    target: Path
    root: Path
    problems: tuple[str, ...]
    summary: str | None = None


def check_path(path: Path) -> CheckResult:
    """Check a knowledge folder, a film folder (it has film.yaml or entries/), or one file."""
    target = Path(os.path.abspath(path))
    if target.is_file():
        return _check_file(target)
    if target.name == "entries" and (target.parent / "film.yaml").is_file():
        target = target.parent  # a film's entries/ folder: check that film
    if target.is_dir() and ((target / "film.yaml").exists() or (target / "entries").is_dir()):
        return _check_film(target)
    try:
        kb = load_knowledge(target)
    except KnowledgeError as exc:
        return CheckResult(target, target, tuple(exc.problems))
    return CheckResult(target, target, (), kb.summary())


def _check_film(folder: Path) -> CheckResult:
    root = folder.parent
    label = _label(folder, root)
    kb, problems = _load(root)
    mine = tuple(p for p in problems if p.startswith((f"{label}/", f"{label}:")))
    summary = None
    if kb is not None:
        entries = sum(entry.film == folder.name for entry in kb.entries.values())
        readings = len(kb.interpretations.get(folder.name, []))
        summary = f"{entries} entries, {readings} interpretations"
    return CheckResult(folder, root, mine, summary)


def _check_file(path: Path) -> CheckResult:
    film = path.parent if path.name in PACK_FILES else path.parent.parent
    root = film.parent
    in_pack = path.parent.name == "entries" or path.name in PACK_FILES
    listing, label = list_pack(root), _label(path, root)  # a refused file is still checked
    refused = any(p.startswith(f"{label}:") for p in listing.problems)
    if not in_pack or (path not in {f.path for f in listing.files()} and not refused):
        raise InvalidInput(
            f"{path} is not a knowledge file: expected <knowledge>/<film>/entries/<id>.yaml, "
            "<knowledge>/<film>/film.yaml or <knowledge>/<film>/interpretations.yaml")
    _, problems = _load(root)
    return CheckResult(path, root, tuple(p for p in problems if p.startswith(f"{label}:")))


def _load(root: Path) -> tuple[KnowledgeBase | None, list[str]]:
    try:
        return load_knowledge(root), []
    except KnowledgeError as exc:
        return None, exc.problems


def _label(path: Path, root: Path) -> str:
    """The name the loader gives ``path`` in its problems (relative to ``root``'s parent)."""
    return str(path.relative_to(root.parent))
