"""Peak RSS of the bot's process with a synthetic pack loaded and questions answered.

Each number comes from its own process, read at its end, so nothing else this run allocated
is counted. On Linux that is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` would also be
right for a process started from a shell, but Linux carries the parent's peak across
fork+exec, so a child of a big benchmark process would report its parent's peak instead
(elsewhere, ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is used):

- baseline: ``python -c "import discord, sqlite_utils"``, what any such bot costs before it
  holds any knowledge;
- cold: imports discord and the bot, ``open_app`` on a fresh database (loading, validating
  and indexing every entry: the highest peak a deployment sees), then answers N questions
  through ``answers.ask`` with logging, as the Discord cog does;
- warm: the same on the now indexed database (every later restart).

The target (under 200 MB at 10,000 entries and 1,000 questions) applies to the cold peak.

    python benchmarks/bench_memory.py --size 10000 --questions 1000 [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MB = 200.0
BASELINE = ("import discord, sqlite_utils; from benchmarks.bench_memory import peak; "
            "print(peak())")


def peak() -> int:
    """Peak RSS of this process's own address space, in KiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def child(pack: Path, db: Path, questions: int) -> None:
    """In the measured process: load, answer, print peak RSS in KiB (Linux units)."""
    import discord  # noqa: F401  (the bot process has discord.py loaded)

    from benchmarks import synth
    from bot.answers import ask
    from bot.app import open_app
    from bot.config import Settings

    app = open_app(Settings(db_path=db, knowledge_path=pack))
    for q in synth.questions_for(pack, questions):
        ask(app, q.text, "bench")
    app.close()
    print(peak())


def peak_kib(args: list[str]) -> int:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True,
                          cwd=ROOT)
    return int(done.stdout.strip().splitlines()[-1])


def run(size: int, questions: int, seed: int = 1, cache: Path | None = None) -> dict:
    """Baseline, cold and warm peaks in MB (MiB), with ratios to the baseline."""
    from benchmarks import synth

    pack = synth.pack_for(size, seed, cache)
    baseline = peak_kib(["-c", BASELINE]) / 1024
    with tempfile.TemporaryDirectory() as folder:
        cmd = [__file__, "--child", "--pack", str(pack), "--db", str(Path(folder) / "bot.db"),
               "--questions", str(questions)]
        cold = peak_kib(cmd) / 1024
        warm = peak_kib(cmd) / 1024
    return {
        "size": size,
        "questions": questions,
        "baseline_mb": round(baseline, 1),
        "cold_mb": round(cold, 1),
        "warm_mb": round(warm, 1),
        "cold_ratio": round(cold / baseline, 2),
        "warm_ratio": round(warm / baseline, 2),
        "target_mb": TARGET_MB,
        "pass": cold < TARGET_MB,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, measure, print; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000, help="entries (default 10000)")
    parser.add_argument("--questions", type=int, default=1000, help="answered (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="pack cache folder (default /tmp/...)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pack", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.pack, args.db, args.questions)
        return 0
    r = run(args.size, args.questions, args.seed, args.cache)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"baseline (import discord, sqlite_utils): {r['baseline_mb']:7.1f} MB")
    print(f"cold: {r['size']} entries indexed, {r['questions']} questions: {r['cold_mb']:7.1f} MB"
          f"  ({r['cold_ratio']:.2f}x baseline; target < {TARGET_MB:.0f} MB: "
          f"{'PASS' if r['pass'] else 'FAIL'})")
    print(f"warm: same database, restarted:         {r['warm_mb']:7.1f} MB"
          f"  ({r['warm_ratio']:.2f}x baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
