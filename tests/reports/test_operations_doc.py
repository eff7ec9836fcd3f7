"""docs/operations.md is tested too: every SMTP variable the code reads is documented, the report
commands are shown, and the automations it tells people to create are valid for Prefect."""

from __future__ import annotations

import re
import textwrap
import uuid

import yaml

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_smtp_variable_the_code_reads_is_documented() -> None:
    source = (ROOT / "dashboards" / "delivery.py").read_text(encoding="utf-8")
    variables = set(re.findall(r"HALLMONITOR_SMTP_[A-Z]+", source))
    assert len(variables) == 6
    assert {v for v in variables if f"`{v}`" not in DOC} == set()


def test_report_serve_and_deployments_commands_are_shown() -> None:
    for command in ("hallmonitor report monthly --month", "hallmonitor report digest --config",
                    "hallmonitor serve --config", "hallmonitor deployments --config"):
        assert command in DOC


def test_documented_automations_are_valid_prefect_automations() -> None:
    from prefect.events.schemas.automations import AutomationCore

    block = re.search(r"```yaml\n(\s*automations:.*?)\s*```", DOC, re.S)
    assert block is not None
    text = textwrap.dedent(block.group(1)).replace("<notification block id>", str(uuid.uuid4()))
    automations = [AutomationCore.model_validate(a) for a in yaml.safe_load(text)["automations"]]
    assert [a.trigger.posture.value for a in automations] == ["Reactive", "Proactive"]
    assert "prefect.flow-run.Failed" in automations[0].trigger.expect
