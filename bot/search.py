"""Search over entries: SQLite FTS5 (via sqlite-utils) for recall, term coverage for confidence.

FTS5's bm25 ranks well but its scores are not comparable across questions, so
they cannot tell "a good match" from "the least bad match". Confidence is
therefore the share of the question's informative words (IDF-weighted) that the
entry actually contains. A question about another film always carries words the
knowledge base has never seen, which keeps its confidence low.

User text never reaches FTS syntax: it is cut into word tokens and each one is
quoted, so quotes, ``AND``/``NEAR``, ``*``, ``:`` and SQL-looking text are just words.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from bot.entry_rows import entry_from_row, film_dict, row_and_terms
from bot.knowledge import Entry, Film
from bot.store import ENTRY_SEARCH_COLUMNS, write
from bot.usertext import clean
from bot.words import STOPWORDS, deletions, one_edit, stem, words

log = logging.getLogger(__name__)

MAX_TERMS = 24
KEY_COLUMNS = ("title", "questions", "aliases", "tags")
_FTS_COLUMNS = ", ".join(ENTRY_SEARCH_COLUMNS)
_FTS_MARKS = ", ".join("?" * len(ENTRY_SEARCH_COLUMNS))
CANDIDATES = 20
TOP_CACHE = 2048  # recent FTS queries whose ranked row ids are kept (about 1 MB)
PHRASINGS_CACHE = 20_000  # entries whose phrasing stems are kept (a few MB at most)
# bm25 column weights, in ENTRY_SEARCH_COLUMNS order: title, questions, aliases, tags, answer
WEIGHTS = (6.0, 5.0, 6.0, 2.0, 1.0)
ANSWER_ONLY_WEIGHT = 0.5  # a word found only in the answer counts half
TYPO_WEIGHT = 0.8  # a word matched only through a typo correction
# Words found in more than this share of entries (in large knowledge bases) are left out of
# the FTS query when the question has rarer words: they barely change the ranking, but make
# FTS5 score most of the table. They still count towards confidence.
COMMON_SHARE, COMMON_MIN_DF = 0.1, 100

@dataclass(frozen=True)
class Hit:
    """One candidate entry for a question."""

    id: str
    title: str
    spoiler: bool
    confidence: float  # 0..1: share of the question's informative words the entry covers
    rank: float  # bm25 (lower is better), for tie-breaking


@dataclass(frozen=True)
class _Term:
    word: str  # normalized surface form from the question
    stem: str
    alternatives: frozenset[str]  # stems that count as this term (synonyms)
    corrections: frozenset[str]  # stems that count through typo correction
    df: int
    idf: float


class SearchIndex:
    """The ``entries`` table, its FTS5 index and the term vocabulary in one database."""

    def __init__(self, db: Database):
        self.db = db
        self._synonyms: dict[str, frozenset[str]] = {}
        self._deletes: dict[str, tuple[str, ...]] | None = None  # typo table, built lazily
        self._phrasings: dict[str, tuple[tuple[str, ...], ...]] = {}  # entry id → stems
        self._top: dict[tuple[str, int], tuple[tuple[int, float], ...]] = {}  # query → ranks
        self.refresh()

    # ---------------------------------------------------------------- writing

    def rebuild(self, entries: Iterable[Entry], films: Iterable[Film], *,
                moderated: frozenset[str] | set[str] = frozenset()) -> None:
        """Replace every entry, the FTS index and the vocabulary in one transaction.

        ``moderated`` names the entries that come from moderators rather than the files.
        """
        with write(self.db):
            self.db.execute("DELETE FROM entries")
            self.db.execute("DELETE FROM vocab")
            self.db.execute("DELETE FROM films")
            self.db["films"].insert_all(
                {"id": f.id, "data": json.dumps(film_dict(f), ensure_ascii=False)} for f in films
            )
            rows, df, key_df = [], Counter[str](), Counter[str]()
            for entry in entries:
                row, key, answer = row_and_terms(
                    entry, "moderator" if entry.id in moderated else "yaml")
                rows.append(row)
                key_df.update(key)
                df.update(key | answer)
            self.db["entries"].insert_all(rows, batch_size=500)
            self.db["entries"].rebuild_fts()  # one bulk pass beats indexing row by row
            self._write_vocab(df, key_df, +1)
        self.refresh()

    def upsert(self, entry: Entry, origin: str = "moderator") -> None:
        """Add or replace one entry (moderator edits); searchable at once."""
        with write(self.db):
            self._delete(entry.id)
            row = row_and_terms(entry, origin)[0]
            rowid = self.db["entries"].insert(row).last_rowid
            self.db.execute(
                f"INSERT INTO entries_fts (rowid, {_FTS_COLUMNS}) VALUES (?, {_FTS_MARKS})",
                [rowid, *(row[c] for c in ENTRY_SEARCH_COLUMNS)])
            self._add_vocab([row], +1)
        self._forget()

    def delete(self, entry_id: str) -> None:
        """Remove one entry from the index."""
        with write(self.db):
            self._delete(entry_id)
        self._forget()

    def _delete(self, entry_id: str) -> None:
        old = self.db.execute(
            f"SELECT rowid, {_FTS_COLUMNS}, key_terms, answer_terms FROM entries WHERE id = ?",
            [entry_id],
        ).fetchone()
        if old:
            # external-content FTS5: remove the indexed text with the values it was indexed with
            self.db.execute(
                f"INSERT INTO entries_fts (entries_fts, rowid, {_FTS_COLUMNS}) "
                f"VALUES ('delete', ?, {_FTS_MARKS})", list(old[:6]))
            self._add_vocab([{"key_terms": old[6], "answer_terms": old[7]}], -1)
            self.db.execute("DELETE FROM entries WHERE id = ?", [entry_id])

    def _add_vocab(self, rows: list[dict], sign: int) -> None:
        df: Counter[str] = Counter()
        key_df: Counter[str] = Counter()
        for row in rows:
            key = set(row["key_terms"].split())
            key_df.update(key)
            df.update(key | set(row["answer_terms"].split()))
        self._write_vocab(df, key_df, sign)

    def _write_vocab(self, df: Counter[str], key_df: Counter[str], sign: int) -> None:
        """Add (or with sign -1, take away) document counts per term."""
        self.db.conn.executemany(
            "INSERT INTO vocab (term, df, key_df) VALUES (?, ?, ?) "
            "ON CONFLICT(term) DO UPDATE "
            "SET df = df + excluded.df, key_df = key_df + excluded.key_df",
            [(t, sign * n, sign * key_df[t]) for t, n in df.items()],
        )
        if sign < 0:
            self.db.execute("DELETE FROM vocab WHERE df <= 0")

    def refresh(self) -> None:
        """Reload the synonym table after the films changed."""
        self._synonyms = {}
        for (data,) in self.db.execute("SELECT data FROM films"):
            for group in json.loads(data).get("synonyms", []):
                stems = frozenset(stem(w) for w in group)
                for s in stems:
                    self._synonyms[s] = self._synonyms.get(s, frozenset()) | stems
        self._n = self.db.execute("SELECT count(*) FROM entries").fetchone()[0]
        self._forget()

    def _forget(self) -> None:
        """Drop everything worked out from the index's content, after it changed."""
        self._deletes = None
        self._phrasings = {}
        self._top = {}
        self._version = self._data_version()

    def _data_version(self) -> int:
        """Changes whenever another connection (the CLI, say) commits to the database."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    # ---------------------------------------------------------------- reading

    def count(self) -> int:
        return self._n

    def get(self, entry_id: str) -> Entry | None:
        """The stored entry with this id (YAML or moderator), or None."""
        cursor = self.db.execute("SELECT * FROM entries WHERE id = ?", [entry_id])
        row = cursor.fetchone()  # a plain query: sqlite-utils' rows_where costs 6x more here
        return entry_from_row(dict(zip([c[0] for c in cursor.description], row, strict=True))) \
            if row else None

    def ids(self, prefix: str = "", limit: int = 25) -> list[tuple[str, str]]:
        """(id, title) pairs whose id or title starts with / contains ``prefix`` (autocomplete)."""
        like = f"%{clean(prefix).replace('%', '').replace('_', '')}%"
        return [
            (r[0], r[1])
            for r in self.db.execute(
                "SELECT id, title FROM entries WHERE id LIKE ? OR title LIKE ? ORDER BY id LIMIT ?",
                [like, like, limit],
            )
        ]

    def search(self, question: str, limit: int = CANDIDATES) -> list[Hit]:
        """Best entries for ``question``, most confident first. Never raises on user text."""
        if self._data_version() != self._version:
            self.refresh()  # another process changed the knowledge base
        query_terms = self._analyse(question)
        if not query_terms:
            return []
        common = max(COMMON_MIN_DF, COMMON_SHARE * self._n)
        selective = [t for t in query_terms if t.df <= common] or [
            min(query_terms, key=lambda t: t.df)]  # all common: the rarest one finds candidates
        fts_words = sorted(
            {t.word for t in selective}
            | {s for t in selective for s in t.alternatives | t.corrections}
        )
        words_or = " OR ".join(f'"{w}"' for w in fts_words)
        # Only an entry with a word of the question in its title, questions, aliases or tags
        # can reach ANSWER_THRESHOLD (answer-only words count half), so look there first and
        # score far fewer rows; the whole text is searched only to suggest closest topics.
        rows = (self._ranked(f"{{{' '.join(KEY_COLUMNS)}}} : ({words_or})", limit)
                or self._ranked(words_or, limit))
        total = sum(t.idf for t in query_terms)
        scored = []
        for entry_id, title, spoiler, key_terms, answer_terms, questions, rank in rows:
            covered = _coverage(query_terms, set(key_terms.split()), set(answer_terms.split()))
            scored.append((Hit(entry_id, title, bool(spoiler), covered / total, rank),
                           (title, questions)))
        best = max((round(h.confidence, 2) for h, _ in scored), default=0.0)
        asked = {stem(w) for w in words(question[:4000])}
        asked |= {c for t in query_terms for c in t.corrections | t.alternatives}

        def order(item: tuple[Hit, tuple[str, str]]) -> tuple[float, float, float]:
            hit, (title, questions) = item
            confidence = round(hit.confidence, 2)
            # Among entries that cover the question equally well, prefer the one whose title
            # or listed question is phrased most like it ("why ... korea" → the "why" entry).
            alike = 0.0
            if confidence == best:
                alike = _phrasing(asked, self._phrasing_stems(hit.id, title, questions))
            return (-confidence, -alike, hit.rank)

        scored.sort(key=order)
        return [hit for hit, _ in scored[:limit]]

    def _phrasing_stems(self, entry_id: str, title: str, questions: str
                        ) -> tuple[tuple[str, ...], ...]:
        """The distinct stems of an entry's title and of each listed question, worked out
        once (as tuples, which the garbage collector stops scanning)."""
        found = self._phrasings.get(entry_id)
        if found is None:
            found = tuple(tuple({stem(w) for w in words(text)})
                          for text in (title, *questions.split("\n")))
            if len(self._phrasings) >= PHRASINGS_CACHE:
                del self._phrasings[next(iter(self._phrasings))]  # the oldest
            self._phrasings[entry_id] = found
        return found

    def _ranked(self, match: str, limit: int) -> list[tuple]:
        """Top rows for an FTS5 query, ranked by weighted bm25.

        Scoring is the costly part (every matching row), and chat asks the same things
        again and again, so the ranked row ids of recent queries are kept until the index
        changes; the rows themselves are always read fresh.
        """
        key = (match, max(limit, CANDIDATES))
        top = self._top.get(key)
        if top is None:
            try:
                top = tuple(self.db.execute(
                    "SELECT rowid, bm25(entries_fts, ?, ?, ?, ?, ?) AS rank FROM entries_fts "
                    "WHERE entries_fts MATCH ? ORDER BY rank LIMIT ?",
                    [*WEIGHTS, match, key[1]],
                ))
            except sqlite3.OperationalError:  # pragma: no cover - tokens are quoted words only
                log.exception("FTS query failed for %r", match)
                return []
            if len(self._top) >= TOP_CACHE:
                del self._top[next(iter(self._top))]  # the oldest
            self._top[key] = top
        if not top:
            return []
        rows = {r[0]: r[1:] for r in self.db.execute(
            "SELECT rowid, id, title, spoiler, key_terms, answer_terms, questions FROM entries "
            f"WHERE rowid IN ({','.join('?' * len(top))})", [rowid for rowid, _ in top])}
        return [(*rows[rowid], rank) for rowid, rank in top if rowid in rows]

    def _analyse(self, question: str) -> list[_Term]:
        """The question's informative words, stemmed, with synonyms, typo fixes and IDF.

        Document counts are read for a batch of words at a time (one query, not one per word).
        """
        candidates: dict[str, str] = {}  # stem → the first word with that stem, in order
        for word in words(question[:4000]):
            if word not in STOPWORDS:
                candidates.setdefault(stem(word), word)
        pending = list(candidates.items())
        seen: dict[str, _Term] = {}
        while pending and len(seen) < MAX_TERMS:
            batch, pending = pending[:2 * MAX_TERMS], pending[2 * MAX_TERMS:]
            alternatives = {s: self._synonyms.get(s, frozenset({s})) for s, _ in batch}
            dfs = self._dfs(set().union(*alternatives.values()))
            fixes = {s: self._corrections(s) | self._corrections(word) for s, word in batch
                     if len(word) >= 5 and not word.isdigit()
                     and not any(dfs[a] for a in alternatives[s])}
            fix_dfs = self._dfs(set().union(*fixes.values())) if fixes else {}
            for s, word in batch:
                if len(seen) >= MAX_TERMS:
                    break
                df = max(dfs[a] for a in alternatives[s])
                if not df and word.isdigit():
                    continue  # an unknown number ("saab 9000", "5 minutes") says little
                corrections = fixes.get(s, frozenset())
                if s in fixes:
                    df = max((fix_dfs[c] for c in corrections), default=0)
                idf = math.log(1 + (self._n - df + 0.5) / (df + 0.5))
                seen[s] = _Term(word, s, alternatives[s], corrections, df, idf)
        return list(seen.values())

    def _dfs(self, stems: Iterable[str]) -> dict[str, int]:
        stems = list(stems)
        if not stems:
            return {}
        marks = ",".join("?" * len(stems))
        found = dict(self.db.execute(f"SELECT term, df FROM vocab WHERE term IN ({marks})", stems))
        return {s: found.get(s, 0) for s in stems}

    def _corrections(self, word: str) -> frozenset[str]:
        """Known key terms one edit away (delete, insert, substitute, transpose)."""
        if self._deletes is None:
            table: dict[str, list[str]] = {}
            for (term,) in self.db.execute("SELECT term FROM vocab WHERE key_df > 0"):
                if len(term) >= 4:
                    for variant in deletions(term):
                        table.setdefault(variant, []).append(term)
            # Tuples of strings, unlike sets, drop out of the garbage collector's scans, which
            # would otherwise walk this whole table now and then in the middle of a question.
            self._deletes = {variant: tuple(terms) for variant, terms in table.items()}
        found: set[str] = set()
        for variant in deletions(word):
            found.update(self._deletes.get(variant, ()))
        return frozenset(t for t in found if one_edit(word, t))


def _phrasing(asked: set[str], phrasings: tuple[tuple[str, ...], ...]) -> float:
    """Best Jaccard similarity between the question's words (stopwords included) and a phrasing
    (each a tuple of distinct stems)."""
    best = 0.0
    for theirs in phrasings:
        if theirs:
            shared = len(asked.intersection(theirs))
            best = max(best, shared / (len(asked) + len(theirs) - shared))
    return best


def _coverage(query_terms: list[_Term], key: set[str], answer: set[str]) -> float:
    covered = 0.0
    for t in query_terms:
        if t.alternatives & key:
            covered += t.idf
        elif t.corrections & key:
            covered += t.idf * TYPO_WEIGHT
        elif (t.alternatives | t.corrections) & answer:
            covered += t.idf * ANSWER_ONLY_WEIGHT
    return covered
