"""Time to draw a poll chart with 25 options, against Pillow's own minimal figure in one run.

Each chart is a different poll: 25 options whose labels mix English, Japanese and Korean and
run up to the 80-character limit, so the per-piece width cache never makes a chart cheaper
than a new poll's would be. The baseline draws the same texts on a canvas of the same size
with one font and one ``draw.text`` call per text, then saves the PNG the same way: the least
any Pillow chart of that size costs. Charts and baseline alternate, after one warm-up chart
(the first one also loads the fonts' character maps; a fresh process measures that
separately, with the memory it adds). Exit code is always 0.

    python benchmarks/bench_charts.py --charts 30 [--options 25] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import chart_fonts, charts, poll_results, polls, votes  # noqa: E402
from bot.moderators import OPERATOR, Operator  # noqa: E402
from bot.store import open_db  # noqa: E402

TARGET_MS = 100.0
OPTIONS = 25  # the most a poll can have, where the target is set
WORDS = ("Kafuku", "Misaki", "Oto", "Takatsuki", "the red Saab", "Hiroshima", "Uncle Vanya",
         "grief", "the tape", "Korea", "silence", "the snow", "forgiveness", "driving")
JAPANESE = "家福は音の秘密を受け入れ、みさきは韓国で新しい生活を始める。雪の中で二人は泣く"
KOREAN = "카후쿠는 모르는 것을 받아들이고 미사키는 한국에서 새로운 삶을 시작한다"


def label(rng: random.Random) -> str:
    """An option label of 20-80 characters in English, Japanese or Korean."""
    kind = rng.random()
    if kind < 0.2:
        start = rng.randrange(len(JAPANESE) - 20)
        return JAPANESE[start:start + rng.randint(12, 40)]
    if kind < 0.4:
        start = rng.randrange(len(KOREAN) - 20)
        return KOREAN[start:start + rng.randint(15, 38)].strip()
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
    return f"{rng.randint(1, 999)} {text}"[:80].strip()


def tallies(count: int, options: int, folder: Path, seed: int = 1) -> list:
    """``count`` polls with ``options`` distinct labels each, and 200 voters' ballots."""
    rng = random.Random(seed)
    db = open_db(folder / "charts.db")
    out = []
    for n in range(count):
        opts = [polls.Option(f"o{i}", label(rng)) for i in range(options)]
        poll = polls.create_poll(db, OPERATOR, question=f"{n}: how do you read the ending of "
                                 "Drive My Car? 結末をどう読みますか？", options=opts)
        for user in range(200):
            votes.vote(db, Operator(user_id=user + 1), poll.id, [rng.choice(opts).id])
        out.append(poll_results.tally(db, OPERATOR, poll.id))
    db.close()
    return out


def baseline(tally: poll_results.Tally, size: tuple[int, int]) -> bytes:
    """The same texts drawn with one font and no layout, on a canvas of the same size."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, charts.BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = chart_fonts.font(0, charts.TEXT_SIZE)
    draw.text((40, 40), tally.poll.question, font=font, fill=charts.INK)
    for n, result in enumerate(tally.results):
        y = 120 + n * 60
        draw.rectangle((40, y, 40 + int(6 * result.percent), y + 30), fill=charts.BAR)
        draw.text((40, y), result.option.label, font=font, fill=charts.INK)
        draw.text((800, y), f"{result.count} · {result.percent:.0f}%", font=font,
                  fill=charts.INK)
    return charts.encode(image)


def cold(options: int) -> dict:
    """In a fresh process: the first chart's time (imports, font maps) and memory it adds."""
    done = subprocess.run([sys.executable, __file__, "--child", "--options", str(options)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(options: int) -> None:
    """The measured process of ``cold``: one chart, timed, with RSS before and after."""
    def rss_mb() -> float:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status
                        if line.startswith("VmRSS")) / 1024

    with tempfile.TemporaryDirectory() as folder:
        tally = tallies(1, options, Path(folder))[0]
    before, t0 = rss_mb(), time.perf_counter()
    charts.tally_png(tally)
    print(json.dumps({"first_ms": (time.perf_counter() - t0) * 1000,
                      "added_mb": rss_mb() - before}))


def run(count: int = 30, options: int = OPTIONS) -> dict:
    """Median and worst ms per chart, the baseline's median, their ratio, and the cold start."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        polls_ = tallies(count + 1, options, Path(folder))
    charts.tally_png(polls_[0])  # warm-up: fonts and their character maps
    ours, base = [], []
    for tally in polls_[1:]:
        t0 = time.perf_counter()
        png = charts.tally_png(tally)
        ours.append((time.perf_counter() - t0) * 1000)
        size = Image.open(io.BytesIO(png)).size
        t0 = time.perf_counter()
        baseline(tally, size)
        base.append((time.perf_counter() - t0) * 1000)
    p50, worst, base_p50 = statistics.median(ours), max(ours), statistics.median(base)
    first = cold(options)
    return {"charts": count, "options": options, "p50_ms": p50, "max_ms": worst,
            "base_p50_ms": base_p50, "ratio": p50 / base_p50, "target_ms": TARGET_MS,
            "pass": worst < TARGET_MS, "first_ms": first["first_ms"],
            "first_added_mb": first["added_mb"], "height_px": size[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=30)
    parser.add_argument("--options", type=int, default=OPTIONS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.options)
        return
    r = run(args.charts, args.options)
    if args.json:
        print(json.dumps(r, indent=1))
        return
    print(f"{r['options']} options, {r['charts']} charts: p50 {r['p50_ms']:.1f} ms, worst "
          f"{r['max_ms']:.1f} ms; Pillow minimal figure {r['base_p50_ms']:.1f} ms "
          f"({r['ratio']:.2f}x); first chart in a fresh process {r['first_ms']:.0f} ms, "
          f"+{r['first_added_mb']:.0f} MB; target < {TARGET_MS:g} ms: "
          f"{'PASS' if r['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
