"""Per-question latency of ``answers.ask`` next to three peers, on distinct, uncached questions.

For each knowledge base size, a synthetic pack (benchmarks/synth.py) is indexed once, then each
distinct question is timed once per engine, interleaved question by question (the order
rotating), so that drift in the machine's speed hits all of them alike:

- ``ask``: ``answers.ask(app, q)`` as production runs it, logging the question (a durable
  write); and ``ask, not logged`` (``log=False``), the same minus that write;
- ``fts5 bm25()``: the floor, plain SQLite FTS5 on the same table: the bot's own tokens (its
  stems, stopwords dropped) as one OR query, ``ORDER BY bm25() LIMIT 1``; the gap to ``ask``
  is what the ability to abstain costs (analysis, features, the calibrated model);
- ``bm25s``: sparse-matrix BM25 (numpy) over the same stemmed entry text, same query tokens;
- ``rank_bm25``: ``BM25Okapi`` (pure Python, scans every entry), same documents and tokens.

The bot's cache of recent rankings is cleared before every timed ``ask``, so no timing is a
cache hit. What the cache buys is its own row: a stream in which REPEAT_SHARE of questions
repeat one of the last 50 (chat asks the same things again), timed with and without it.
The "worst hostile question" row is the slowest ``ask`` over texts at the /ask input limit
(1,000 characters) built to make the analysis work hard: NFKD-expanding characters, long
unknown words, walls of question marks, typos, emoji.

Reported: p50 and p99 in milliseconds, each peer's time divided by ours, and, so that speed is
not bought with wrong answers, recall@1 on in-scope questions and abstention on out-of-scope
ones (the peers cannot abstain).

    python benchmarks/bench_ask.py --sizes 100,1000,10000 --questions 1000 [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bm25s
import numpy as np
from rank_bm25 import BM25Okapi

from benchmarks import synth
from bot.answers import ANSWER, ask
from bot.app import open_app
from bot.config import Settings
from bot.words import is_filler, stem, term_sequence, words

WARMUP = 20
TARGET_P99_MS = 2.0  # at 10,000 entries
TARGET_SPEEDUP = 10.0  # against rank_bm25, at 10,000 entries, for p50 and p99
TARGET_FLOOR_RATIO = 2.0  # ask within 2x of plain FTS5 bm25()
TARGET_HOSTILE_MS = 20.0
REPEAT_SHARE = 0.3
INPUT_LIMIT = 1000  # the /ask option's length limit


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def query_tokens(text: str) -> list[str]:
    """The tokens every engine gets: the bot's stems of the question's words, with the
    stopwords and chat shorthand it drops dropped."""
    return [stem(w) for w in words(text) if not is_filler(w)]


def peer_corpus(app) -> tuple[list[str], list[list[str]]]:
    """The indexed entries as stemmed token lists (the same text FTS5 indexes), by id."""
    rows = app.db.execute(
        "SELECT id, title, questions, aliases, tags, answer FROM entries ORDER BY id").fetchall()
    return [r[0] for r in rows], [term_sequence(" ".join(r[1:])).split() for r in rows]


def fts5_floor(app, tokens: list[str]) -> int | None:
    """Plain FTS5 bm25() on the bot's own index: the best rowid for these tokens."""
    if not tokens:
        return None
    match = " OR ".join(f'"{t}"' for t in dict.fromkeys(tokens))
    row = app.db.execute(
        "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? ORDER BY bm25(entries_fts) "
        "LIMIT 1", [match]).fetchone()
    return row[0] if row else None


def hostile_questions(rng: random.Random) -> list[str]:
    """Texts at the input limit built to make tokenizing, typo fixing and splitting work."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    long_words = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(15, 40)))
                          for _ in range(60))
    typos = " ".join(rng.choice(["misaky", "koera", "takatski", "kafku", "epilouge",
                                 "supermaket", "glaucma", "hokaido", "qzxv", "wat"])
                     for _ in range(250))
    return [t[:INPUT_LIMIT] for t in (
        "㌖" * INPUT_LIMIT,  # NFKD: one character becomes six letters
        "ﷺ" * INPUT_LIMIT,  # NFKD: eighteen characters
        long_words,
        typos,
        "why? and how? " * 100,
        "misaki " * 200,
        "a" * INPUT_LIMIT,
        "🚗💨 " * 400,
        "\ud800 misaki \udfff korea " * 60,  # lone surrogates
        " ".join(rng.choice(letters) * rng.randint(1, 3) for _ in range(500)),
    )]


def run_size(size: int, n_questions: int, seed: int = 1, cache: Path | None = None,
             peer_questions: int | None = None) -> dict:
    """Time ask and the peers over distinct questions at one size."""
    pack = synth.pack_for(size, seed, cache)
    seen: set[str] = set()
    questions = [q for q in synth.questions_for(pack, n_questions * 2, seed=seed + 6)
                 if not (q.text in seen or seen.add(q.text))][:n_questions]
    warmup = synth.questions_for(pack, WARMUP, seed=seed + 1000)
    with tempfile.TemporaryDirectory() as folder:
        db = synth.indexed_db(pack, Path(folder) / "bot.db")
        app = open_app(Settings(db_path=db, knowledge_path=pack))
        try:
            ids, docs = peer_corpus(app)
            okapi = BM25Okapi(docs)
            sparse = bm25s.BM25()
            sparse.index(docs, show_progress=False)
            rowid_to_id = dict(app.db.execute("SELECT rowid, id FROM entries"))
            for q in warmup:  # typo tables, SQLite page cache, numpy
                ask(app, q.text, "bench", log=False)
                okapi.get_scores(query_tokens(q.text))
                sparse.get_scores(query_tokens(q.text))
            # Every engine's data is built: move it out of the garbage collector's sight, as the
            # bot does after startup, so a collection during a timed question scans only what
            # questions allocate.
            gc.collect()
            gc.freeze()
            times: dict[str, list[float]] = {k: [] for k in
                                             ("ask", "logged", "floor", "bm25s", "peer")}
            right = {k: 0 for k in ("ask", "floor", "bm25s", "peer")}
            abstained = in_scope = peer_in_scope = 0
            n_peer = len(questions) if peer_questions is None else peer_questions
            for n, q in enumerate(questions):
                tokens = query_tokens(q.text)
                steps = ["ask", "logged", "floor", "bm25s"] + (["peer"] if n < n_peer else [])
                steps = steps[n % len(steps):] + steps[:n % len(steps)]
                for step in steps:
                    app.index.clear_cache()
                    t0 = time.perf_counter()
                    if step == "ask":
                        answer = ask(app, q.text, "bench", log=False)
                    elif step == "logged":
                        ask(app, q.text, "bench")
                    elif step == "floor":
                        best_floor = fts5_floor(app, tokens)
                    elif step == "bm25s":  # (it raises on an empty query)
                        best_sparse = int(np.argmax(sparse.get_scores(tokens))) if tokens else 0
                    else:
                        best_peer = int(np.argmax(okapi.get_scores(tokens)))
                    times[step].append((time.perf_counter() - t0) * 1000)
                if q.expected is None:
                    abstained += answer.outcome != ANSWER
                    continue
                in_scope += 1
                right["ask"] += answer.outcome == ANSWER and answer.entry.id == q.expected
                right["floor"] += rowid_to_id.get(best_floor) == q.expected
                right["bm25s"] += ids[best_sparse] == q.expected
                if n < n_peer:
                    peer_in_scope += 1
                    right["peer"] += ids[best_peer] == q.expected
            cached, uncached = _repeat_stream(app, questions, seed)
            hostile = []
            for text in hostile_questions(random.Random(seed)):
                app.index.clear_cache()
                t0 = time.perf_counter()
                ask(app, text, "bench")
                hostile.append((time.perf_counter() - t0) * 1000)
        finally:
            gc.unfreeze()
            app.close()
    result: dict = {"size": size, "questions": len(questions), "peer_questions": n_peer}
    for name, values in (*times.items(), ("cached", cached), ("uncached", uncached)):
        result[f"{name}_p50_ms"] = round(percentile(values, 50), 4)
        result[f"{name}_p99_ms"] = round(percentile(values, 99), 4)
    for p in ("p50", "p99"):
        result[f"peer_speedup_{p}"] = round(result[f"peer_{p}_ms"] / result[f"ask_{p}_ms"], 1)
        result[f"bm25s_speedup_{p}"] = round(result[f"bm25s_{p}_ms"] / result[f"ask_{p}_ms"], 2)
        result[f"floor_ratio_{p}"] = round(result[f"ask_{p}_ms"] / result[f"floor_{p}_ms"], 2)
    result["hostile_max_ms"] = round(max(hostile), 3)
    result["recall_at_1"] = round(right["ask"] / max(in_scope, 1), 3)
    result["abstention"] = round(abstained / max(len(questions) - in_scope, 1), 3)
    result["floor_top1"] = round(right["floor"] / max(in_scope, 1), 3)
    result["bm25s_top1"] = round(right["bm25s"] / max(in_scope, 1), 3)
    result["peer_top1"] = round(right["peer"] / max(peer_in_scope, 1), 3)
    return result


def _repeat_stream(app, questions: list, seed: int) -> tuple[list[float], list[float]]:
    """``ask`` (logged) over a stream where REPEAT_SHARE of the questions repeat a recent one,
    with the ranking cache as in production, then with it cleared before every question."""
    rng = random.Random(seed + 99)
    stream: list[str] = []
    for q in questions:
        if stream and rng.random() < REPEAT_SHARE:
            stream.append(rng.choice(stream[-50:]))
        else:
            stream.append(q.text)
    runs: list[list[float]] = [[], []]
    for n, clear in enumerate((False, True)):
        app.index.clear_cache()
        for text in stream:
            if clear:
                app.index.clear_cache()
            t0 = time.perf_counter()
            ask(app, text, "bench")
            runs[n].append((time.perf_counter() - t0) * 1000)
    return runs[0], runs[1]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every size, print one block per size; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="comma-separated entry counts (default 100,1000,10000)")
    parser.add_argument("--questions", type=int, default=1000, help="per size (default 1000)")
    parser.add_argument("--peer-questions", type=int,
                        help="time rank_bm25 on only the first N questions (slow at 100k)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="pack cache folder (default /tmp/...)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per size")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        r = run_size(size, args.questions, args.seed, args.cache, args.peer_questions)
        if args.json:
            print(json.dumps(r), flush=True)
            continue
        print(f"{size} entries, {r['questions']} distinct questions, uncached "
              f"(rank_bm25 timed on {r['peer_questions']})")
        for key, name in (("logged", "ask (logged)"), ("ask", "ask"), ("floor", "fts5 bm25()"),
                          ("bm25s", "bm25s"), ("peer", "rank_bm25"),
                          ("cached", "ask, repeats, cache"), ("uncached", "ask, repeats, none")):
            print(f"  {name:20} p50 {r[f'{key}_p50_ms']:8.3f} ms  p99 {r[f'{key}_p99_ms']:8.3f} ms")
        print(f"  worst hostile question {r['hostile_max_ms']:.3f} ms")
        print(f"  recall@1 {r['recall_at_1']:.1%}, abstention {r['abstention']:.1%}; top-1: "
              f"fts5 {r['floor_top1']:.1%}, bm25s {r['bm25s_top1']:.1%}, "
              f"rank_bm25 {r['peer_top1']:.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
