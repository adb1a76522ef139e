"""Knowledge packs: YAML files → validated Film / Entry / Interpretation dataclasses.

Files are read by ``bot.yamlin`` (safe loader, line-aware), so every problem can
name ``path:line``. Validation collects every problem before failing, because a
curator fixing a pack wants the whole list at once (Red's trivia loader lesson).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import KnowledgeError
from bot.fields import SLUG, Fields
from bot.packfiles import FilmFolder, PackFile, combine_digests, file_key, list_pack
from bot.yamlin import Refused, YamlDoc, parse_yaml_bytes, read_limited

WORD = re.compile(r"^[^\W_]+$")

ENTRY_LIMITS = {"title": 200, "answer": 1500, "question": 200, "alias": 80, "id": 64}
LABEL_MAX = 80
SUMMARY_MAX = 1000
INTERPRETATION_ID_MAX = 40


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a web page, or a scene of the film."""

    title: str = ""
    url: str = ""
    scene: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"scene": self.scene} if self.scene else {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Film:
    id: str
    title: str
    year: int
    director: str
    aliases: tuple[str, ...] = ()
    spoilers: str = "hidden"
    synonyms: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Entry:
    id: str
    film: str
    title: str
    questions: tuple[str, ...]
    answer: str
    sources: tuple[Source, ...]
    tags: tuple[str, ...]
    spoiler: bool
    related: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The entry in YAML file shape (key order as curators write it)."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "questions": list(self.questions),
            "answer": self.answer,
            "sources": [s.as_dict() for s in self.sources],
            "tags": list(self.tags),
            "spoiler": self.spoiler,
        }
        if self.related:
            data["related"] = list(self.related)
        if self.aliases:
            data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class Interpretation:
    id: str
    film: str
    label: str
    summary: str
    sources: tuple[Source, ...]


@dataclass
class KnowledgeBase:
    films: dict[str, Film] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    interpretations: dict[str, list[Interpretation]] = field(default_factory=dict)
    digest: str = ""  # content_hash() of exactly the bytes this was loaded from
    file_hashes: dict[str, str] = field(default_factory=dict)  # file_key → sha256 as loaded

    def summary(self) -> str:
        n_interp = sum(len(v) for v in self.interpretations.values())
        return (
            f"{len(self.films)} film{'s' * (len(self.films) != 1)}, "
            f"{len(self.entries)} entries, {n_interp} interpretations"
        )


# ---------------------------------------------------------------- packs

FILM_KEYS = ("id", "title", "year", "director", "aliases", "spoilers", "synonyms")
ENTRY_KEYS = ("id", "title", "questions", "answer", "sources", "tags", "spoiler", "related",
              "aliases")
INTERPRETATION_KEYS = ("id", "label", "summary", "sources")


def parse_sources(f: Fields, key: str = "sources") -> tuple[Source, ...]:
    """A list of ``{title, url}`` links or ``{scene}`` references, at most ten."""
    out = []
    for i, item in enumerate(f.items(key, most=10)):
        at = (*f.where, key, i)
        if isinstance(item, dict) and "scene" in item:
            scene = Fields(f.doc, item, at, ("scene",))
            out.append(Source(scene=scene.text("scene", 300)))
            continue
        link = Fields(f.doc, item, at, ("title", "url"))
        title, url = link.text("title", 300), link.text("url", 500)
        if url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
            f.doc.error((*at, "url"),
                        f"source url must start with http:// or https://, got '{url}'")
        out.append(Source(title=title, url=url))
    return tuple(out)


def parse_entry(doc: YamlDoc, data: Any, film: str, where: tuple[Any, ...] = ()) -> Entry:
    """Validate one entry mapping; problems go to ``doc.problems``."""
    f = Fields(doc, data, where, ENTRY_KEYS)
    return Entry(
        id=f.slug("id", ENTRY_LIMITS["id"]),
        film=film,
        title=f.text("title", ENTRY_LIMITS["title"]),
        questions=f.texts("questions", ENTRY_LIMITS["question"], most=12),
        answer=f.text("answer", ENTRY_LIMITS["answer"]),
        sources=parse_sources(f),
        tags=f.texts("tags", 40, most=10, pattern=SLUG, what="a lowercase slug"),
        spoiler=f.boolean("spoiler"),
        related=f.texts("related", 64, most=5, required=False),
        aliases=f.texts("aliases", ENTRY_LIMITS["alias"], most=20, required=False),
    )


def entry_from_dict(data: Any, film: str, label: str) -> tuple[Entry, list[str]]:
    """Validate an entry that did not come from a file (moderator input, the database)."""
    doc = YamlDoc(label)
    return parse_entry(doc, data, film), doc.problems


class _Reader:
    """Reads each pack file once: the bytes it parses are the bytes it hashes, so the digest
    recorded with an index always describes what that index was built from."""

    def __init__(self, kb: KnowledgeBase, problems: list[str]):
        self.kb, self.problems = kb, problems
        self.digests: dict[str, bytes] = {}  # label → sha256 of the bytes parsed
        self.folders: dict[Path, str] = {}  # folder → its real path (file_key, once a folder)

    def load(self, file: PackFile) -> tuple[Any, YamlDoc]:
        doc = YamlDoc(file.label)
        try:
            raw = read_limited(file.path)
        except Refused as exc:
            doc.problems.append(f"{file.label}:1: {exc}")
            return None, doc
        digest = hashlib.sha256(raw)
        self.digests[file.label] = digest.digest()
        folder = file.path.parent
        real = self.folders.get(folder) or self.folders.setdefault(folder, file_key(folder))
        self.kb.file_hashes[os.path.join(real, file.path.name)] = digest.hexdigest()
        return parse_yaml_bytes(raw, doc)


def _load_film(folder: FilmFolder, reader: _Reader, problems: list[str]) -> Film | None:
    if folder.film is None:
        if not folder.film_found:
            problems.append(f"{folder.label}/film.yaml:1: missing film.yaml in {folder.label}")
        return None
    data, doc = reader.load(folder.film)
    if data is None and not doc.problems:
        doc.error((), "file is empty")
    if doc.problems:
        problems.extend(doc.problems)
        return None
    name = folder.path.name
    f = Fields(doc, data, (), FILM_KEYS)
    film_id = f.slug("id", 64)
    if film_id and film_id != name:
        doc.error(("id",), f"film id '{film_id}' must equal its folder name '{name}'")
    year = f.data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1880 <= year <= 2100:
        doc.error(("year",), "'year' must be a year such as 2021")
        year = 0
    spoilers = f.data.get("spoilers", "hidden")
    if spoilers not in ("hidden", "shown"):
        doc.error(("spoilers",), "'spoilers' must be 'hidden' or 'shown'")
    groups = []
    raw_groups = f.data.get("synonyms") or []
    if not isinstance(raw_groups, list):
        doc.error(("synonyms",), "'synonyms' must be a list of lists of words")
        raw_groups = []
    for i, group in enumerate(raw_groups):
        if not isinstance(group, list) or len(group) < 2:
            doc.error(("synonyms", i), "each synonym group must list at least two words")
            continue
        words = tuple(str(w).strip().lower() for w in group)
        bad = [w for w in words if not WORD.match(w)]
        if bad:
            doc.error(("synonyms", i), f"synonyms must be single words, got {bad[0]!r}")
        groups.append(words)
    film = Film(
        id=film_id,
        title=f.text("title", 200),
        year=year,
        director=f.text("director", 200),
        aliases=f.texts("aliases", 100, most=20, required=False),
        spoilers=spoilers if spoilers in ("hidden", "shown") else "hidden",
        synonyms=tuple(groups),
    )
    problems.extend(doc.problems)
    return film


def load_knowledge(root: Path) -> KnowledgeBase:
    """Load and validate every pack under ``root``; raise KnowledgeError listing all problems.

    Which files are read at all (regular files inside the folder, under the size limit) is
    decided by ``bot.packfiles``; its refusals are problems like any other.
    """
    root = Path(root)
    kb = KnowledgeBase()
    if not root.is_dir():
        raise KnowledgeError([f"{root}:1: knowledge folder not found"])
    listing = list_pack(root)
    problems = list(listing.problems)
    if not listing.folders and not problems:
        problems.append(f"{root}:1: no film packs (expected folders such as drive-my-car/)")
    reader = _Reader(kb, problems)
    # per entry: its problems so far, and the line of each related id (checked last)
    entry_lines: dict[str, tuple[YamlDoc, tuple[int, ...]]] = {}
    for folder in listing.folders:
        film = _load_film(folder, reader, problems)
        film_id = film.id if film else folder.path.name
        if film:
            kb.films[film.id] = film
        _load_entries(folder, reader, film_id, kb, problems, entry_lines)
        _load_interpretations(folder, reader, film_id, kb, problems)
    for entry in kb.entries.values():
        doc, lines = entry_lines[entry.id]
        for line, rel in zip(lines, entry.related, strict=True):
            if rel not in kb.entries:
                doc.problems.append(f"{doc.path}:{line}: related id '{rel}' does not exist")
            elif rel == entry.id:
                doc.problems.append(f"{doc.path}:{line}: an entry cannot be related to itself")
        problems.extend(doc.problems)
    if problems:
        raise KnowledgeError(problems)
    kb.digest = combine_digests([], ((f.label, reader.digests[f.label])
                                     for f in listing.files()))
    return kb


def _load_entries(folder: FilmFolder, reader: _Reader, film_id: str, kb: KnowledgeBase,
                  problems: list[str], entry_lines: dict[str, tuple[YamlDoc, tuple[int, ...]]]
                  ) -> None:
    if not folder.entries_found:
        problems.append(f"{folder.label}:1: missing entries/ folder")
        return
    for file in folder.entries:
        data, doc = reader.load(file)
        if data is None and not doc.problems:
            doc.error((), "file is empty")
        if doc.problems:
            problems.extend(doc.problems)
            continue
        stem = file.path.name.rpartition(".")[0]
        entry = parse_entry(doc, data, film_id)
        if entry.id and entry.id != stem:
            doc.error(("id",), f"entry id '{entry.id}' must equal the file name '{stem}'")
        if entry.id in kb.entries:
            first = entry_lines[entry.id][0].path
            doc.error(("id",), f"duplicate entry id '{entry.id}' (also in {first})")
            problems.extend(doc.problems)
            continue
        if entry.id:
            kb.entries[entry.id] = entry
            related_lines = tuple(doc.line("related", i) for i in range(len(entry.related)))
            doc.root = None  # let the node tree go: 10,000 of them would double peak memory
            entry_lines[entry.id] = (doc, related_lines)
        else:
            problems.extend(doc.problems)


def _load_interpretations(folder: FilmFolder, reader: _Reader, film_id: str,
                          kb: KnowledgeBase, problems: list[str]) -> None:
    if folder.interpretations is None:
        return
    data, doc = reader.load(folder.interpretations)
    if not doc.problems and not isinstance(data, list):
        doc.error((), "interpretations.yaml must be a list of readings")
        data = []
    items: list[Interpretation] = []
    seen: set[str] = set()
    for i, item in enumerate(data or []):
        f = Fields(doc, item, (i,), INTERPRETATION_KEYS)
        interp = Interpretation(
            id=f.slug("id", INTERPRETATION_ID_MAX),
            film=film_id,
            label=f.text("label", LABEL_MAX),
            summary=f.text("summary", SUMMARY_MAX),
            sources=parse_sources(f),
        )
        if interp.id in seen:
            doc.error((i, "id"), f"duplicate interpretation id '{interp.id}'")
        seen.add(interp.id)
        items.append(interp)
    if len(items) == 1:
        doc.error((), "a poll needs at least 2 interpretations")
    problems.extend(doc.problems)
    kb.interpretations[film_id] = items
