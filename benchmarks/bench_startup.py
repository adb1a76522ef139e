"""Cold start and warm restart of ``open_app`` with a synthetic pack, each in a fresh process.

- cold: a new, empty database; ``open_app`` loads and validates every YAML file, builds the
  FTS5 index and the vocabulary (what the first start of a deployment pays);
- warm: ``open_app`` again on that database with the pack unchanged: only the content hash
  of the files is computed and compared (every later restart).

Each measurement runs in its own Python process, timed around ``open_app`` only (imports
excluded and printed separately), so caches such as the stemmer's never carry over. The
targets are absolute (3 s cold and 0.5 s warm at 10,000 entries), so the ratio printed is
value / target: below 1 passes. ``--profile`` prints cProfile's top functions of a cold start.

    python benchmarks/bench_startup.py --size 10000 [--repeat 3] [--profile] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_COLD_S = 3.0
TARGET_WARM_S = 0.5


def child(pack: Path, db: Path, profile: bool) -> None:
    """In the measured process: time open_app and print one JSON line."""
    t0 = time.perf_counter()
    from bot.app import open_app
    from bot.config import Settings

    imports = time.perf_counter() - t0
    settings = Settings(db_path=db, knowledge_path=pack)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        app = profiler.runcall(open_app, settings)
        seconds = time.perf_counter() - t0
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    else:
        t0 = time.perf_counter()
        app = open_app(settings)
        seconds = time.perf_counter() - t0
    entries = app.index.count()
    app.close()
    print(json.dumps({"seconds": seconds, "imports": imports, "entries": entries}))


def measure(pack: Path, db: Path, profile: bool = False) -> dict:
    """Run one child process and return what it printed."""
    cmd = [sys.executable, __file__, "--child", "--pack", str(pack), "--db", str(db)]
    done = subprocess.run(cmd + ["--profile"] * profile, capture_output=True, text=True,
                          check=True, cwd=ROOT)
    if profile:
        sys.stderr.write(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(size: int, repeat: int = 1, seed: int = 1, cache: Path | None = None,
        profile: bool = False) -> dict:
    """Median cold start over ``repeat`` fresh databases, then median warm restart."""
    from benchmarks import synth

    pack = synth.pack_for(size, seed, cache)
    colds, warms = [], []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(repeat):
            db = Path(folder) / f"cold-{n}.db"
            cold = measure(pack, db, profile and n == 0)
            colds.append(cold["seconds"])
            warms.append(measure(pack, db)["seconds"])
    return {
        "size": size,
        "entries": cold["entries"],
        "imports_s": round(cold["imports"], 3),
        "cold_s": round(statistics.median(colds), 3),
        "warm_s": round(statistics.median(warms), 3),
        "cold_target_s": TARGET_COLD_S,
        "warm_target_s": TARGET_WARM_S,
        "cold_ratio": round(statistics.median(colds) / TARGET_COLD_S, 2),
        "warm_ratio": round(statistics.median(warms) / TARGET_WARM_S, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, measure, print; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000, help="entries (default 10000)")
    parser.add_argument("--repeat", type=int, default=1, help="cold starts, median (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="pack cache folder (default /tmp/...)")
    parser.add_argument("--profile", action="store_true", help="cProfile the first cold start")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pack", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.pack, args.db, args.profile)
        return 0
    r = run(args.size, args.repeat, args.seed, args.cache, args.profile)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"{r['entries']} entries (imports {r['imports_s']:.2f} s, not counted)")
    for kind in ("cold", "warm"):
        ok = "PASS" if r[f"{kind}_ratio"] <= 1 else "FAIL"
        print(f"  {kind} open_app {r[f'{kind}_s']:7.3f} s   target {r[f'{kind}_target_s']} s"
              f"   ratio {r[f'{kind}_ratio']:.2f}   {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
