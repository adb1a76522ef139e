"""Per-question latency of ``index.search`` and ``answers.ask`` next to rank_bm25, in one run.

For each knowledge base size, a synthetic pack (benchmarks/synth.py) is indexed once, then
every question is timed three ways, interleaved question by question so that drift in the
machine's speed hits all three alike:

- ``index.search(q)``: FTS5 candidates plus the coverage-based confidence;
- ``answers.ask(app, q, log=False)``: what every front end calls (search, fetch the entry,
  films, poll standings), without the question-log write;
- the pure-Python peer: ``rank_bm25.BM25Okapi`` over the same entries (title, questions,
  aliases, tags and answer as lowercase words), ``get_scores`` + argmax.

Reported: p50 and p99 in milliseconds, the peer's p50/p99 divided by ours (how many times
faster), and, so that speed is not bought with wrong answers, recall@1 on in-scope
questions and abstention accuracy on out-of-scope ones (the peer cannot abstain).

    python benchmarks/bench_ask.py --sizes 100,1000,10000 --questions 1000 [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from rank_bm25 import BM25Okapi

from benchmarks import synth
from bot.answers import ask
from bot.app import open_app
from bot.config import Settings

TOKEN = re.compile(r"[^\W_]+")
WARMUP = 20
TARGET_P99_MS = 2.0  # at 10,000 entries
TARGET_SPEEDUP = 10.0  # at 10,000 entries, for p50 and p99


def tokens(text: str) -> list[str]:
    """The peer's tokenisation: lowercase words."""
    return TOKEN.findall(text.lower())


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def peer_corpus(app) -> tuple[list[str], BM25Okapi]:
    """The indexed entries as BM25Okapi documents, in a fixed order."""
    rows = app.db.execute(
        "SELECT id, title, questions, aliases, tags, answer FROM entries ORDER BY id").fetchall()
    ids = [r[0] for r in rows]
    return ids, BM25Okapi([tokens(" ".join(r[1:])) for r in rows])


def run_size(size: int, n_questions: int, seed: int = 1, cache: Path | None = None,
             peer_questions: int | None = None) -> dict:
    """Time search, ask and the peer over ``n_questions`` questions at one size."""
    pack = synth.pack_for(size, seed, cache)
    questions = synth.questions_for(pack, n_questions, seed=seed + 6)
    warmup = synth.questions_for(pack, WARMUP, seed=seed + 1000)
    with tempfile.TemporaryDirectory() as folder:
        db = synth.indexed_db(pack, Path(folder) / "bot.db")
        app = open_app(Settings(db_path=db, knowledge_path=pack))
        try:
            ids, bm25 = peer_corpus(app)
            for q in warmup:  # typo table, SQLite page cache, numpy
                app.index.search(q.text)
                ask(app, q.text, "bench", log=False)
                bm25.get_scores(tokens(q.text))
            # Both engines' data is built: move it out of the garbage collector's sight, as
            # the bot does after startup, so a collection during a timed question scans only
            # what questions allocate (not the peer's 10,000 dicts, or our typo table).
            gc.collect()
            gc.freeze()
            search_ms, ask_ms, peer_ms = [], [], []
            hits = abstained = in_scope = peer_hits = peer_in_scope = 0
            n_peer = len(questions) if peer_questions is None else peer_questions
            for n, q in enumerate(questions):
                order = ("search", "ask") if n % 2 else ("ask", "search")
                for step in order:
                    t0 = time.perf_counter()
                    if step == "search":
                        app.index.search(q.text)
                        search_ms.append((time.perf_counter() - t0) * 1000)
                    else:
                        answer = ask(app, q.text, "bench", log=False)
                        ask_ms.append((time.perf_counter() - t0) * 1000)
                if q.expected is None:
                    abstained += not answer.answered
                else:
                    in_scope += 1
                    hits += answer.answered and answer.entry.id == q.expected
                if n < n_peer:
                    t0 = time.perf_counter()
                    best = int(np.argmax(bm25.get_scores(tokens(q.text))))
                    peer_ms.append((time.perf_counter() - t0) * 1000)
                    if q.expected is not None:
                        peer_in_scope += 1
                        peer_hits += ids[best] == q.expected
        finally:
            gc.unfreeze()
            app.close()
    out_of_scope = len(questions) - in_scope
    result = {"size": size, "questions": len(questions), "peer_questions": len(peer_ms)}
    for name, values in (("search", search_ms), ("ask", ask_ms), ("peer", peer_ms)):
        result[f"{name}_p50_ms"] = round(percentile(values, 50), 4)
        result[f"{name}_p99_ms"] = round(percentile(values, 99), 4)
    for name in ("search", "ask"):
        for p in ("p50", "p99"):
            result[f"{name}_speedup_{p}"] = round(
                result[f"peer_{p}_ms"] / result[f"{name}_{p}_ms"], 1)
    result["recall_at_1"] = round(hits / max(in_scope, 1), 3)
    result["abstention"] = round(abstained / max(out_of_scope, 1), 3)
    result["peer_recall_at_1"] = round(peer_hits / max(peer_in_scope, 1), 3)
    return result


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every size, print one block per size; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="comma-separated entry counts (default 100,1000,10000)")
    parser.add_argument("--questions", type=int, default=1000, help="per size (default 1000)")
    parser.add_argument("--peer-questions", type=int,
                        help="time the peer on only the first N questions (it is slow at 100k)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="pack cache folder (default /tmp/...)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per size")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        r = run_size(size, args.questions, args.seed, args.cache, args.peer_questions)
        if args.json:
            print(json.dumps(r), flush=True)
            continue
        print(f"{size} entries, {r['questions']} questions "
              f"(peer timed on {r['peer_questions']})")
        for name in ("search", "ask"):
            print(f"  {name:7} p50 {r[f'{name}_p50_ms']:8.3f} ms  p99 {r[f'{name}_p99_ms']:8.3f} ms"
                  f"   peer/ours: p50 {r[f'{name}_speedup_p50']:6.1f}x  "
                  f"p99 {r[f'{name}_speedup_p99']:6.1f}x")
        print(f"  bm25    p50 {r['peer_p50_ms']:8.3f} ms  p99 {r['peer_p99_ms']:8.3f} ms")
        print(f"  recall@1 {r['recall_at_1']:.1%} (bm25 top-1 {r['peer_recall_at_1']:.1%}), "
              f"abstention {r['abstention']:.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
