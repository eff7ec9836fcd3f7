"""Policy packs: load `rules/packs/<policy-id>.yaml` and validate it completely before any fetch.

A pack is data only (see docs/architecture.md): clauses with a citation, each evidenced by rules
(a registered check + level + severity + account kinds + params), or listed as `manual` (the tool
does not check it), `covered_by` (another clause's rules evidence it, so no duplicate findings) or
`allowance` (the policy permits something; listed so reports can say why it is not flagged).

Validation names the file, the line and the field, like the district config does:
``rules/packs/jndc.yaml:42: clauses[3].rules[0].check: unknown check 'condcut'``. Check names are
validated against the registry and each rule's params against that check's `Params` model.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from hallmonitor.config import ConfigError, Problem, problems_from
from hallmonitor.yamlsrc import SourcedYaml, YamlSyntaxError, load_yaml
from rules.base import Level, Severity

PACKS_DIR = Path(__file__).resolve().parent / "packs"
SOURCES_DIR = PACKS_DIR / "sources"
AccountKind = Literal["employee", "sponsored"]


class PackError(ConfigError):
    """A pack (or a district's overrides of it) cannot be used. Lists every problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Strict):
    policy: str
    section: str
    quote: str


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(\.[a-z0-9-]+)+$")
    check: str
    level: Level
    severity: Severity
    accounts: list[AccountKind] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    note: str | None = None


class Clause(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    section: str = Field(min_length=1)
    quote: str = Field(min_length=3)
    rules: list[Rule] = Field(default_factory=list)
    manual: bool = False
    covered_by: list[str] = Field(default_factory=list)
    allowance: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> Clause:
        modes = [bool(self.rules), self.manual, bool(self.covered_by), self.allowance]
        if sum(modes) != 1:
            raise ValueError("a clause needs exactly one of: rules, manual: true, covered_by, "
                             "allowance: true")
        return self

    @property
    def mode(self) -> str:
        if self.rules:
            return "automated"
        if self.manual:
            return "manual"
        return "covered" if self.covered_by else "allowance"

    @property
    def status(self) -> ClauseStatus:
        """What the tool does about this clause, the one definition `policy list`, `policy show`
        and the monthly summary all count by: "automated" only when a rule is on by default."""
        if self.rules:
            return "automated" if any(r.enabled for r in self.rules) else "off"
        return cast(ClauseStatus, self.mode)


ClauseStatus = Literal["automated", "off", "covered", "manual", "allowance"]


@dataclass(frozen=True)
class ClauseCounts:
    """How many clauses of a pack are in each status (see `Clause.status`)."""

    total: int
    automated: int  # a check runs on it by default
    covered: int  # another clause's checks evidence it
    off: int  # has rules, all off by default (a district may switch them on)
    manual: int  # needs a person's judgement
    allowance: int  # grants permission: nothing to flag

    @property
    def not_checked(self) -> int:
        return self.total - self.automated - self.covered


def clause_counts(pack: Pack) -> ClauseCounts:
    statuses = Counter(clause.status for clause in pack.clauses)
    return ClauseCounts(len(pack.clauses), statuses["automated"], statuses["covered"],
                        statuses["off"], statuses["manual"], statuses["allowance"])


class Pack(_Strict):
    id: str
    version: str = Field(min_length=1)
    policy: str
    district: str
    source: str
    clauses: list[Clause] = Field(min_length=1)
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        return self._path

    def rules(self) -> list[tuple[Clause, Rule]]:
        return [(clause, rule) for clause in self.clauses for rule in clause.rules]

    def rule(self, rule_id: str) -> tuple[Clause, Rule]:
        for clause, rule in self.rules():
            if rule.id == rule_id:
                return clause, rule
        raise KeyError(rule_id)

    def citation(self, clause: Clause) -> Citation:
        return Citation(policy=self.policy, section=clause.section, quote=clause.quote)


def pack_ids(packs_dir: Path = PACKS_DIR) -> list[str]:
    return sorted(p.stem for p in packs_dir.glob("*.yaml"))


def load_pack(pack_id: str, *, packs_dir: Path = PACKS_DIR) -> Pack:
    """Load and validate `<packs_dir>/<pack_id>.yaml`; raise PackError naming every problem."""
    path = packs_dir / f"{pack_id}.yaml"
    if not path.is_file():
        known = ", ".join(pack_ids(packs_dir)) or "none"
        raise PackError([Problem(str(path), None, "", f"no pack {pack_id!r} (known: {known})")])
    return load_pack_file(path)


def load_pack_file(path: Path) -> Pack:
    try:
        source = load_yaml(path)
    except YamlSyntaxError as exc:
        raise PackError([Problem(str(path), exc.line, "", exc.message)]) from exc
    if not isinstance(source.data, dict):
        raise PackError([Problem(str(path), 1, "", "expected a mapping of keys to values")])
    try:
        pack = Pack.model_validate(source.data)
    except ValidationError as exc:
        raise PackError(problems_from(exc, source)) from exc
    problems: list[Problem] = []

    def flag(loc: tuple[str | int, ...], field: str, message: str) -> None:
        problems.append(Problem(str(path), source.line_for(loc), field, message))

    if pack.id != path.stem:
        flag(("id",), "id", f"must match the file name {path.stem!r}")
    _check_ids(pack, flag)
    _check_rules(pack, source, flag)
    if problems:
        raise PackError(problems)
    pack._path = path
    return pack


def _check_ids(pack: Pack, flag: Any) -> None:
    clause_ids: set[str] = set()
    rule_ids: set[str] = set()
    for ci, clause in enumerate(pack.clauses):
        if clause.id in clause_ids:
            flag(("clauses", ci, "id"), f"clauses[{ci}].id", f"duplicate clause id {clause.id!r}")
        clause_ids.add(clause.id)
        for ri, rule in enumerate(clause.rules):
            if rule.id in rule_ids:
                flag(("clauses", ci, "rules", ri, "id"), f"clauses[{ci}].rules[{ri}].id",
                     f"duplicate rule id {rule.id!r}")
            rule_ids.add(rule.id)
    for ci, clause in enumerate(pack.clauses):
        for other in clause.covered_by:
            if other not in clause_ids or other == clause.id:
                flag(("clauses", ci, "covered_by"), f"clauses[{ci}].covered_by",
                     f"unknown clause {other!r}")
            elif not next(c for c in pack.clauses if c.id == other).rules:
                flag(("clauses", ci, "covered_by"), f"clauses[{ci}].covered_by",
                     f"clause {other!r} has no rules to cover this one")


def _check_rules(pack: Pack, source: SourcedYaml, flag: Any) -> None:
    from rules.registry import checks

    registered = checks()
    for ci, clause in enumerate(pack.clauses):
        for ri, rule in enumerate(clause.rules):
            here = ("clauses", ci, "rules", ri)
            field = f"clauses[{ci}].rules[{ri}]"
            check = registered.get(rule.check)
            if check is None:
                flag((*here, "check"), f"{field}.check",
                     f"unknown check {rule.check!r}; registered: "
                     f"{', '.join(sorted(registered)) or 'none'}")
                continue
            try:
                check.Params.model_validate(rule.params)
            except ValidationError as exc:
                for problem in problems_from(exc, source):
                    loc = (*here, "params", *_loc_tail(problem.field))
                    name = f"{field}.params" + (f".{problem.field}" if problem.field else "")
                    flag(loc, name, problem.message)


def _loc_tail(dotted: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+", dotted):
        parts.append(int(token) if token.isdigit() else token)
    return tuple(parts)


# --- citations against the policy's own text ------------------------------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u00a0": " ", "\u2013": "-", "\u2014": "-"})


def normalise(text: str) -> str:
    """Whitespace and typographic quotes flattened, so a quote typed in YAML matches the source."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).translate(_QUOTES)).strip()


def source_text(pack_id: str, sources_dir: Path = SOURCES_DIR) -> str:
    return (sources_dir / f"{pack_id}.txt").read_text(encoding="utf-8")


def citation_problems(pack: Pack, sources_dir: Path = SOURCES_DIR) -> list[str]:
    """Each clause's section must start with a heading line of the source, and its quote (pieces
    around '...') must appear verbatim, in order, after that heading."""
    raw = source_text(pack.id, sources_dir)
    text = normalise(raw)
    headings = [normalise(line) for line in raw.splitlines() if 0 < len(normalise(line)) <= 90]
    found = []
    for clause in pack.clauses:
        section = normalise(clause.section)
        heading = max((h for h in headings if section == h or section.startswith(h + ",")),
                      key=len, default=None)
        if heading is None:
            found.append(f"{clause.id}: section {clause.section!r} is not a heading of the source")
            continue
        position = text.find(heading)
        for piece in re.split(r"\s*(?:\.\.\.|\u2026)\s*", normalise(clause.quote)):
            if not piece:
                continue
            position = text.find(piece, position)
            if position < 0:
                found.append(f"{clause.id}: quote {piece!r} not found after {heading!r}")
                break
    return found
