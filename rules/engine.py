"""Apply a district's pack to targets: RuleSet.for_district(config) and RuleSet.evaluate.

`District.policy_overrides` ({rule_id: {param: value}}, or "*" for every rule that has the param)
tunes a pack without copying it. Besides a check's own params, an override may set `enabled`
(a rule listed with `enabled: false`, like work_hours, runs only when a district turns it on) and
`severity`. Everything is validated here, before any fetch; errors name district.yaml's line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hallmonitor.config import DistrictConfig, Problem
from hallmonitor.yamlsrc import SourcedYaml, YamlSyntaxError, load_yaml
from rules.base import Check, CheckContext, CheckParams, Hit, Level, Severity, Target, finding_id
from rules.detect.lexicons import fold
from rules.detect.lexicons.matcher import Gate, words
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
    check: Check[Any]
    params: CheckParams
    severity: Severity
    enabled: bool

    @property
    def level(self) -> Level:
        return self.rule.level


# See RuleSet._routes.
_Route = tuple[tuple[BoundRule, ...], Gate, tuple[Gate, ...], tuple[tuple[BoundRule, int], ...]]
_SUBJECTS = {"profile": "profile", "account": "account", "media": "media"}


def subject_of(target: Target) -> str:
    return _SUBJECTS.get(target.kind, "post")


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
        # Rules whose check can look at a whole batch first (see `evaluate`).
        self._batched = {id(b) for b in rules
                         if b.enabled and type(b.check).prepare is not Check.prepare}
        self._citations: dict[str, dict[str, str]] = {}
        self._routes_for: tuple[CheckContext, dict[tuple[str, str], _Route]] | None = None

    @classmethod
    def for_district(cls, config: DistrictConfig, *, packs_dir: Path = PACKS_DIR) -> RuleSet:
        """The district's pack with its overrides; raise PackError before anything is fetched."""
        pack = load_pack(config.district.policy, packs_dir=packs_dir)
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
        """Findings of every enabled rule on every target.

        Two optional methods of a check make this fast without changing what it finds:
        - `gate(params, ctx) -> Gate`: the words without which `run` finds nothing in a post
          (rules.detect.lexicons.matcher.Gate). The post's words are collected once and every
          rule whose gate stays shut is skipped, so most posts never reach most checks;
        - `prepare(targets, params, ctx)`: called once per batch with the targets the rule will
          run on, before any `run`, for work that is cheap per batch but dear per post (conduct's
          classifier: one scikit-learn call costs milliseconds whatever the number of texts).
        Rules then run target by target, so rules sharing a check instance can reuse its
        analysis of the target they just saw (confidentiality does)."""
        routes = self._routes(ctx)
        planned: list[tuple[Target, Sequence[BoundRule]]] = []
        for target in targets:
            route = routes.get((target.account.kind, _SUBJECTS.get(target.kind, "post")))
            if route is None:
                continue
            ungated, any_gate, gates, rules = route
            text = target.text
            if text and gates:
                folded = fold(text)
                runs = words(folded)
                if any_gate.opens(folded, runs):  # most posts: no gate opens
                    open_ = [gate.opens(folded, runs) for gate in gates]
                    planned.append((target, [b for b, g in rules if g < 0 or open_[g]]))
                    continue
            if ungated:
                planned.append((target, ungated))
        if self._batched:
            self._prepare(planned, ctx)
        drafts: list[FindingDraft] = []
        for target, runnable in planned:
            for bound in runnable:
                hits = bound.check.run(target, bound.params, ctx)
                if hits:
                    drafts += self._drafts(target, bound, hits)
        return drafts

    def _routes(self, ctx: CheckContext) -> dict[tuple[str, str], _Route]:
        """Per (account kind, subject): the rules without a gate, the union of the gates, the
        distinct gates (rules sharing a check often share its gate), and each rule in pack order
        with its gate's index (-1: none). Gates are built from the run's context (the roster,
        the district's names), so once per context."""
        if self._routes_for is not None and self._routes_for[0] is ctx:
            return self._routes_for[1]
        gates: dict[int, Gate] = {}
        for bound in self.rules:
            gate = bound.check.gate(bound.params, ctx) if bound.enabled else None
            if gate is not None:
                gates[id(bound)] = gate
        routes: dict[tuple[str, str], _Route] = {}
        for key, rules in self._plan.items():
            distinct: dict[int, int] = {}  # id(gate) -> its index
            indexed = []
            for bound in rules:
                gate = gates.get(id(bound))
                index = -1 if gate is None else distinct.setdefault(id(gate), len(distinct))
                indexed.append((bound, index))
            unique = {id(gates[id(b)]): gates[id(b)] for b in rules if id(b) in gates}
            union = Gate()
            for gate in unique.values():
                union = union | gate
            routes[key] = (tuple(b for b, i in indexed if i < 0), union,
                           tuple(unique[g] for g in distinct), tuple(indexed))
        self._routes_for = (ctx, routes)
        return routes

    def _prepare(self, planned: list[tuple[Target, Sequence[BoundRule]]],
                 ctx: CheckContext) -> None:
        batches: dict[int, tuple[BoundRule, list[Target]]] = {}
        for target, rules in planned:
            for bound in rules:
                if id(bound) in self._batched:
                    batches.setdefault(id(bound), (bound, []))[1].append(target)
        for bound, batch in batches.values():
            bound.check.prepare(batch, bound.params, ctx)

    def _drafts(self, target: Target, bound: BoundRule, hits: list[Hit]) -> list[FindingDraft]:
        clause = bound.clause
        citation = self._citations.get(clause.id)
        if citation is None:
            citation = self.pack.citation(clause).model_dump()
            self._citations[clause.id] = citation
        subject = subject_of(target)
        return [FindingDraft(
            finding_id=finding_id(self.district_id, target.post_id, bound.rule.id, hit.key),
            district_id=self.district_id, account_id=target.account.id,
            post_id=target.post_id, post_version=target.version, subject=subject,
            check_name=bound.check.name, rule_id=bound.rule.id, clause_id=clause.id,
            citation=dict(citation), level=_level(bound.level, hit.level).value,
            severity=bound.severity.value, category=hit.category,
            summary=hit.summary, evidence=hit.evidence(), pack_id=self.pack.id,
            pack_version=self.pack.version) for hit in hits]


def _level(rule: Level, hit: Level | None) -> Level:
    """The rule's level, lowered to advisory when the check says its evidence is weak."""
    return Level.ADVISORY if hit == Level.ADVISORY else rule


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
        check_cls = registered[rule.check]  # the pack loader refused unknown checks
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
    instances: dict[str, Check[Any]] = {}
    shared = []
    for b in bound:
        check = instances.setdefault(b.check.name, b.check)
        shared.append(BoundRule(b.rule, b.clause, check, b.params, b.severity, b.enabled))
    return shared
