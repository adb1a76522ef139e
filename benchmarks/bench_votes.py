"""Votes per second through ``votes.vote`` against a raw SQLite baseline, measured in one run.

Each vote through ``votes.vote`` is its own committed transaction, as in the bot. The baseline
is plain ``sqlite3`` with the same pragmas (WAL, synchronous=FULL): one INSERT OR REPLACE into a
3-column table and a commit per vote. Both run in interleaved blocks on the same disk, so drift
in the machine's speed hits both alike. Exit code is always 0; the last line says PASS or FAIL.

    python benchmarks/bench_votes.py --voters 500 --votes 5000 [--threads 16] [--anonymous]
        [--json]

``--anonymous`` votes in an anonymous poll, whose ballots are keyed by an HMAC pseudonym.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import poll_results, polls, votes
from bot.moderators import Actor
from bot.store import open_db

OPTIONS = tuple(polls.Option(f"reading-{n}", f"Reading {n}") for n in range(5))
BLOCK = 250  # votes per interleaved block
GUILD = 1  # every voter is in the poll's server
VIEWER = Actor(0, GUILD)


def voter(user: int) -> Actor:
    return Actor(user, GUILD)


def make_poll(db: object, anonymous: bool) -> polls.Poll:
    return polls.create_poll(db, Actor(1, GUILD, True), question="How do you read the ending?",
                             options=OPTIONS, anonymous=anonymous)


def plan(voters: int, count: int, first_round: int = 0) -> list[tuple[int, str]]:
    """(user, option) pairs, users in turn; each vote differs from that user's previous one."""
    return [
        (n % voters + 1, OPTIONS[(n % voters + first_round + n // voters) % len(OPTIONS)].id)
        for n in range(count)
    ]


def open_raw(path: Path) -> sqlite3.Connection:
    """The baseline connection: same journal and durability settings as store.open_db."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS ballots"
        " (poll_id INTEGER, user_id INTEGER, choice TEXT, PRIMARY KEY (poll_id, user_id))"
    )
    conn.commit()
    return conn


def run(voters: int, count: int, folder: Path, anonymous: bool = False) -> dict[str, float]:
    """Time both paths over the same vote plan and return rates and their ratio."""
    db = open_db(folder / "polls.db")
    poll = make_poll(db, anonymous)
    raw = open_raw(folder / "raw.db")
    for user, option in plan(voters, min(voters, 200)):  # warm both files and caches
        votes.vote(db, voter(user), poll.id, [option])
        raw.execute("INSERT OR REPLACE INTO ballots VALUES (?, ?, ?)", (poll.id, user, option))
        raw.commit()
    votes_plan = plan(voters, count, first_round=1)  # no timed vote repeats a current ballot
    raw_time = core_time = 0.0
    changed = 0
    for start in range(0, count, BLOCK):
        block = votes_plan[start : start + BLOCK]
        t0 = time.perf_counter()
        for user, option in block:
            raw.execute("INSERT OR REPLACE INTO ballots VALUES (?, ?, ?)", (poll.id, user, option))
            raw.commit()
        t1 = time.perf_counter()
        for user, option in block:
            result = votes.vote(db, voter(user), poll.id, [option])
            changed += result.old != result.new
        t2 = time.perf_counter()
        raw_time += t1 - t0
        core_time += t2 - t1
    counts = poll_results.tally(db, VIEWER, poll.id).counts
    assert counts == poll_results.tally_from_events(db, VIEWER, poll.id), \
        "tally and vote log disagree"
    raw.close()
    db.close()
    return {"voters": voters, "votes": count, "changed_votes": changed,
            **_rates(count, raw_time, core_time)}


def run_threads(voters: int, count: int, folder: Path, threads: int,
                anonymous: bool = False) -> dict[str, float]:
    """The same comparison with ``threads`` writers at once, each on its own connection.

    Voters are split between threads; each phase (raw, then votes.vote) is timed on the wall
    clock from a shared start to the last thread's end, in two alternating rounds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    db = open_db(folder / "polls.db")
    poll = make_poll(db, anonymous)
    open_raw(folder / "raw.db").close()
    shares = [[v for v in plan(voters, count, first_round=1) if v[0] % threads == t]
              for t in range(threads)]

    def phase(work: str, round_: int) -> float:
        barrier = threading.Barrier(threads + 1)

        def worker(share: list[tuple[int, str]]) -> None:
            conn = open_raw(folder / "raw.db") if work == "raw" else open_db(folder / "polls.db")
            half = share[round_::2]
            barrier.wait()
            for user, option in half:
                if work == "raw":
                    conn.execute("INSERT OR REPLACE INTO ballots VALUES (?, ?, ?)",
                                 (poll.id, user, option))
                    conn.commit()
                else:
                    votes.vote(conn, voter(user), poll.id, [option])
            conn.close()

        pool = [threading.Thread(target=worker, args=(share,)) for share in shares]
        for t in pool:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in pool:
            t.join()
        return time.perf_counter() - start

    raw_time = phase("raw", 0) + phase("raw", 1)
    core_time = phase("core", 0) + phase("core", 1)
    assert (poll_results.tally(db, VIEWER, poll.id).counts
            == poll_results.tally_from_events(db, VIEWER, poll.id))
    db.close()
    return {"voters": voters, "votes": count, "threads": threads,
            **_rates(count, raw_time, core_time)}


def _rates(count: int, raw_time: float, core_time: float) -> dict[str, float]:
    """Votes per second on each side, and ours as a share of raw SQLite's."""
    raw_rate, core_rate = count / raw_time, count / core_time
    return {"raw_votes_per_s": round(raw_rate, 1), "polls_votes_per_s": round(core_rate, 1),
            "ratio": round(core_rate / raw_rate, 3)}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print the numbers and PASS/FAIL; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=500, help="distinct users (default 500)")
    parser.add_argument("--votes", type=int, default=5000, help="timed votes (default 5000)")
    parser.add_argument("--target", type=float, default=0.5, help="minimum ratio (default 0.5)")
    parser.add_argument("--dir", type=Path, help="folder for the database files (default: temp)")
    parser.add_argument("--threads", type=int, default=1,
                        help="concurrent writers, each with its own connection (default 1)")
    parser.add_argument("--anonymous", action="store_true",
                        help="vote in an anonymous poll (ballots keyed by pseudonyms)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    if args.voters < 1 or args.votes < 1 or args.threads < 1:
        parser.error("--voters, --votes and --threads must be at least 1")
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        if args.threads > 1:
            numbers = run_threads(args.voters, args.votes, Path(folder), args.threads,
                                  args.anonymous)
        else:
            numbers = run(args.voters, args.votes, Path(folder), args.anonymous)
    numbers["target"] = args.target
    numbers["pass"] = numbers["ratio"] >= args.target
    if args.json:
        print(json.dumps(numbers))
    else:
        print(f"raw sqlite baseline: {numbers['raw_votes_per_s']:>10.1f} votes/s")
        print(f"votes.vote:          {numbers['polls_votes_per_s']:>10.1f} votes/s")
        print(f"ratio:               {numbers['ratio']:>10.3f} (target >= {args.target})")
        print("PASS" if numbers["pass"] else "FAIL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
