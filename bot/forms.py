"""Entry data from a few lines of free text: what a Discord modal or the console collects.

A modal holds five text inputs (title, questions, answer, sources, tags), so each list
is written one item per line or comma separated, and ``entry_data_from_form`` turns them
into the YAML file's shape for ``curation.add_entry`` / ``edit_entry`` to validate.
``form_defaults`` goes the other way, to pre-fill an edit form.

Sources, one per line, in any of these forms::

    Golden Globes interview | https://goldenglobes.com/articles/...
    https://eiga.com/movie/94037/review/        (the title becomes the host: eiga.com)
    scene: Kafuku and Misaki at the ruins of her house
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from bot.errors import InvalidInput
from bot.knowledge import ENTRY_LIMITS, Entry, Source
from bot.usertext import clean

# What each field of the entry form can hold, from the entry rules (``bot.knowledge``): the
# form's limits are these, so Discord shows them while the moderator types and never takes
# text the core would refuse. Discord's text inputs hold at most 4000 characters.
QUESTIONS_MOST, SOURCES_MOST, TAGS_MOST, TAG_MAX = 12, 10, 10, 40  # as parse_entry checks
TEXT_INPUT_MAX = 4000
FORM_LIMITS = {
    "title": ENTRY_LIMITS["title"],
    "questions": min(TEXT_INPUT_MAX, QUESTIONS_MOST * (ENTRY_LIMITS["question"] + 1) - 1),
    "answer": ENTRY_LIMITS["answer"],
    "sources": TEXT_INPUT_MAX,
    "tags": TAGS_MOST * (TAG_MAX + 2) - 2,  # "a, b, ..." at their longest
}
_URL_AT_END = re.compile(r"^(?P<title>.*?)[\s|]*(?P<url>https?://\S+)$", re.IGNORECASE)
_SCENE = re.compile(r"^scene\s*:\s*(?P<scene>.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
SOURCE_FORMS = "'Title | https://link', a bare https:// link, or 'scene: which scene'"


# Little words an id cut short should not end with ("...-at-the-ruins-of" → "...-ruins").
_DANGLING = frozenset("a an and as at by for from in into is of on or the to with".split())


def slugify(text: str, limit: int = ENTRY_LIMITS["id"]) -> str:
    """A valid entry id from a title: ``Why is Misaki in Korea?`` → ``why-is-misaki-in-korea``.

    Accents are dropped; a title with no latin letters or digits gets ``entry-<hash>``. A
    long title is cut at a word boundary (mid-word only when its first word alone is longer
    than half the limit), without little words dangling at the end.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        if slug[limit] != "-":  # the limit falls inside a word: leave that word out
            head = cut.rsplit("-", 1)[0]
            cut = head if "-" in cut and len(head) > limit // 2 else cut
        words = cut.strip("-").split("-")
        while len(words) > 1 and words[-1] in _DANGLING:
            words.pop()
        slug = "-".join(words)
    return slug or "entry-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _lines(text: str) -> list[str]:
    """Non-empty lines, trimmed, without list bullets (``- ``, ``* ``, ``1. ``)."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _BULLET.sub("", line.strip()).strip()
        if line and line not in out:
            out.append(line)
    return out


def _words(text: str, separators: str = r"[,\s]+") -> list[str]:
    return list(dict.fromkeys(w.strip() for w in re.split(separators, text) if w.strip()))


def parse_sources(text: str) -> list[dict[str, str]]:
    """Source lines → ``[{title, url} | {scene}]``; InvalidInput names every bad line."""
    sources, problems = [], []
    for n, line in enumerate(_lines(text), 1):
        scene = _SCENE.match(line)
        url = _URL_AT_END.match(line)
        if scene:
            sources.append({"scene": scene["scene"].strip()})
        elif url:
            title = url["title"].strip().rstrip("|:-–—").strip()
            host = (urlsplit(url["url"]).hostname or url["url"]).removeprefix("www.")
            sources.append({"title": title or host, "url": url["url"]})
        else:
            problems.append(f"sources line {n} ('{line[:60]}') is not a source; "
                            f"write {SOURCE_FORMS}")
    if problems:
        raise InvalidInput("\n".join(problems))
    return sources


def entry_data_from_form(title: str, questions_text: str, answer: str, sources_text: str,
                         tags_text: str, id: str | None = None, spoiler: bool | None = False,
                         related_text: str = "", aliases_text: str = "") -> dict[str, Any]:
    """The five modal fields (plus optional extras) as entry data in the YAML file's shape.

    Questions: one per line. Sources: one per line (see the module doc). Tags: comma or
    space separated, lower-cased. ``id`` defaults to a slug of the title. ``spoiler=None``
    leaves the key out, so an edit keeps the entry's current flag; ``related_text`` and
    ``aliases_text`` are left out when empty for the same reason. The answer is kept as
    written (markdown included); only line endings are normalized.
    """
    title, questions_text, answer, sources_text, tags_text, related_text, aliases_text = map(
        clean, (title, questions_text, answer, sources_text, tags_text, related_text, aliases_text))
    title = " ".join(title.split())
    data: dict[str, Any] = {
        "id": (id or "").strip() or slugify(title),
        "title": title,
        "questions": _lines(questions_text),
        "answer": answer.replace("\r\n", "\n").replace("\r", "\n").strip(),
        "sources": parse_sources(sources_text),
        "tags": [t.lstrip("#").lower() for t in _words(tags_text)],
    }
    if spoiler is not None:
        data["spoiler"] = bool(spoiler)
    if related_text.strip():
        data["related"] = _words(related_text)
    if aliases_text.strip():
        data["aliases"] = _words(aliases_text, r"\s*[,\n]\s*")
    return data


def source_text(source: Source) -> str:
    """One source as a form line (the inverse of ``parse_sources``)."""
    return f"scene: {source.scene}" if source.scene else f"{source.title} | {source.url}"


def form_defaults(entry: Entry) -> dict[str, str]:
    """An entry as form text, to pre-fill an edit modal or prompt."""
    return {
        "id": entry.id,
        "title": entry.title,
        "questions": "\n".join(entry.questions),
        "answer": entry.answer,
        "sources": "\n".join(source_text(s) for s in entry.sources),
        "tags": ", ".join(entry.tags),
        "related": ", ".join(entry.related),
        "aliases": ", ".join(entry.aliases),
    }
