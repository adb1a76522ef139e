"""Search over entries: SQLite FTS5 (via sqlite-utils) for recall, a calibrated model for
confidence.

FTS5's bm25 ranks well but its scores are not comparable across questions, so they cannot
tell "a good match" from "the least bad match". Each candidate therefore gets the features of
``bot.calibration`` (``bot.candidates`` works them out: how much of what the question is about
the entry covers, how many words the knowledge base has never seen, phrasing likeness, the
margin over the runner-up), and its confidence is the model's calibrated probability that it
is the right answer. Candidates are ranked by that probability.

One stemmer: FTS5 indexes the entries' Snowball-stemmed words (``entry_rows.index_entry``)
with the plain ``unicode61`` tokenizer, and questions are stemmed the same way, so the index,
coverage and typo fixes never disagree (FTS5's own ``porter`` would stem the stems again).

User text never reaches FTS syntax: it is cut into word tokens, and only known stems, each
quoted, go into the query, so quotes, ``AND``/``NEAR``, ``*``, ``:`` and SQL-looking text are
just words.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable

from sqlite_utils import Database

from bot.candidates import Hit, phrase_weights, score, with_lengths
from bot.entry_rows import entry_from_row, film_dict, index_entry
from bot.knowledge import Entry, Film
from bot.query import Lexicon, Query, analyse, idf
from bot.store import ENTRY_SEARCH_COLUMNS, get_meta, set_meta, write
from bot.usertext import clean
from bot.words import stem, words

log = logging.getLogger(__name__)

INDEX_VERSION = "7"  # bump when what is stored per entry changes: forces one rebuild
KEY_COLUMNS = ("title", "questions", "aliases", "tags")
_FTS_COLUMNS = ", ".join(ENTRY_SEARCH_COLUMNS)
_FTS_MARKS = ", ".join("?" * len(ENTRY_SEARCH_COLUMNS))
CANDIDATES = 20
TOP_CACHE = 2048  # recent FTS queries whose ranked row ids are kept (about 1 MB)
# bm25 column weights, in ENTRY_SEARCH_COLUMNS order: title, questions, aliases, tags, answer
WEIGHTS = (6.0, 5.0, 6.0, 2.0, 1.0)
# Words found in more than this share of entries (in large knowledge bases) are left out of
# the FTS query when the question has rarer words: they barely change the ranking, but make
# FTS5 score most of the table. They still count towards confidence.
COMMON_SHARE, COMMON_MIN_DF = 0.1, 100


def film_titles(films: Iterable[dict]) -> tuple[tuple[str, ...], ...]:
    """The films' titles and aliases of more than one word, as words, longest first (one
    word, such as "DMC", may mean something else too)."""
    titles = {tuple(words(name)) for film in films
              for name in (film.get("title", ""), *film.get("aliases", []))
              if len(words(name)) > 1}
    return tuple(sorted(titles, key=len, reverse=True))


class SearchIndex:
    """The ``entries`` table, its FTS5 index and the term vocabulary in one database."""

    def __init__(self, db: Database):
        self.db = db
        self._synonyms: dict[str, frozenset[str]] = {}
        self._lexicon: Lexicon | None = None  # vocabulary in memory, built lazily
        self._top: dict[tuple[str, int], tuple[tuple[int, float], ...]] = {}  # query → ranks
        self._titles: tuple[tuple[str, ...], ...] = ()
        if get_meta(db, "index_version") != INDEX_VERSION:
            with write(db):  # stored terms are stale: make the next sync rebuild them
                db.execute("DELETE FROM meta WHERE key = 'knowledge_hash'")
                set_meta(db, "index_version", INDEX_VERSION)
        self.refresh()

    # ---------------------------------------------------------------- writing

    def rebuild(self, entries: Iterable[Entry], films: Iterable[Film], *,
                moderated: frozenset[str] | set[str] = frozenset()) -> None:
        """Replace every entry, the FTS index and the vocabulary in one transaction.

        ``moderated`` names the entries that come from moderators rather than the files.
        """
        with write(self.db):
            for table in ("entries", "entries_fts", "vocab", "vocab_words", "films"):
                self.db.execute(f"DELETE FROM {table}")
            films = list(films)
            self.db["films"].insert_all(
                {"id": f.id, "data": json.dumps(film_dict(f), ensure_ascii=False)} for f in films
            )
            rows, fts, df, key_df = [], [], Counter[str](), Counter[str]()
            surface: dict[str, str] = {}
            titles = film_titles(film_dict(f) for f in films)
            for entry in entries:
                done = index_entry(entry, "moderator" if entry.id in moderated else "yaml",
                                   titles)
                rows.append(done.row)
                fts.append(done.fts)
                key_df.update(done.key)
                df.update(done.key | done.answer)
                surface.update(done.surface)
            weigh = phrase_weights({t: idf(len(rows), d) for t, d in df.items()})
            for row in rows:
                row["phrasings"] = with_lengths(row["phrasings"], weigh)
            self.db["entries"].insert_all(rows, batch_size=500)
            rowids = dict(self.db.execute("SELECT id, rowid FROM entries"))
            self.db.conn.executemany(
                f"INSERT INTO entries_fts (rowid, {_FTS_COLUMNS}) VALUES (?, {_FTS_MARKS})",
                ([rowids[r["id"]], *f] for r, f in zip(rows, fts, strict=True)))
            self._write_vocab(df, key_df, +1)
            self._write_words(surface)
        self.refresh()

    def upsert(self, entry: Entry, origin: str = "moderator") -> None:
        """Add or replace one entry (moderator edits); searchable at once."""
        with write(self.db):
            self._delete(entry.id)
            done = index_entry(entry, origin, self._titles)
            done.row["phrasings"] = with_lengths(done.row["phrasings"], self.lexicon().idfs)
            rowid = self.db["entries"].insert(done.row).last_rowid
            self.db.execute(
                f"INSERT INTO entries_fts (rowid, {_FTS_COLUMNS}) VALUES (?, {_FTS_MARKS})",
                [rowid, *done.fts])
            self._add_vocab([done.row], +1)
            self._write_words(done.surface)
        self._forget()

    def delete(self, entry_id: str) -> None:
        """Remove one entry from the index."""
        with write(self.db):
            self._delete(entry_id)
        self._forget()

    def _delete(self, entry_id: str) -> None:
        old = self.db.execute(
            "SELECT rowid, key_terms, answer_terms FROM entries WHERE id = ?", [entry_id],
        ).fetchone()
        if old:
            self.db.execute("DELETE FROM entries_fts WHERE rowid = ?", [old[0]])
            self._add_vocab([{"key_terms": old[1], "answer_terms": old[2]}], -1)
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

    def _write_words(self, surface: dict[str, str]) -> None:
        """Known words (for typo fixes); a word whose entries are gone maps to a stem with
        no documents, which the analysis ignores."""
        self.db.conn.executemany("INSERT OR IGNORE INTO vocab_words (word, stem) VALUES (?, ?)",
                                 surface.items())

    def refresh(self) -> None:
        """Reload the synonym table after the films changed."""
        self._synonyms = {}
        films = [json.loads(data) for (data,) in self.db.execute("SELECT data FROM films")]
        for film in films:
            for group in film.get("synonyms", []):
                stems = frozenset(stem(w) for w in group)
                for s in stems:
                    self._synonyms[s] = self._synonyms.get(s, frozenset()) | stems
        self._titles = film_titles(films)
        self._forget()

    def _forget(self) -> None:
        """Drop everything worked out from the index's content, after it changed."""
        self._lexicon = None
        self._top = {}
        self._n = self.db.execute("SELECT count(*) FROM entries").fetchone()[0]
        self._version = self._data_version()

    def _data_version(self) -> int:
        """Changes whenever another connection (the CLI, say) commits to the database."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def lexicon(self) -> Lexicon:
        """The vocabulary in memory: read once after each change of the index."""
        if self._lexicon is None:
            vocab, key = {}, set()
            for t, df, key_df in self.db.execute("SELECT term, df, key_df FROM vocab"):
                vocab[t] = df
                if key_df > 0:
                    key.add(t)
            surface = {w: s for w, s in self.db.execute("SELECT word, stem FROM vocab_words")}
            for group in self._synonyms.values():  # synonyms are known words too
                for s in group:
                    surface.setdefault(s, s)
            self._vocab = vocab
            n = self._n
            idfs = phrase_weights({t: idf(n, d) for t, d in vocab.items()})

            def dfs(stems: set[str]) -> dict[str, int]:
                return {s: vocab.get(s, 0) for s in stems}

            self._lexicon = Lexicon(self._n, dfs, key.__contains__, self._synonyms, surface,
                                    sorted(surface), self._titles, tuple(sorted(vocab)), idfs)
        return self._lexicon

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

    def analyse(self, question: str) -> Query:
        """The question taken apart against this knowledge base (``bot.query``)."""
        if self._data_version() != self._version:
            self.refresh()  # another process changed the knowledge base
        return analyse(question, self.lexicon())

    def search(self, question: str, limit: int = CANDIDATES) -> list[Hit]:
        """Best entries for ``question``, most probably right first. Never raises on user text."""
        return self.search_query(self.analyse(question), limit)

    def search_query(self, query: Query, limit: int = CANDIDATES) -> list[Hit]:
        """Best entries for an analysed question."""
        if not query.terms:
            return []
        common = max(COMMON_MIN_DF, COMMON_SHARE * self._n)
        selective = [t for t in query.terms if t.df <= common]
        columns = KEY_COLUMNS
        if not selective:  # only common words: the rarest finds candidates, in titles first
            selective, columns = [min(query.terms, key=lambda t: t.df)], ("title",)
        stems = sorted({s for t in selective for s in t.stems})
        words_or = " OR ".join(f'"{s}"' for s in stems)
        # An entry with none of the question's words in its title, questions, aliases or tags
        # is rarely the answer, so look there first and score far fewer rows; the whole text
        # is searched only when nothing matches there.
        rows = (self._ranked(f"{{{' '.join(columns)}}} : ({words_or})", CANDIDATES)
                or (columns != KEY_COLUMNS
                    and self._ranked(f"{{{' '.join(KEY_COLUMNS)}}} : ({words_or})", CANDIDATES))
                or self._ranked(words_or, CANDIDATES))
        hits = score(query, rows, self.lexicon().idfs)
        hits.sort(key=lambda h: (-h.confidence, h.rank))
        return hits[:limit]

    def _ranked(self, match: str, limit: int) -> list[tuple]:
        """Top rows for an FTS5 query, ranked by weighted bm25.

        Scoring is the costly part (every matching row), and chat asks the same things
        again and again, so the ranked row ids of recent queries are kept until the index
        changes; the rows themselves are always read fresh.
        """
        key = (match, limit)
        top = self._top.get(key)
        if top is None:  # one query: rank in FTS5, then join only the best rows
            rows = self._query(
                "SELECT e.rowid, e.id, e.title, e.spoiler, e.key_terms, e.answer_terms, "
                "e.phrasings, e.tags, t.rank FROM (SELECT rowid, "
                "bm25(entries_fts, ?, ?, ?, ?, ?) AS rank FROM entries_fts "
                "WHERE entries_fts MATCH ? ORDER BY rank LIMIT ?) AS t "
                "JOIN entries AS e ON e.rowid = t.rowid ORDER BY t.rank",
                [*WEIGHTS, match, limit])
            if len(self._top) >= TOP_CACHE:
                del self._top[next(iter(self._top))]  # the oldest
            self._top[key] = tuple((r[0], r[-1]) for r in rows)
            return [r[1:] for r in rows]
        if not top:
            return []
        rows = {r[0]: r[1:] for r in self.db.execute(
            "SELECT rowid, id, title, spoiler, key_terms, answer_terms, phrasings, tags "
            f"FROM entries WHERE rowid IN ({','.join('?' * len(top))})",
            [rowid for rowid, _ in top])}
        return [(*rows[rowid], rank) for rowid, rank in top if rowid in rows]

    def _query(self, sql: str, params: list) -> list[tuple]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # pragma: no cover - tokens are quoted stems only
            log.exception("FTS query failed: %r", params)
            return []

    def clear_cache(self) -> None:
        """Forget the ranked results of recent queries (benchmarks time uncached questions)."""
        self._top = {}
