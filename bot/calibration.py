"""How sure the bot is that an entry answers a question: a small calibrated model.

Each candidate entry gets a few features (below), and a logistic regression turns them into
the probability that the entry is the right answer. The coefficients are data
(``data/calibration.json``), fitted on the chat development sets (chat-dev, heldout-dev) by
``python -m bot.calibration --write``, so a percentage shown to users means what it says: of
answers shown at 80-90%, about 80-90% are right on those sets (``python -m bot eval`` prints
the reliability table).

Features, all in 0..1 or close to it:

- ``coverage``: IDF-weighted share of the question's known terms the entry covers (key fields
  count fully, the answer half, a typo fix a little less). Words the knowledge base never
  uses are not in it: they cannot dilute a match.
- ``key_coverage``: the same, counting only words found in title, questions, aliases and tags
  (what the entry is about, not what its answer mentions in passing).
- ``rare``: whether the question's rarest known term is covered (1 in key fields, 0.5 in the
  answer): the name or object a question is about must be there.
- ``unknown``: share of the question's meaningful words that the knowledge base does not know.
- ``foreign``: 1 when some word is neither known, nor English, nor a typo (another film's names).
- ``phrasing``: best word overlap (Jaccard, fillers included) with the entry's title or one
  of its listed questions.
- ``margin``: coverage minus the best coverage among the other candidates.
- ``single``: 1 when the question has only one known term (little evidence either way).
- ``elsewhere``: 1 when the question asks about other works ("what else has she been in",
  "is X worth watching"): names of the film's people in it do not make it about the film.
- ``tagged``: 1 when the question names one of the entry's tags, the topics a curator gave it
  ("who does the Saab belong to" names the car entry's "saab", not the dog entry's "dog").
- ``unique``: 1 / the number of candidates that cover the question as well as this one ("what
  happened to Oto" is covered by every entry that mentions her: phrasing alone decides).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from importlib import resources

FEATURES = ("coverage", "key_coverage", "rare", "unknown", "foreign", "phrasing", "margin",
            "single", "elsewhere", "unique", "tagged")
FILE = "calibration.json"


@cache
def model() -> tuple[float, tuple[float, ...]]:
    """(bias, weights) from the shipped coefficients file."""
    data = json.loads((resources.files("bot") / "data" / FILE).read_text(encoding="utf-8"))
    weights = data["weights"]
    return float(data["bias"]), tuple(float(weights.get(name, 0.0)) for name in FEATURES)


def probability(values: Sequence[float]) -> float:
    """The calibrated probability that a candidate with these feature values is right."""
    bias, weights = _override or model()
    z = bias + sum(w * v for w, v in zip(weights, values, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def fit(rows: Sequence[Sequence[float]], labels: Sequence[int], *, l2: float = 0.05,
        steps: int = 60) -> tuple[float, list[float]]:
    """Logistic regression by Newton's method (no numpy: a handful of features), with a
    little L2 shrinkage so that separable data still gives finite, sober coefficients."""
    k = (len(rows[0]) if rows else len(FEATURES)) + 1
    beta = [0.0] * k
    xs = [[1.0, *r] for r in rows]
    for _ in range(steps):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y in zip(xs, labels, strict=True):
            z = sum(b * v for b, v in zip(beta, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(1, k):
            grad[i] += l2 * len(xs) * beta[i] / 100
            hess[i][i] += l2 * len(xs) / 100
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return beta[0], beta[1:]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a x = b by Gaussian elimination with partial pivoting (a is small)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-12 else 0.0 for i in range(n)]


_override: tuple[float, tuple[float, ...]] | None = None


def use(bias: float, weights: Sequence[float]) -> None:
    """Score with these coefficients from now on in this process (while refitting)."""
    global _override
    _override = (float(bias), tuple(float(w) for w in weights))


def refit(paths: Sequence[str], db_path: str, knowledge: str | None = None,
          rounds: int = 3, top: int = 3) -> dict:
    """Fit the coefficients on question sets and return them as the JSON file holds them.

    First on every candidate of every question, then (``rounds`` times) on the ``top``
    candidates as ranked by the model so far, so that the probabilities are calibrated where
    they matter: for the best match, the one the bot answers with. Two-part messages are left
    out (their parts are scored by the same model).
    """
    from pathlib import Path

    from bot.app import open_app
    from bot.config import Settings
    from bot.evaluate import load_cases

    settings = Settings(db_path=Path(db_path), **(
        {"knowledge_path": Path(knowledge)} if knowledge else {}))
    app = open_app(settings)
    try:
        cases = [c for p in paths for c in load_cases(Path(p)) if c.kind != "multi"]
        labelled = []
        for case in cases:
            hits = app.index.search(case.q, limit=20)
            entries = {h.id: app.index.get(h.id) for h in hits}
            labelled.append([(h.features, int(not case.abstain and entries[h.id] is not None
                                                and case.passes([entries[h.id]])))
                             for h in hits])
        rows = [r for q in labelled for r in q]
        bias, weights = fit([r[0] for r in rows], [r[1] for r in rows])
        for _ in range(rounds):
            use(bias, weights)
            rows = [r for q in labelled
                    for r in sorted(q, key=lambda r: -probability(r[0]))[:top]]
            bias, weights = fit([r[0] for r in rows], [r[1] for r in rows])
    finally:
        app.close()
    return {"bias": round(bias, 4),
            "weights": {n: round(w, 4) for n, w in zip(FEATURES, weights, strict=True)},
            "fitted_on": [Path(p).name for p in paths], "questions": len(cases)}


def main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - a maintenance script
    """python -m bot.calibration [SETS...] [--db PATH] [--knowledge DIR] [--write]"""
    import argparse
    import tempfile
    from pathlib import Path

    from bot.evaluate import default_sets

    parser = argparse.ArgumentParser(description="Refit the answer confidence model.")
    parser.add_argument("sets", nargs="*",
                        help="question sets (default: the shipped chat dev sets, *-dev.yaml)")
    parser.add_argument("--db", help="database to index into (default: a temporary file)")
    parser.add_argument("--knowledge", help="knowledge folder (default: the bundled one)")
    parser.add_argument("--write", action="store_true", help=f"write data/{FILE}")
    args = parser.parse_args(argv)
    paths = args.sets or [str(p) for p in default_sets() if p.name.endswith("-dev.yaml")]
    with tempfile.TemporaryDirectory() as folder:
        data = refit(paths, args.db or str(Path(folder) / "fit.db"), args.knowledge)
    text = json.dumps(data, indent=2) + "\n"
    print(text, end="")
    if args.write:
        (Path(__file__).parent / "data" / FILE).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
