"""Which clauses of the district's policy the tool checks and which are left to people, in the
words of the policy (section and clause text) and the checks' plain-language names: the reader
is a superintendent, not someone who knows the pack's identifiers.

The pack is read through `rules.packs.load_pack` (the one loader, which validates it) and counted
with `rules.packs.clause_counts`, the same counts `hallmonitor policy list` prints. When the pack
cannot be loaded, the report says so instead of guessing."""

from __future__ import annotations

from dataclasses import dataclass, field

QUOTE_WORDS = 12  # a clause is named by the start of its own text


@dataclass(frozen=True)
class Clause:
    clause_id: str
    section: str
    how: str  # "Checked: <check titles>" | "Through: <clause>" | "A person's judgement" | ...
    title: str = ""  # the start of the clause's own text


@dataclass
class ClauseCoverage:
    pack_id: str
    version: str | None = None
    policy: str | None = None
    checked: list[Clause] = field(default_factory=list)  # automated, or covered by another
    manual: list[Clause] = field(default_factory=list)
    note: str | None = None  # why the list is missing, when it is
    automated: int = 0
    covered: int = 0
    total: int = 0

    @property
    def not_checked(self) -> int:
        return self.total - self.automated - self.covered


def clause_title(quote: str, words: int = QUOTE_WORDS) -> str:
    parts = quote.split()
    text = " ".join(parts) if len(parts) <= words else " ".join(parts[:words]) + " …"
    return text[:1].upper() + text[1:]


def clause_coverage(pack_id: str) -> ClauseCoverage:
    from rules.packs import clause_counts, load_pack
    from rules.registry import check_title

    try:
        pack = load_pack(pack_id)
    except Exception as exc:  # noqa: BLE001 - any load failure must not stop the monthly report
        return ClauseCoverage(pack_id, note=f"The policy pack {pack_id!r} could not be loaded "
                                            f"({type(exc).__name__}): clause list missing.")
    counts = clause_counts(pack)
    coverage = ClauseCoverage(pack_id, version=pack.version, policy=pack.policy,
                              automated=counts.automated, covered=counts.covered,
                              total=counts.total)
    titles = {c.id: clause_title(c.quote, 8) for c in pack.clauses}
    for clause in pack.clauses:
        status = clause.status
        checks = sorted({check_title(r.check) for r in clause.rules if r.enabled})
        if status == "automated":
            how, into = "Checked automatically: " + "; ".join(checks), coverage.checked
        elif status == "covered":
            how = "Checked through: " + "; ".join(titles.get(c, c) for c in clause.covered_by)
            into = coverage.checked
        elif status == "off":
            how, into = "Not checked: the district has not switched its check on", coverage.manual
        elif status == "allowance":
            how, into = "Grants permission: nothing to flag", coverage.manual
        else:
            how, into = "Not checked: needs a person's judgement", coverage.manual
        into.append(Clause(clause.id, clause.section, how, clause_title(clause.quote)))
    return coverage
