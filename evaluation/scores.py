"""Precision, recall and F1 per check, and the plain-text table every evaluation prints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Score:
    check: str
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    n: int  # labelled positives (support)

    @classmethod
    def of(cls, check: str, tp: int, fp: int, fn: int) -> Score:
        precision = tp / (tp + fp) if tp + fp else (0.0 if fn else 1.0)
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(check, tp, fp, fn, precision, recall, f1, tp + fn)


def format_table(scores: Iterable[Score]) -> str:
    """A plain-text table: check, TP, FP, FN, precision, recall, F1, support."""
    header = (
        f"{'check':<18}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}{'F1':>7}{'n':>6}"
    )
    lines = [header, "-" * len(header)]
    for s in scores:
        lines.append(
            f"{s.check:<18}{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.precision:>11.3f}"
            f"{s.recall:>8.3f}{s.f1:>7.3f}{s.n:>6}"
        )
    return "\n".join(lines)
