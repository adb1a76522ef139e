"""Rows of the index tables: an Entry and its stemmed terms as stored, and back again."""

from __future__ import annotations

import json

from bot.knowledge import Entry, Film, Source
from bot.store import dumps
from bot.words import normalize_all, stems_of, term_sequence, terms, words_all


def row_and_terms(entry: Entry, origin: str) -> tuple[dict, set[str], set[str]]:
    """The entries row, and the stemmed terms of its key fields and of its answer."""
    key_text = "\n".join([entry.title, *entry.questions, *entry.aliases, " ".join(entry.tags)])
    key, answer = terms(key_text), terms(entry.answer)
    return {
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
    }, key, answer


def fts_row(entry: Entry) -> tuple[str, ...]:
    """What FTS5 indexes for an entry, in ENTRY_SEARCH_COLUMNS order: stemmed words."""
    return (term_sequence(entry.title), term_sequence("\n".join(entry.questions)),
            term_sequence("\n".join(entry.aliases)), term_sequence(" ".join(entry.tags)),
            term_sequence(entry.answer))


def surface_words(entry: Entry) -> dict[str, str]:
    """Every distinct word of an entry and its stem: the known words typo fixes aim at."""
    text = "\n".join([entry.title, *entry.questions, *entry.aliases, " ".join(entry.tags),
                      entry.answer])
    found = sorted(set(words_all(normalize_all(text))))
    return dict(zip(found, stems_of(found), strict=True))


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
