"""Smoke test: the benchmark suite runs end to end at tiny sizes and prints its table.

No timing is asserted here: the numbers are information (benchmarks/README.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_run_all_quick_prints_the_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run_all.py"), "--quick",
         "--cache", str(tmp_path / "cache")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["metric", "value", "baseline", "ratio", "target", "result"]
    metrics = "\n".join(lines)
    for name in ("ask p99 @1000 (uncached)", "ask p50 @100", "vs plain FTS5",
                 "worst hostile question", "logged (production)", "ranking cache",
                 "cold open_app", "warm open_app", "/ask p99", "vote burst", "votes.vote",
                 "poll chart, 25 options", "peak RSS cold"):
        assert name in metrics, name
