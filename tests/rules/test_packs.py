"""The five policy packs: they load, cite their source text exactly, encode the differences between
the policies, and a broken pack is reported as file:line: field."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.packs import PACKS_DIR, PackError, citation_problems, load_pack, load_pack_file, pack_ids
from rules.registry import checks

PACKS = pack_ids()


def _checks_used(pack_id: str) -> set[str]:
    return {rule.check for _, rule in load_pack(pack_id).rules()}


def test_every_pack_has_its_policy_source() -> None:
    assert len(PACKS) >= 5
    for pack_id in PACKS:
        assert (PACKS_DIR / "sources" / f"{pack_id}.txt").is_file()


@pytest.mark.parametrize("pack_id", PACKS)
def test_pack_uses_only_registered_checks(pack_id: str) -> None:
    assert _checks_used(pack_id) <= set(checks())


@pytest.mark.parametrize("pack_id", PACKS)
def test_pack_loads_with_every_check_registered(pack_id: str) -> None:
    assert load_pack(pack_id).rules()


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_citation_is_verbatim_in_the_source_under_its_section(pack_id: str) -> None:
    assert citation_problems(load_pack(pack_id)) == []


def test_citation_check_catches_a_misquote(tmp_path: Path) -> None:
    pack = load_pack("moorhead-447-1")
    clause = pack.clauses[0].model_copy(update={"quote": "Employees may do as they please."})
    broken = pack.model_copy(update={"clauses": [clause]})
    [problem] = citation_problems(broken)
    assert "not found" in problem and clause.id in problem
    clause = pack.clauses[0].model_copy(update={"section": "IX. NOWHERE"})
    [problem] = citation_problems(pack.model_copy(update={"clauses": [clause]}))
    assert "not a heading" in problem


@pytest.mark.parametrize("pack_id", PACKS)
def test_pack_lists_manual_clauses_and_versions_itself(pack_id: str) -> None:
    pack = load_pack(pack_id)
    modes = {clause.mode for clause in pack.clauses}
    assert {"automated", "manual"} <= modes
    assert pack.version and pack.rules()


def _rules_by_check(pack_id: str) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for clause, rule in load_pack(pack_id).rules():
        found.setdefault(rule.check, []).append((clause.quote, rule.level.value))
    return found


def test_alexandria_has_no_logo_clause() -> None:
    assert "logo_use" not in _rules_by_check("alexandria-471")


@pytest.mark.parametrize(("pack_id", "authority"), [
    ("west-fargo-debh-ap", "written permission from the Public Relations Department"),
    ("wem-428", "permission from the Superintendent, the school principal, or designee"),
    ("jndc", "express, written consent from the board"),
])
def test_logo_rule_cites_the_districts_own_permission_authority(pack_id: str,
                                                                authority: str) -> None:
    [(quote, level)] = _rules_by_check(pack_id)["logo_use"]
    assert authority in quote and level == "violation"


def test_only_jndc_forbids_using_the_district_name_for_promotion() -> None:
    assert [p for p in PACKS if "political_use" in _rules_by_check(p)] == ["jndc"]


def test_wem_requires_official_page_contents_and_jndc_an_appointed_employee() -> None:
    [(wem_quote, _)] = _rules_by_check("wem-428")["page_governance"]
    assert "official district logo" in wem_quote and "telephone number" in wem_quote
    [(jndc_quote, _)] = _rules_by_check("jndc")["page_governance"]
    assert "appointed employee" in jndc_quote


def test_west_fargo_allows_sharing_district_content() -> None:
    pack = load_pack("west-fargo-debh-ap")
    allowances = [c for c in pack.clauses if c.mode == "allowance"]
    assert any("Sharing of content from district-affiliated accounts" in c.quote
               for c in allowances)


def test_work_hours_is_an_advisory_rule_in_moorhead_and_alexandria_only() -> None:
    """On by default since their policies prohibit personal use during district time; advisory
    because a time stamp does not show a break or a scheduled post."""
    with_rule = []
    for pack_id in PACKS:
        for _, rule in load_pack(pack_id).rules():
            if rule.check == "work_hours":
                with_rule.append(pack_id)
                assert rule.level.value == "advisory" and rule.enabled is True
                assert rule.accounts == ["employee"]
    assert with_rule == ["alexandria-471", "moorhead-447-1"]


@pytest.mark.parametrize(("pack_id", "phrase"), [
    ("west-fargo-debh-ap", "during the instructional day"),
    ("alexandria-471", "public arena"),
    ("moorhead-447-1", "Student photos require parental consent."),
    ("jndc", "student’s family"),
    ("wem-428", "written parental permission"),
])
def test_student_image_rule_cites_each_districts_own_condition(pack_id: str, phrase: str) -> None:
    quotes = [quote for quote, _ in _rules_by_check(pack_id)["student_image"]]
    assert any(phrase in q for q in quotes)


@pytest.mark.parametrize("pack_id", PACKS)
def test_confidentiality_rules_never_overlap_on_an_account_kind(pack_id: str) -> None:
    """Two rules reporting the same category to the same account kind would file each finding
    twice under two clauses."""
    seen: set[tuple[str, str]] = set()
    for _, rule in load_pack(pack_id).rules():
        if rule.check != "confidentiality":
            continue
        for kind in rule.accounts:
            for category in rule.params["categories"]:
                assert (kind, category) not in seen, (rule.id, kind, category)
                seen.add((kind, category))
    assert ("employee", "opt-out-student-named") in seen
    assert ("sponsored", "opt-out-student-named") in seen


# --- broken packs -----------------------------------------------------------------------------

GOOD = """\
id: {id}
version: "1"
policy: Test policy
district: Test district
source: test
clauses:
  - id: confidential
    section: "III. GUIDELINES, F"
    quote: "Employees must protect confidential information."
    rules:
      - id: t.confidentiality.records
        check: confidentiality
        level: violation
        severity: high
        accounts: [employee]
        params: {{}}
"""


def _write(tmp_path: Path, text: str, name: str = "broken") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.format(id=name), encoding="utf-8")
    return path


def test_a_valid_test_pack_loads(tmp_path: Path) -> None:
    pack = load_pack_file(_write(tmp_path, GOOD))
    assert [rule.id for _, rule in pack.rules()] == ["t.confidentiality.records"]


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), [
    ("level: violation", "level: critical", 13, "clauses[0].rules[0].level", "violation"),
    ("severity: high", "severity: hihg", 14, "clauses[0].rules[0].severity", "high"),
    ("accounts: [employee]", "acounts: [employee]", 15, "clauses[0].rules[0].acounts",
     "unknown field"),
    ("check: confidentiality", "check: confidentialty", 12, "clauses[0].rules[0].check",
     "unknown check 'confidentialty'"),
    ("params: {}", "params: {window_words: -1}", 16, "clauses[0].rules[0].params.window_words",
     "greater than or equal"),
    ("params: {}", "params: {categories: [everyone]}", 16,
     "clauses[0].rules[0].params.categories[0]", "student-record"),
    ("params: {}", "params: {colour: red}", 16, "clauses[0].rules[0].params.colour",
     "unknown field"),
    ("    rules:\n", "    manual: true\n    rules:\n", 7, "clauses[0]", "exactly one of"),
    ("id: t.confidentiality.records", "id: Records", 11, "clauses[0].rules[0].id", "pattern"),
])
def test_broken_pack_names_file_line_and_field(tmp_path: Path, old: str, new: str, line: int,
                                               field: str, message: str) -> None:
    text = GOOD.replace(old.replace("{}", "{{}}"), new.replace("{", "{{").replace("}", "}}"))
    assert text != GOOD
    path = _write(tmp_path, text)
    with pytest.raises(PackError) as raised:
        load_pack_file(path)
    rendered = str(raised.value)
    assert f"{path}:{line}: {field}: " in rendered, rendered
    assert message in rendered


def test_pack_id_must_match_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(GOOD.format(id="broken"), encoding="utf-8")
    with pytest.raises(PackError, match=r"other\.yaml:1: id: must match the file name"):
        load_pack_file(path)


def test_duplicate_rule_ids_and_unknown_covered_by_are_errors(tmp_path: Path) -> None:
    rule = GOOD.split("    rules:\n")[1]
    text = GOOD + rule + "  - id: other\n    section: s\n    quote: q q q\n    covered_by: [nope]\n"
    with pytest.raises(PackError) as raised:
        load_pack_file(_write(tmp_path, text))
    assert "duplicate rule id 't.confidentiality.records'" in str(raised.value)
    assert "clauses[1].covered_by: unknown clause 'nope'" in str(raised.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("level: violation", "level: [violation"))
    with pytest.raises(PackError, match=rf"{path}:\d+: invalid YAML"):
        load_pack_file(path)


def test_unknown_pack_id_lists_the_known_ones() -> None:
    with pytest.raises(PackError, match="no pack 'fargo'.*west-fargo-debh-ap"):
        load_pack("fargo")
