"""RuleSet: which rules apply to which accounts, overrides, and what a FindingDraft carries."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from rules.engine import FindingDraft, RuleSet
from rules.packs import PackError, load_pack, load_pack_file
from tests.rules.helpers import config, context, target, write_config

IEP = "Maya Johnson's IEP meeting moved to Tuesday"
FINDINGS_COLUMNS = {"finding_id", "district_id", "account_id", "post_id", "post_version",
                    "subject", "check_name", "rule_id", "clause_id", "citation", "level",
                    "severity", "category", "summary", "evidence", "pack_id", "pack_version"}

TEST_PACK = """\
id: test-pack
version: "7.1"
policy: Test policy
district: Test district
source: test
clauses:
  - id: records
    section: "S"
    quote: "no records"
    rules:
      - id: t.confidentiality.records
        check: confidentiality
        level: violation
        severity: high
        accounts: [employee]
        params: {categories: [student-record]}
  - id: opt-out
    section: "S"
    quote: "no opted-out students"
    rules:
      - id: t.confidentiality.opt-out
        check: confidentiality
        level: advisory
        severity: low
        accounts: [sponsored]
        enabled: false
        params: {categories: [opt-out-student-named]}
  - id: calm
    section: "S"
    quote: "remain calm"
    manual: true
"""


def _rules(policy: str, **extra: Any) -> RuleSet:
    return RuleSet.for_district(config(policy, **extra))


def _test_rules(tmp_path: Path, overrides: dict | None = None) -> RuleSet:
    (tmp_path / "test-pack.yaml").write_text(TEST_PACK, encoding="utf-8")
    pack = load_pack_file(tmp_path / "test-pack.yaml")
    return RuleSet.from_pack(pack, config("jndc", policy_overrides=overrides or {}))


def _evaluate(rules: RuleSet, text: str, account: str) -> list[FindingDraft]:
    cfg = config(rules.pack.id if rules.pack.id != "test-pack" else "jndc")
    return rules.evaluate([target(text, account, cfg)], context(cfg))


def test_finding_draft_has_exactly_the_findings_columns_a_check_decides() -> None:
    assert {f.name for f in dataclasses.fields(FindingDraft)} == FINDINGS_COLUMNS


@pytest.mark.parametrize(("account", "rule_id"), [
    ("hs-page", "wem.confidentiality.student-data-official"),
    ("emp-ortiz", "wem.confidentiality.records"),
])
def test_rules_apply_only_to_the_account_kinds_they_list(account: str, rule_id: str) -> None:
    drafts = _evaluate(_rules("wem-428"), IEP, account)
    assert [d.rule_id for d in drafts] == [rule_id]


def test_a_clause_for_employees_only_ignores_sponsored_pages(tmp_path: Path) -> None:
    rules = _test_rules(tmp_path)
    assert [d.rule_id for d in _evaluate(rules, IEP, "emp-ortiz")] == ["t.confidentiality.records"]
    assert _evaluate(rules, IEP, "hs-page") == []


def test_draft_carries_citation_level_severity_and_pack_version() -> None:
    [draft] = _evaluate(_rules("alexandria-471"), IEP, "emp-ortiz")
    assert draft.level == "violation" and draft.severity == "high"
    assert draft.pack_id == "alexandria-471"
    assert draft.pack_version == load_pack("alexandria-471").version
    assert draft.clause_id == "confidential-information"
    assert draft.citation["policy"] == "471 Employee Use of Social Media"
    assert draft.citation["section"] == "IV. REQUIREMENTS, A"
    assert "confidential or proprietary" in draft.citation["quote"]
    assert draft.category == "student-record" and draft.subject == "post"
    assert draft.evidence["spans"] and draft.evidence["detector"]
    assert (draft.district_id, draft.account_id, draft.post_id, draft.post_version) == (
        "prairie", "emp-ortiz", "p1", 1)


def test_levels_come_from_the_pack(tmp_path: Path) -> None:
    rules = _test_rules(tmp_path, {"t.confidentiality.opt-out": {"enabled": True}})
    [draft] = _evaluate(rules, "Go Linh Nguyen!", "hs-page")
    assert (draft.level, draft.severity, draft.pack_version) == ("advisory", "low", "7.1")


def test_finding_ids_are_stable_across_runs_and_differ_by_post_and_rule() -> None:
    first = _evaluate(_rules("moorhead-447-1"), "Linh Nguyen got detention", "emp-ortiz")
    again = _evaluate(_rules("moorhead-447-1"), "Linh Nguyen got detention", "emp-ortiz")
    assert [d.finding_id for d in first] == [d.finding_id for d in again]
    assert len({d.finding_id for d in first}) == len(first) == 2  # record + opted-out named
    cfg = config("moorhead-447-1")
    other_post = _rules("moorhead-447-1").evaluate(
        [target("Linh Nguyen got detention", "emp-ortiz", cfg, post_id="p2")], context(cfg))
    assert not {d.finding_id for d in first} & {d.finding_id for d in other_post}


def test_a_disabled_rule_is_skipped_unless_the_district_turns_it_on(tmp_path: Path) -> None:
    assert _evaluate(_test_rules(tmp_path), "Go Linh Nguyen!", "hs-page") == []
    on = _test_rules(tmp_path, {"t.confidentiality.opt-out": {"enabled": True}})
    assert [d.rule_id for d in _evaluate(on, "Go Linh Nguyen!", "hs-page")] == [
        "t.confidentiality.opt-out"]


def test_an_enabled_rule_can_be_switched_off(tmp_path: Path) -> None:
    off = _test_rules(tmp_path, {"t.confidentiality.records": {"enabled": False}})
    assert _evaluate(off, IEP, "emp-ortiz") == []


def test_overrides_change_params_and_severity_without_copying_the_pack(tmp_path: Path) -> None:
    rules = _test_rules(tmp_path, {"t.confidentiality.records": {"severity": "critical",
                                                                 "first_name_alone": False}})
    [draft] = _evaluate(rules, IEP, "emp-ortiz")
    assert draft.severity == "critical"
    assert _evaluate(rules, "Jaxon had a rough day, his therapist called", "emp-ortiz") == []


def test_wildcard_override_reaches_every_rule_with_that_param(tmp_path: Path) -> None:
    rules = _test_rules(tmp_path, {"*": {"window_words": 3}})
    assert {r.params.window_words for r in rules.rules} == {3}  # type: ignore[attr-defined]


def test_disabled_rules_are_listed_but_not_active(tmp_path: Path) -> None:
    rules = _test_rules(tmp_path)
    assert [r.rule.id for r in rules.rules] == ["t.confidentiality.records",
                                                "t.confidentiality.opt-out"]
    assert [r.rule.id for r in rules.active] == ["t.confidentiality.records"]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"mh.confidentiality.recrods": {"window_words": 5}},
     "policy_overrides.mh.confidentiality.recrods",
     "unknown rule id 'mh.confidentiality.recrods' in pack 'moorhead-447-1' "
     "(did you mean 'mh.confidentiality.records'?)"),
    ({"mh.confidentiality.records": {"window": 5}},
     "policy_overrides.mh.confidentiality.records.window",
     "unknown parameter 'window' for rule 'mh.confidentiality.records' (check "
     "'confidentiality'); allowed: categories, consented_public_records, enabled,"),
    ({"mh.confidentiality.records": {"window_words": "wide"}},
     "policy_overrides.mh.confidentiality.records.window_words", "valid integer"),
    ({"mh.confidentiality.records": {"severity": "huge"}},
     "policy_overrides.mh.confidentiality.records.severity", "severity must be one of"),
    ({"mh.confidentiality.records": {"enabled": "sometimes"}},
     "policy_overrides.mh.confidentiality.records.enabled", "enabled must be true or false"),
    ({"*": {"no_such_param": 1}}, "policy_overrides.*.no_such_param",
     "not a parameter of any rule"),
])
def test_bad_override_names_district_yaml_line_and_field(tmp_path: Path, overrides: dict,
                                                         field: str, message: str) -> None:
    cfg = write_config(tmp_path, "moorhead-447-1", policy_overrides=overrides)
    with pytest.raises(PackError) as raised:
        RuleSet.for_district(cfg)
    rendered = str(raised.value)
    lines = (tmp_path / "district.yaml").read_text(encoding="utf-8").splitlines()
    override_line = next(i for i, text in enumerate(lines, 1) if "policy_overrides" in text)
    assert f"district.yaml:{override_line + 1}: {field}: " in rendered or \
        f"district.yaml:{override_line + 2}: {field}: " in rendered, rendered
    assert message in rendered


def test_a_pack_whose_checks_are_not_registered_is_refused(tmp_path: Path) -> None:
    (tmp_path / "test-pack.yaml").write_text(TEST_PACK.replace(
        "check: confidentiality\n        level: advisory", "check: no_such_check\n"
        "        level: advisory"), encoding="utf-8")
    with pytest.raises(PackError, match="unknown check 'no_such_check'"):
        load_pack("test-pack", packs_dir=tmp_path)


def test_rules_sharing_a_check_share_one_instance() -> None:
    rules = _rules("moorhead-447-1")
    instances = {id(r.check) for r in rules.rules if r.rule.check == "confidentiality"}
    assert len(instances) == 1


def test_profile_targets_are_profile_subjects() -> None:
    cfg = config("alexandria-471")
    drafts = _rules("alexandria-471").evaluate(
        [target("Proud teacher. Ask me about Linh Nguyen!", "emp-ortiz", cfg, kind="profile")],
        context(cfg))
    assert [d.subject for d in drafts] == ["profile"]


CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "text"


def _one_by_one(ruleset: RuleSet, targets: list[Any], ctx: Any) -> list[tuple[Any, ...]]:
    """What evaluate must equal: every planned rule's check run on every target, with fresh
    check instances (no gates, no batch preparation)."""
    from rules.engine import subject_of

    fresh: dict[str, Any] = {}
    found = []
    for post in targets:
        for bound in ruleset._plan.get((post.account.kind, subject_of(post)), ()):
            check = fresh.setdefault(bound.check.name, type(bound.check)())
            for hit in check.run(post, bound.params, ctx):
                found.append((post.post_id, bound.rule.id, hit.evidence()))
    return found


@pytest.mark.parametrize("pack", ["west-fargo-debh-ap", "moorhead-447-1", "wem-428", "jndc",
                                  "alexandria-471"])
def test_gates_and_batch_preparation_change_no_finding(pack: str) -> None:
    import yaml

    from evaluation.text_eval import EVAL_NOW, config_for_pack, load_items
    from flows.district import load_district
    from rules.base import CheckContext

    base = load_district(CORPUS)
    overrides = yaml.safe_load((CORPUS / "overrides.yaml").read_text(encoding="utf-8")) or {}
    cfg = config_for_pack(base, pack, overrides)
    targets = [item.target for item in load_items(CORPUS, cfg)]
    ruleset = RuleSet.for_district(cfg)
    ctx = CheckContext(cfg, EVAL_NOW)
    drafts = ruleset.evaluate(targets, ctx)
    assert drafts, "the corpus has findings under every pack"
    assert [(d.post_id, d.rule_id, d.evidence) for d in drafts] == _one_by_one(
        ruleset, targets, CheckContext(cfg, EVAL_NOW))


def test_most_posts_never_reach_the_gated_checks() -> None:
    from rules.detect.lexicons import fold
    from rules.detect.lexicons.matcher import words

    ruleset = _rules("west-fargo-debh-ap")
    ctx = context(config("west-fargo-debh-ap"))
    routes = ruleset._routes(ctx)
    ungated, any_gate, gates, _ = routes[("employee", "post")]
    assert {b.check.name for b in ungated} <= {"logo_use", "student_image"}
    for text in ("Great volleyball game tonight! Go Rivercats!", "New recipe: apple crisp."):
        folded = fold(text)
        assert not any_gate.opens(folded, words(folded)), text
    for text in (IEP, "This fucking school board", "Official statement: buses run late"):
        folded = fold(text)
        assert any_gate.opens(folded, words(folded)), text
