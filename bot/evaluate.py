"""Offline evaluation of answer quality on a question set.

The set is a YAML list of ``{q: text, expect: entry-id | abstain}``. Questions are
not logged, so evaluating never pollutes the question log moderators read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.answers import ask
from bot.errors import InvalidInput

if TYPE_CHECKING:
    from bot.app import App

ABSTAIN = "abstain"


@dataclass
class Report:
    total: int = 0
    in_scope: int = 0
    out_of_scope: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    right_decisions: int = 0  # answered when it should, abstained when it should
    abstained_out_of_scope: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.in_scope if self.in_scope else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.hits_at_3 / self.in_scope if self.in_scope else 0.0

    @property
    def abstention_accuracy(self) -> float:
        return self.right_decisions / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": self.total,
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            "recall_at_1": round(self.recall_at_1, 4),
            "recall_at_3": round(self.recall_at_3, 4),
            "abstention_accuracy": round(self.abstention_accuracy, 4),
            "out_of_scope_abstained": self.abstained_out_of_scope,
            "misses": self.misses,
        }


def evaluate(app: App, cases: Any) -> Report:
    """Run every case through ``ask`` and count hits, misses and abstentions."""
    if not isinstance(cases, list) or not all(
        isinstance(c, dict) and isinstance(c.get("q"), str) and isinstance(c.get("expect"), str)
        for c in cases
    ):
        raise InvalidInput("the question set must be a YAML list of {q: text, expect: id}")
    report = Report()
    for case in cases:
        question, expect = case["q"], case["expect"]
        answer = ask(app, question, log=False)
        got = answer.entry.id if answer.answered and answer.entry else ABSTAIN
        report.total += 1
        if expect == ABSTAIN:
            report.out_of_scope += 1
            ok = got == ABSTAIN
            report.abstained_out_of_scope += ok
            report.right_decisions += ok
        else:
            report.in_scope += 1
            top3 = [got] + [a.id for a in answer.alternatives]
            report.hits_at_1 += got == expect
            report.hits_at_3 += expect in top3[:3]
            report.right_decisions += got != ABSTAIN
            ok = got == expect
        if not ok:
            report.misses.append(f"{question!r}: expected {expect}, got {got} "
                                 f"({answer.confidence:.2f})")
    return report


def format_report(report: Report) -> str:
    """The report as a few readable lines plus every miss."""
    lines = [
        f"questions: {report.total} ({report.in_scope} in scope, "
        f"{report.out_of_scope} out of scope)",
        f"recall@1: {report.recall_at_1:.1%}",
        f"recall@3: {report.recall_at_3:.1%}",
        f"abstention accuracy: {report.abstention_accuracy:.1%} "
        f"(out of scope abstained: {report.abstained_out_of_scope}/{report.out_of_scope})",
    ]
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        lines += [f"  {m}" for m in report.misses]
    return "\n".join(lines)
