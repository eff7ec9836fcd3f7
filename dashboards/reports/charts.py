"""Charts for the monthly summary, drawn offline with matplotlib's Agg backend into PNG bytes.

Charts carry check names, month labels, age buckets and account names: never a student's name.
matplotlib is imported inside `_pyplot` so importing this module stays cheap."""

from __future__ import annotations

import io
from typing import Any

from dashboards.reports.monthly import MonthlySummary

VIOLATION = "#b2182b"
ADVISORY = "#f4a582"
CAPTURED = "#4393c3"
MISSED = "#d6604d"
NEUTRAL = "#6b6b6b"
BY_DESIGN = "#c9c9c9"  # grey: the district's choice, not a failure
MAX_BARS = 12


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "font.family": "DejaVu Sans"})
    return plt


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)  # counts: no 0.5 of a finding


def _png(fig: Any) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=150)
    plt.close(fig)
    return buffer.getvalue()


def _empty(ax: Any, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color=NEUTRAL, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _stacked_barh(rows: list[tuple[Any, ...]], labels: tuple[str, ...],
                  colors: tuple[str, ...], empty: str, height: float | None = None) -> bytes:
    """One horizontal bar per row (name, count, count, ...), the counts stacked."""
    plt = _pyplot()
    rows = rows[:MAX_BARS]
    fig, ax = plt.subplots(figsize=(6.8, height or max(1.6, 0.32 * len(rows) + 0.9)))
    if not rows or not any(sum(row[1:]) for row in rows):
        _empty(ax, empty)
        return _png(fig)
    names = [name if len(name) <= 44 else name[:43] + "…" for name, *_ in rows][::-1]
    left = [0] * len(rows)
    for index, (label, color) in enumerate(zip(labels, colors, strict=True)):
        values = [row[index + 1] for row in rows][::-1]
        if index == 0 or any(values):
            ax.barh(names, values, left=left, color=color, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:,}", va="center", fontsize=8)
    ax.margins(x=0.12)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(labels), frameon=False,
              fontsize=8)
    return _png(fig)


def findings_by_check(summary: MonthlySummary) -> bytes:
    empty = "No findings this month" if summary.coverage.has_data else "No data: no audit had run"
    return _stacked_barh(summary.by_check, ("violations", "advisories"), (VIOLATION, ADVISORY),
                         empty)


def trend(summary: MonthlySummary) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.8, 2.4))
    labels = [label.split()[0][:3] + " " + label.split()[1][2:] for label, _, _ in summary.trend]
    violations = [v for _, v, _ in summary.trend]
    advisories = [a for _, _, a in summary.trend]
    ax.bar(labels, violations, color=VIOLATION, label="violations")
    ax.bar(labels, advisories, bottom=violations, color=ADVISORY, label="advisories")
    no_data = set(summary.trend_no_data)
    for x, ((label, _, _), v, a) in enumerate(zip(summary.trend, violations, advisories,
                                                  strict=True)):
        # Before the first audit there is nothing to count: "no data", never a zero.
        ax.text(x, v + a, "no data" if label in no_data else f"{v + a:,}", ha="center",
                va="bottom", fontsize=8, color=NEUTRAL if label in no_data else "black")
    ax.set_ylim(0, max([v + a for v, a in zip(violations, advisories, strict=True)] + [1]) * 1.2)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.yaxis.set_major_locator(_integer_ticks())
    ax.set_ylabel("new findings")
    return _png(fig)


def open_by_age(summary: MonthlySummary) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.6, 1.9))  # drawn in a half-width column
    labels = [label for label, _ in summary.open_by_age]
    counts = [n for _, n in summary.open_by_age]
    if not any(counts):
        _empty(ax, "Nothing awaiting a decision")
        return _png(fig)
    colors = ["#fddbc7", "#f4a582", "#d6604d", "#b2182b"]
    ax.barh(labels[::-1], counts[::-1], color=colors[::-1])
    for y, n in enumerate(counts[::-1]):
        ax.text(n, y, f" {n:,}", va="center", fontsize=8)
    ax.margins(x=0.12)
    ax.xaxis.set_major_locator(_integer_ticks())
    return _png(fig)


def coverage(summary: MonthlySummary) -> bytes:
    cov = summary.coverage
    rows = [(a.name, a.nights_captured, a.nights_missed, a.nights_not_permitted)
            for a in cov.accounts]
    if not cov.accounts:
        empty = "No accounts configured"
    elif not cov.has_data:
        empty = "No data: no audit had run"
    else:
        empty = "Nothing to show"
    return _stacked_barh(rows, ("captured", "not captured", "not fetched (by design)"),
                         (CAPTURED, MISSED, BY_DESIGN), empty)


def all_charts(summary: MonthlySummary) -> dict[str, bytes]:
    return {"by_check": findings_by_check(summary), "trend": trend(summary),
            "open_by_age": open_by_age(summary), "coverage": coverage(summary)}
