"""Apply a district's pack to targets: RuleSet.for_district(config) and RuleSet.evaluate.

`District.policy_overrides` ({rule_id: {param: value}}, or "*" for every rule that has the param)
tunes a pack without copying it. Besides a check's own params, an override may set `enabled`
(a rule listed with `enabled: false`, like work_hours, runs only when a district turns it on) and
`severity`. Everything is validated here, before any fetch; errors name district.yaml's line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hallmonitor.config import DistrictConfig, Problem
from hallmonitor.yamlsrc import SourcedYaml, YamlSyntaxError, load_yaml
from rules.base import Check, CheckContext, CheckParams, Level, Severity, Target, finding_id
from rules.packs import PACKS_DIR, Clause, Pack, PackError, Rule, load_pack

RULE_KEYS = ("enabled", "severity")  # override keys that belong to the rule, not the check
WILDCARD = "*"


@dataclass
class FindingDraft:
    """Exactly the columns of `findings` that a check run decides (docs/architecture.md)."""

    finding_id: str
    district_id: str
    account_id: str
    post_id: str | None
    post_version: int | None
    subject: str  # post | profile | account | media
    check_name: str
    rule_id: str
    clause_id: str | None
    citation: dict[str, str]  # {policy, section, quote}
    level: str
    severity: str
    category: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    pack_id: str = ""
    pack_version: str = ""


@dataclass(frozen=True)
class BoundRule:
    """A pack rule with its district's overrides applied and its check instantiated."""

    rule: Rule
    clause: Clause
    check: Check
    params: CheckParams
    severity: Severity
    enabled: bool

    @property
    def level(self) -> Level:
        return self.rule.level


def subject_of(target: Target) -> str:
    return {"profile": "profile", "account": "account", "media": "media"}.get(target.kind, "post")


class RuleSet:
    def __init__(self, pack: Pack, district_id: str, rules: list[BoundRule]) -> None:
        self.pack = pack
        self.district_id = district_id
        self.rules = rules
        self._plan: dict[tuple[str, str], list[BoundRule]] = {}
        for bound in rules:
            if not bound.enabled:
                continue
            for kind in bound.rule.accounts:
                for subject in bound.check.subjects:
                    self._plan.setdefault((kind, subject), []).append(bound)

    @classmethod
    def for_district(cls, config: DistrictConfig, *, strict_checks: bool = True,
                     packs_dir: Path = PACKS_DIR) -> RuleSet:
        """The district's pack with its overrides; raise PackError before anything is fetched.
        With strict_checks=False, rules whose check is not registered are left out."""
        pack = load_pack(config.district.policy, strict_checks=strict_checks, packs_dir=packs_dir)
        return cls.from_pack(pack, config)

    @classmethod
    def from_pack(cls, pack: Pack, config: DistrictConfig) -> RuleSet:
        """A given pack (e.g. a test pack) with the district's overrides."""
        return cls(pack, config.district.id, bind(pack, config.district.policy_overrides,
                                                  _district_source(config)))

    @property
    def active(self) -> list[BoundRule]:
        return [r for r in self.rules if r.enabled]

    def evaluate(self, targets: Iterable[Target], ctx: CheckContext) -> list[FindingDraft]:
        drafts: list[FindingDraft] = []
        citations: dict[str, dict[str, str]] = {}
        for target in targets:
            subject = subject_of(target)
            for bound in self._plan.get((target.account.kind, subject), ()):
                hits = bound.check.run(target, bound.params, ctx)
                for hit in hits:
                    clause = bound.clause
                    citation = citations.get(clause.id)
                    if citation is None:
                        citation = self.pack.citation(clause).model_dump()
                        citations[clause.id] = citation
                    drafts.append(FindingDraft(
                        finding_id=finding_id(self.district_id, target.post_id, bound.rule.id,
                                              hit.key),
                        district_id=self.district_id, account_id=target.account.id,
                        post_id=target.post_id, post_version=target.version, subject=subject,
                        check_name=bound.check.name, rule_id=bound.rule.id, clause_id=clause.id,
                        citation=dict(citation), level=bound.level.value,
                        severity=bound.severity.value, category=hit.category,
                        summary=hit.summary, evidence=hit.evidence(), pack_id=self.pack.id,
                        pack_version=self.pack.version))
        return drafts


def _district_source(config: DistrictConfig) -> SourcedYaml | None:
    path = config.base_dir / "district.yaml"
    try:
        return load_yaml(path) if path.is_file() else None
    except YamlSyntaxError:
        return None


def bind(pack: Pack, overrides: dict[str, dict[str, Any]],
         source: SourcedYaml | None = None) -> list[BoundRule]:
    """Apply overrides to the pack's rules and validate every param; raise PackError listing each
    unknown rule id, unknown param and bad value (with district.yaml's line when known)."""
    from rules.registry import checks

    registered = checks()
    problems: list[Problem] = []
    file = str(source.path) if source else "district.yaml"

    def flag(loc: tuple[str, ...], message: str) -> None:
        line = source.line_for(("policy_overrides", *loc)) if source else None
        problems.append(Problem(file, line, ".".join(("policy_overrides", *loc)), message))

    known = {rule.id: rule for _, rule in pack.rules()}
    for rule_id in overrides:
        if rule_id != WILDCARD and rule_id not in known:
            close = difflib.get_close_matches(rule_id, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            flag((rule_id,), f"unknown rule id {rule_id!r} in pack {pack.id!r}{hint}")
    wildcard = overrides.get(WILDCARD, {})
    wildcard_used = set(wildcard) & set(RULE_KEYS)
    bound: list[BoundRule] = []
    for clause, rule in pack.rules():
        check_cls = registered.get(rule.check)
        if check_cls is None:
            continue  # only reachable when the pack was loaded with strict_checks=False
        fields = set(check_cls.Params.model_fields)
        shared = {k: v for k, v in wildcard.items() if k in fields or k in RULE_KEYS}
        wildcard_used |= set(shared)
        mine = overrides.get(rule.id, {})
        for name in mine:
            if name not in fields and name not in RULE_KEYS:
                allowed = ", ".join(sorted(fields | set(RULE_KEYS)))
                flag((rule.id, name), f"unknown parameter {name!r} for rule {rule.id!r} "
                                      f"(check {rule.check!r}); allowed: {allowed}")
        merged = {**rule.params, **shared, **mine}
        check_params = {k: v for k, v in merged.items() if k not in RULE_KEYS}
        try:
            params = check_cls.Params.model_validate(check_params)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else ""
                where = rule.id if name in mine else WILDCARD if name in shared else rule.id
                flag((where, name) if name else (where,),
                     f"{error['msg'].removeprefix('Value error, ')} (rule {rule.id!r})")
            continue
        enabled, severity = merged.get("enabled", rule.enabled), merged.get("severity",
                                                                           rule.severity)
        if not isinstance(enabled, bool):
            flag((rule.id, "enabled"), "enabled must be true or false")
            continue
        try:
            severity = Severity(severity)
        except ValueError:
            flag((rule.id, "severity"), f"severity must be one of: "
                                        f"{', '.join(s.value for s in Severity)}")
            continue
        bound.append(BoundRule(rule, clause, check_cls(), params, severity, enabled))
    for name in set(wildcard) - wildcard_used:
        flag((WILDCARD, name), f"parameter {name!r} is not a parameter of any rule in pack "
                               f"{pack.id!r}")
    if problems:
        raise PackError(problems)
    return _share_instances(bound)


def _share_instances(bound: list[BoundRule]) -> list[BoundRule]:
    """One check instance per check name, so a check can reuse its analysis of a target across
    the rules that share it (confidentiality does)."""
    instances: dict[str, Check] = {}
    shared = []
    for b in bound:
        check = instances.setdefault(b.check.name, b.check)
        shared.append(BoundRule(b.rule, b.clause, check, b.params, b.severity, b.enabled))
    return shared
