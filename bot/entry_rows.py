"""Rows of the index tables: an Entry and its stemmed terms as stored, and back again."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.knowledge import Entry, Film, Source
from bot.store import dumps
from bot.words import CUE_WORDS, STOPWORDS, is_filler, normalize_all, stems_of, words_all


@dataclass(frozen=True)
class Indexed:
    """What the index stores for one entry, from one pass over its text."""

    row: dict  # the entries row
    key: set[str]  # stemmed terms of title, questions, aliases and tags
    answer: set[str]  # stemmed terms of the answer
    fts: tuple[str, ...]  # stemmed words per ENTRY_SEARCH_COLUMNS column, for FTS5
    surface: dict[str, str]  # every distinct word and its stem, for typo fixes


def index_entry(entry: Entry, origin: str,
                titles: tuple[tuple[str, ...], ...] = ()) -> Indexed:
    """The entries row, its stemmed terms, its FTS5 text and its words: each field is
    tokenized once and each distinct word stemmed once.

    ``titles``: the films' names as words ("drive my car"), left out of the phrasings as
    they are left out of questions (``bot.query``): every entry is about the film.
    """
    fields = (entry.title, "\n".join(entry.questions), "\n".join(entry.aliases),
              " ".join(entry.tags), entry.answer)
    tokens = [words_all(normalize_all(text)) for text in fields]
    distinct = sorted(set().union(*tokens))
    stems = dict(zip(distinct, stems_of(distinct), strict=True))
    content = [[stems[w] for w in field if w not in STOPWORDS] for field in tokens]
    key = {s for field in content[:4] for s in field}
    answer = set(content[4])
    row = {
        "id": entry.id,
        "film": entry.film,
        "title": entry.title,
        "questions": "\n".join(entry.questions),
        "aliases": "\n".join(entry.aliases),
        "tags": " ".join(entry.tags),
        "answer": entry.answer,
        "sources": dumps([s.as_dict() for s in entry.sources]),
        "related": dumps(list(entry.related)),
        "spoiler": int(entry.spoiler),
        "origin": origin,
        "key_terms": " ".join(sorted(key)),
        "answer_terms": " ".join(sorted(answer)),
        "phrasings": "\n".join(
            phrasing(words_all(normalize_all(text)), stems, titles)
            for text in (entry.title, *entry.questions, *entry.aliases)),
    }
    return Indexed(row, key, answer, tuple(" ".join(field) for field in content), stems)


def phrasing(tokens: list[str], stems: dict[str, str],
             titles: tuple[tuple[str, ...], ...] = ()) -> str:
    """One way of asking (a title, a listed question, an alias) as the index keeps it: the
    distinct stems of its words in order (function words too: "what does everyone here think
    the ending means" is not "what does the ending mean"), without chat words and without
    the film's title."""
    for title in titles:
        n, i = len(title), 0
        while n and i + n <= len(tokens):
            if tuple(tokens[i:i + n]) == title:
                del tokens[i:i + n]
            else:
                i += 1
    kept = dict.fromkeys(stems[w] for w in tokens
                         if w in CUE_WORDS or w in STOPWORDS or not is_filler(w))
    return " ".join(kept)


def entry_from_row(row: dict) -> Entry:
    """The Entry a row of the entries table holds."""
    return Entry(
        id=row["id"],
        film=row["film"],
        title=row["title"],
        questions=tuple(q for q in row["questions"].split("\n") if q),
        answer=row["answer"],
        sources=tuple(Source(**s) for s in json.loads(row["sources"])),
        tags=tuple(row["tags"].split()),
        spoiler=bool(row["spoiler"]),
        related=tuple(json.loads(row["related"])),
        aliases=tuple(a for a in row["aliases"].split("\n") if a),
    )


def film_dict(film: Film) -> dict:
    """A film as stored (JSON) in the films table."""
    return {
        "id": film.id,
        "title": film.title,
        "year": film.year,
        "director": film.director,
        "aliases": list(film.aliases),
        "spoilers": film.spoilers,
        "synonyms": [list(g) for g in film.synonyms],
    }
