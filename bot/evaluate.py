"""Offline evaluation of answer quality on question sets, per kind of question.

Two set formats are read (both YAML lists):

- the chat schema of ``bot/evalsets/chat-dev.yaml``: ``{q, kind, expect: [[alternatives]...]}``
  for questions the bot should answer (each group must be found in the answer's title and
  text), ``{q, kind, abstain: true}`` for ones it should not;
- the older id schema: ``{q, expect: entry-id | abstain}``.

A closest match is never counted as an answer: it is scored apart. Questions are not logged,
so evaluating never pollutes the question log moderators read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.answers import ABSTAIN, ANSWER, CLOSEST, SMALLTALK, Answer, ask
from bot.bundled import eval_sets_path
from bot.errors import InvalidInput
from bot.knowledge import Entry

if TYPE_CHECKING:
    from bot.app import App

KINDS = ("plain", "chat", "typo", "premise", "multi", "meta", "adjacent", "far")
OUT_OF_SCOPE = ("adjacent", "far")
BINS = 10  # reliability table: 0-10%, ..., 90-100%
SURE = 0.9  # an answer shown at this confidence or more must never be wrong


@dataclass(frozen=True)
class Case:
    """One question of a set and what a right reply is."""

    q: str
    kind: str
    groups: tuple[tuple[str, ...], ...] = ()  # chat schema: each group must appear
    entry_id: str | None = None  # id schema: the entry that answers it
    abstain: bool = False

    def passes(self, entries: Iterable[Entry]) -> bool:
        """Whether these entries, given together, are a right answer."""
        entries = list(entries)
        if not entries:
            return False
        if self.entry_id is not None:
            return any(e.id == self.entry_id for e in entries)
        text = "\n".join(f"{e.title}\n{e.answer}" for e in entries).casefold()
        return all(any(alt.casefold() in text for alt in group) for group in self.groups)


@dataclass
class KindStats:
    total: int = 0
    right: int = 0  # answered, and the answer is right (in scope)
    closest: int = 0  # offered a closest match
    closest_right: int = 0  # ... and it would have been right
    declined: int = 0  # no answer given (abstain, closest match or small talk)
    wrong: int = 0  # answered, wrongly
    smalltalk: int = 0


@dataclass
class Report:
    """Everything ``eval`` prints: per kind, the reliability table and the misses."""

    sets: list[str] = field(default_factory=list)
    kinds: dict[str, KindStats] = field(default_factory=dict)
    bins: list[list[int]] = field(default_factory=lambda: [[0, 0] for _ in range(BINS)])
    bin_sums: list[float] = field(default_factory=lambda: [0.0] * BINS)
    sure_wrong: list[str] = field(default_factory=list)  # wrong answers shown at >= SURE
    premise_wrong: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def _sum(self, kinds: Iterable[str], name: str) -> int:
        return sum(getattr(self.kinds[k], name) for k in kinds if k in self.kinds)

    @property
    def in_scope_kinds(self) -> list[str]:
        return [k for k, s in self.kinds.items() if k not in (*OUT_OF_SCOPE, "meta", "abstain")
                and s.total]

    @property
    def in_scope(self) -> int:
        return self._sum(self.in_scope_kinds, "total")

    @property
    def recall_at_1(self) -> float:
        n = self.in_scope
        return self._sum(self.in_scope_kinds, "right") / n if n else 0.0

    @property
    def out_of_scope(self) -> int:
        return self._sum((*OUT_OF_SCOPE, "abstain"), "total")

    @property
    def abstention(self) -> float:
        """Share of out-of-scope questions (adjacent and far) the bot did not answer."""
        n = self.out_of_scope
        return self._sum((*OUT_OF_SCOPE, "abstain"), "declined") / n if n else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "sets": self.sets,
            "questions": sum(k.total for k in self.kinds.values()),
            "in_scope": self.in_scope,
            "recall_at_1": round(self.recall_at_1, 4),
            "out_of_scope": self.out_of_scope,
            "abstention": round(self.abstention, 4),
            "wrong_at_90": len(self.sure_wrong),
            "premise_wrong_count": len(self.premise_wrong),
            "kinds": {k: vars(s) for k, s in self.kinds.items()},
            "reliability": [
                {"bin": f"{10 * b}-{10 * (b + 1)}%", "n": n, "right": right,
                 "predicted": round(self.bin_sums[b] / n, 3) if n else None}
                for b, (n, right) in enumerate(self.bins)],
            "sure_wrong": self.sure_wrong,
            "premise_wrong": self.premise_wrong,
            "misses": self.misses,
        }


def default_sets() -> list[Path]:
    """The shipped development sets (``bot/evalsets/*.yaml``), never a ``*-test`` split."""
    return sorted(p for p in eval_sets_path().iterdir()
                  if p.name.endswith(".yaml") and not p.name.endswith("-test.yaml"))


def load_cases(path: Path) -> list[Case]:
    """Read one set, in either format; InvalidInput names what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read the question set ({exc})") from None
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: a question set is a YAML list of items with 'q'")
    return [_case(item, f"{path}: item {n}") for n, item in enumerate(data, 1)]


def _case(item: Any, where: str) -> Case:
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        raise InvalidInput(f"{where}: each item needs a text 'q'")
    expect = item.get("expect")
    kind = item.get("kind")
    if isinstance(expect, str):  # the id schema
        out = expect == "abstain"
        return Case(item["q"], kind or ("abstain" if out else "plain"),
                    entry_id=None if out else expect, abstain=out)
    if item.get("abstain") is True:
        return Case(item["q"], kind or "far", abstain=True)
    if (isinstance(expect, list) and expect and all(
            isinstance(g, list) and g and all(isinstance(a, str) for a in g) for g in expect)):
        return Case(item["q"], kind or "plain", groups=tuple(tuple(g) for g in expect))
    raise InvalidInput(f"{where}: 'expect' must be an entry id, 'abstain', or a list of "
                       "keyword groups (or give 'abstain: true')")


def evaluate(app: App, cases: list[Case], sets: list[str] | None = None) -> Report:
    """Run every case through ``ask`` and count, per kind, what the bot did."""
    report = Report(sets=list(sets or []))
    for case in cases:
        answer = ask(app, case.q, log=False)
        _score(report, case, answer, app)
    return report


def _score(report: Report, case: Case, answer: Answer, app: App) -> None:
    stats = report.kinds.setdefault(case.kind, KindStats())
    stats.total += 1
    answered = answer.outcome == ANSWER
    entries = [p.entry for p in answer.parts] if answered else []
    right = answered and not case.abstain and case.passes(entries)
    stats.right += right
    stats.declined += not answered
    stats.smalltalk += answer.outcome == SMALLTALK
    if answer.outcome == CLOSEST and answer.suggested is not None:
        stats.closest += 1
        suggested = app.index.get(answer.suggested.id)
        stats.closest_right += (not case.abstain and suggested is not None
                                and case.passes([suggested]))
    shown = min((p.confidence for p in answer.parts), default=answer.confidence)
    if case.kind != "meta" and answer.outcome != SMALLTALK:
        # the best match, answered or not: was it right?
        if answered:
            top_right = right
        else:
            best = answer.suggested or (answer.alternatives[0] if answer.alternatives else None)
            entry = app.index.get(best.id) if best else None
            top_right = not case.abstain and entry is not None and case.passes([entry])
        b = min(int(shown * BINS), BINS - 1)
        report.bins[b][0] += 1
        report.bin_sums[b] += shown
        report.bins[b][1] += top_right
    label = _label(answer)
    if answered and not right:
        stats.wrong += 1
        if shown >= SURE:
            report.sure_wrong.append(f"{case.q!r} -> {label}")
        if case.kind == "premise":
            report.premise_wrong.append(f"{case.q!r} -> {label}")
    good = (not answered) if case.abstain else right
    if case.kind == "meta":
        good = answer.outcome == SMALLTALK
    if not good:
        where = "" if case.abstain or case.kind == "multi" else f" [{_diagnosis(case, app)}]"
        report.misses.append(f"[{case.kind}] {case.q!r} -> {label}{where}")


def _diagnosis(case: Case, app: App) -> str:
    """Where the right entry stood among the candidates of a missed in-scope question: first
    (the decision failed), lower (the ranking failed), or nowhere (no entry that passes was
    found: a gap in the pack, or a label the pack does not share)."""
    for rank, hit in enumerate(app.index.search(case.q, limit=20), 1):
        entry = app.index.get(hit.id)
        if entry is not None and case.passes([entry]):
            return (f"decision: right entry first, at {hit.confidence:.0%}" if rank == 1
                    else f"ranking: right entry {hit.id} ranked {rank}")
    return "no candidate is right"


def _label(answer: Answer) -> str:
    if answer.outcome == ANSWER:
        return " + ".join(f"{p.entry.id} ({p.confidence:.0%})" for p in answer.parts)
    if answer.outcome == CLOSEST and answer.suggested:
        return f"closest match {answer.suggested.id} ({answer.confidence:.0%})"
    return answer.outcome if answer.outcome != ABSTAIN else f"abstain ({answer.confidence:.0%})"


def format_report(report: Report, *, misses: bool = True) -> str:
    """Per-kind table, the headline numbers, the reliability table and every miss."""
    lines = [f"sets: {', '.join(report.sets)}" if report.sets else "sets: (given)", "",
             f"{'kind':<9} {'n':>4} {'recall@1':>9} {'closest':>8} {'declined':>9} "
             f"{'wrong':>6}"]
    order = [k for k in KINDS if k in report.kinds] + [k for k in report.kinds if k not in KINDS]
    for kind in order:
        s = report.kinds[kind]
        in_scope = kind in report.in_scope_kinds
        recall = f"{s.right / s.total:.1%}" if in_scope else "-"
        lines.append(f"{kind:<9} {s.total:>4} {recall:>9} {s.closest / s.total:>8.1%} "
                     f"{s.declined / s.total:>9.1%} {s.wrong:>6}")
    lines += [
        "",
        f"recall@1 in scope: {report.recall_at_1:.1%} of {report.in_scope} "
        "(a closest match does not count)",
        f"abstention out of scope (adjacent, far): {report.abstention:.1%} of "
        f"{report.out_of_scope}",
        f"wrong answers shown at >= {SURE:.0%}: {len(report.sure_wrong)}",
        f"premise items answered with the wrong claim: {len(report.premise_wrong)}",
        "",
        "reliability (shown confidence of the best match vs. how often it was right):",
        f"  {'shown':<9} {'n':>4} {'mean shown':>11} {'right':>7}",
    ]
    for b, (n, right) in enumerate(report.bins):
        if n:
            lines.append(f"  {10 * b:>3}-{10 * (b + 1)}%  {n:>4} {report.bin_sums[b] / n:>11.1%} "
                         f"{right / n:>7.1%}")
    for title, items in (("wrong at >= 90%", report.sure_wrong),
                         ("premise answered wrongly", report.premise_wrong),
                         ("misses", report.misses if misses else [])):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {m}" for m in items]
    return "\n".join(lines)
