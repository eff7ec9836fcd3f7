"""`format_pack(pack)`: a pack as a plain-text table (clause, section, rule, check, level, mode),
so a superintendent sees at a glance what the tool checks and what it does not."""

from __future__ import annotations

from rules.packs import Clause, Pack, clause_counts

COLUMNS = ("clause", "section", "rule", "check", "level", "automated/manual")


def rows(pack: Pack) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for clause in pack.clauses:
        if clause.rules:
            for rule in clause.rules:
                mode = "automated" if rule.enabled else "automated (off by default)"
                out.append((clause.id, clause.section, rule.id, rule.check,
                            f"{rule.level.value}/{rule.severity.value}", mode))
        else:
            out.append((clause.id, clause.section, "-", "-", "-", _mode(clause)))
    return out


def _mode(clause: Clause) -> str:
    if clause.manual:
        return "manual"
    if clause.covered_by:
        return f"covered by {', '.join(clause.covered_by)}"
    return "allowance (not flagged)"


def format_pack(pack: Pack) -> str:
    table = [COLUMNS, *rows(pack)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]

    def line(row: tuple[str, ...]) -> str:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        return "  ".join(cells).rstrip()

    counts = clause_counts(pack)
    off = f", {counts.off} with checks off by default" if counts.off else ""
    header = [f"{pack.id} {pack.version}: {pack.policy} ({pack.district}, {pack.source})",
              f"{counts.total} clauses: {counts.automated} automated, {counts.covered} covered by "
              f"another clause, {counts.manual} manual, {counts.allowance} permitted{off}", ""]
    return "\n".join([*header, line(COLUMNS), line(tuple("-" * w for w in widths)),
                      *(line(row) for row in table[1:]), "", *legend(pack)]) + "\n"


def legend(pack: Pack) -> list[str]:
    """What each check used by the pack looks for: the first paragraph of its docstring."""
    from rules.registry import checks

    registered = checks()
    names = sorted({rule.check for _, rule in pack.rules()})
    width = max((len(n) for n in names), default=0)
    out = ["checks:"]
    for name in names:
        check = registered.get(name)
        first = (check.__doc__ or "").strip().split("\n\n")[0] if check else "(not installed)"
        doc = " ".join(first.split())
        out.append(f"  {name.ljust(width)}  {doc}")
    return out
