"""`hallmonitor policy show|list` and format_pack: every clause shown, automated or manual."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cli.main import cli
from rules.packs import load_pack, pack_ids
from rules.show import format_pack


@pytest.mark.parametrize("pack_id", pack_ids())
def test_format_pack_lists_every_clause_and_rule(pack_id: str) -> None:
    pack = load_pack(pack_id)
    text = format_pack(pack)
    lines = text.splitlines()
    assert lines[0].startswith(f"{pack_id} {pack.version}: {pack.policy}")
    assert "clause" in lines[3] and "automated/manual" in lines[3]
    body = lines[5 : lines.index("checks:") - 1]
    assert len(body) == sum(max(1, len(c.rules)) for c in pack.clauses)
    for clause in pack.clauses:
        assert any(line.startswith(clause.id + " ") for line in body), clause.id
    for _, rule in pack.rules():
        assert any(f" {rule.id} " in line and f" {rule.check} " in line for line in body)


def test_manual_covered_and_off_by_default_rules_say_so() -> None:
    rows = format_pack(load_pack("moorhead-447-1")).splitlines()
    remain_calm = next(r for r in rows if r.startswith("remain-calm "))
    assert remain_calm.endswith("manual")
    work_hours = next(r for r in rows if " mh.work-hours.personal-posting " in r)
    assert work_hours.endswith("automated") and "advisory/low" in work_hours
    pack = load_pack("moorhead-447-1")  # as a pack shipping a rule switched off would be:
    clauses = [
        c.model_copy(
            update={
                "rules": [
                    r.model_copy(update={"enabled": r.check != "work_hours"}) for r in c.rules
                ]
            }
        )
        for c in pack.clauses
    ]
    text = format_pack(pack.model_copy(update={"clauses": clauses}))
    off = next(r for r in text.splitlines() if " mh.work-hours.personal-posting " in r)
    assert off.endswith("automated (off by default)") and "1 with checks off by default" in text
    denigrate = next(r for r in rows if r.startswith("denigrate-others "))
    assert denigrate.endswith("covered by respectful-language")
    pseudonyms = next(r for r in rows if r.startswith("pseudonyms "))
    assert pseudonyms.endswith("allowance (not flagged)")


def test_policy_show_command_prints_the_table() -> None:
    result = CliRunner().invoke(cli, ["policy", "show", "alexandria-471"])
    assert result.exit_code == 0, result.output
    assert "alx.confidentiality.records" in result.output
    assert "nonpublic-premises-images" in result.output and "logo" not in result.output


def test_policy_show_unknown_pack_exits_2_and_lists_known_packs() -> None:
    result = CliRunner().invoke(cli, ["policy", "show", "fargo"])
    assert result.exit_code == 2
    assert "west-fargo-debh-ap" in result.output


def test_policy_list_shows_every_pack_with_its_version() -> None:
    result = CliRunner().invoke(cli, ["policy", "list"])
    assert result.exit_code == 0
    for pack_id in pack_ids():
        line = next(ln for ln in result.output.splitlines() if pack_id in ln)
        assert load_pack(pack_id).version in line


def test_format_pack_explains_each_check_with_its_docstring() -> None:
    text = format_pack(load_pack("jndc"))
    legend = text.split("checks:\n", 1)[1]
    assert re.search(
        r"^  confidentiality +Students named with records or identifiers", legend, re.M
    )
    used = {rule.check for _, rule in load_pack("jndc").rules()}
    assert len(legend.strip().splitlines()) == len(used)
