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
            "single", "elsewhere", "unique", "tagged", "phrasing_margin")
FILE = "calibration.json"
# The share of a channel's questions taken to be out of scope when fitting: the written
# negatives are weighted to make up this share of the training questions (a prior, chosen
# before looking at any eval set; the shared dev sets happen to have about 20% too).
OUT_OF_SCOPE_SHARE = 0.2
# Signs known before fitting: words the knowledge base has never seen, and a question about
# other works, never make an entry more likely to be right. Held-out phrasings lose the
# words only they used, so the fit alone would reward unknown words; such a weight is held
# at zero instead.
NOT_POSITIVE = ("unknown", "foreign", "elsewhere")


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
        steps: int = 60, weights: Sequence[float] | None = None) -> tuple[float, list[float]]:
    """Logistic regression by Newton's method (no numpy: a handful of features), with a
    little L2 shrinkage so that separable data still gives finite, sober coefficients.
    ``weights``: how much each row counts (default 1)."""
    k = (len(rows[0]) if rows else len(FEATURES)) + 1
    beta = [0.0] * k
    xs = [[1.0, *r] for r in rows]
    ws = list(weights) if weights is not None else [1.0] * len(xs)
    total = sum(ws)
    for _ in range(steps):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y, w in zip(xs, labels, ws, strict=True):
            z = sum(b * v for b, v in zip(beta, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for i in range(k):
                grad[i] += w * (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += w * p * (1 - p) * x[i] * x[j]
        for i in range(1, k):
            grad[i] += l2 * total * beta[i] / 100
            hess[i][i] += l2 * total / 100
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


def refit(folder: str, knowledge: str | None = None, rounds: int = 3, top: int = 3,
          negatives: str | None = None) -> dict:
    """Fit the coefficients on the training questions of ``bot.training`` (never an eval
    set) and return them as the JSON file holds them.

    Every candidate of every question is a row, labelled 1 when it is the entry the question
    was held out from. First fitted on all rows, then (``rounds`` times) on the ``top``
    candidates as ranked by the model so far, so that the probabilities are calibrated where
    they matter: for the best match, the one the bot answers with. ``folder`` holds the
    temporary databases.
    """
    from pathlib import Path

    from bot import training
    from bot.bundled import knowledge_path
    from bot.knowledge import load_knowledge
    from bot.search import SearchIndex
    from bot.store import open_db

    kb = load_knowledge(Path(knowledge) if knowledge else knowledge_path())
    labelled: list[list[tuple[tuple[float, ...], int]]] = []
    negative: list[bool] = []  # per question: a written negative
    counts = {"pack": 0, "chat": 0, "paraphrase": 0, "negative": 0}

    def ask_all(index: SearchIndex, examples: list[training.Example]) -> None:
        for example in examples:
            hits = index.search(example.question, limit=20)
            labelled.append([(h.features, int(h.id == example.entry_id)) for h in hits])
            negative.append(example.entry_id is None)
            counts[example.style] += 1

    _use_default()
    for fold, (kept, examples) in enumerate(training.pack_examples(kb)):
        db = open_db(Path(folder) / f"fold{fold}.db")
        index = SearchIndex(db)
        index.rebuild(kept, kb.films.values())
        ask_all(index, examples)
        db.close()
    db = open_db(Path(folder) / "all.db")
    index = SearchIndex(db)
    index.rebuild(kb.entries.values(), kb.films.values())
    ask_all(index, training.negatives(Path(negatives) if negatives else None))
    db.close()
    # the written negatives count as OUT_OF_SCOPE_SHARE of all questions, whatever their
    # number: the share of a channel's questions the knowledge base cannot answer
    n_neg = sum(negative)
    boost = (OUT_OF_SCOPE_SHARE / (1 - OUT_OF_SCOPE_SHARE)) * (len(negative) - n_neg) / n_neg
    question_weight = [boost if neg else 1.0 for neg in negative]

    def rows_of(pick: int | None) -> tuple[list, list, list]:
        xs, ys, ws = [], [], []
        for q, w in zip(labelled, question_weight, strict=True):
            chosen = q if pick is None else sorted(q, key=lambda r: -probability(r[0]))[:pick]
            for features, label in chosen:
                xs.append(features)
                ys.append(label)
                ws.append(w)
        return xs, ys, ws

    xs, ys, ws = rows_of(None)
    bias, weights = fit_signed(xs, ys, ws)
    for _ in range(rounds):
        use(bias, weights)
        xs, ys, ws = rows_of(top)
        bias, weights = fit_signed(xs, ys, ws)
    _use_default()
    return {"bias": round(bias, 4),
            "weights": {n: round(w, 4) for n, w in zip(FEATURES, weights, strict=True)},
            "fitted_on": {"pack questions held out": counts["pack"],
                          "their chat variants": counts["chat"],
                          "chat variants of listed questions, asked of the whole pack":
                              counts["paraphrase"],
                          f"negatives ({training.NEGATIVES})": counts["negative"]}}


def fit_signed(rows: Sequence[Sequence[float]], labels: Sequence[int],
               weights: Sequence[float]) -> tuple[float, list[float]]:
    """``fit``, with every NOT_POSITIVE feature whose weight comes out positive left out
    (its weight zero) and the rest fitted again."""
    held: set[int] = set()
    while True:
        masked = [[0.0 if i in held else v for i, v in enumerate(r)] for r in rows]
        bias, fitted = fit(masked, labels, weights=weights)
        wrong = {FEATURES.index(n) for n in NOT_POSITIVE if fitted[FEATURES.index(n)] > 0}
        if wrong <= held:
            return bias, [0.0 if i in held else w for i, w in enumerate(fitted)]
        held |= wrong


def _use_default() -> None:
    """Score with the shipped coefficients again (or neutral ones while there are none)."""
    global _override
    _override = None


def main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - a maintenance script
    """python -m bot.calibration [--knowledge DIR] [--negatives FILE] [--write]"""
    import argparse
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(
        description="Refit the answer confidence model on the pack's held-out phrasings and "
                    "the written negatives (never on an eval set).")
    parser.add_argument("--knowledge", help="knowledge folder (default: the bundled one)")
    parser.add_argument("--negatives", help="out-of-scope questions (default: the shipped "
                                            "data/training-negatives.yaml)")
    parser.add_argument("--write", action="store_true", help=f"write data/{FILE}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        data = refit(folder, args.knowledge, negatives=args.negatives)
    text = json.dumps(data, indent=2) + "\n"
    print(text, end="")
    if args.write:
        (Path(__file__).parent / "data" / FILE).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
