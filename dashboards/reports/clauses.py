"""Which clauses of the district's policy the tool checks and which are left to people.

The pack is read through `rules.packs.load_pack` (the one loader, which validates it); when it
cannot be loaded, the report says so instead of guessing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rules.packs import load_pack


@dataclass(frozen=True)
class Clause:
    clause_id: str
    section: str
    how: str  # "checked: a, b" | "covered by: clause" | "manual" | "allowance"


@dataclass
class ClauseCoverage:
    pack_id: str
    version: str | None = None
    policy: str | None = None
    checked: list[Clause] = field(default_factory=list)
    manual: list[Clause] = field(default_factory=list)
    note: str | None = None  # why the list is missing, when it is


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def clause_coverage(pack_id: str) -> ClauseCoverage:
    try:
        pack = load_pack(pack_id)
    except Exception as exc:  # noqa: BLE001 - any load failure must not stop the monthly report
        return ClauseCoverage(pack_id, note=f"The policy pack {pack_id!r} could not be loaded "
                                            f"({type(exc).__name__}): clause list missing.")
    coverage = ClauseCoverage(pack_id, version=_get(pack, "version"), policy=_get(pack, "policy"))
    for clause in _get(pack, "clauses", []) or []:
        rules = [r for r in (_get(clause, "rules", []) or []) if _get(r, "enabled", True)]
        checks = sorted({str(_get(r, "check", "")) for r in rules} - {""})
        covered_by = list(_get(clause, "covered_by", []) or [])
        ident, section = str(_get(clause, "id", "?")), str(_get(clause, "section", "") or "")
        if checks and not _get(clause, "manual", False):
            coverage.checked.append(Clause(ident, section, "checked: " + ", ".join(checks)))
        elif covered_by:
            coverage.checked.append(Clause(ident, section, "covered by: " + ", ".join(covered_by)))
        elif _get(clause, "allowance", False):
            coverage.manual.append(Clause(ident, section, "allowance: permits, nothing to check"))
        else:
            coverage.manual.append(Clause(ident, section, "manual: needs a person's judgement"))
    return coverage
