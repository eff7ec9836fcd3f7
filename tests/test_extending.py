"""Adding a policy pack, a connector or a check is one new file: nothing else is edited.

A copy of the product's packages goes into a temporary tree, one throw-away file of each kind is
added to it, and a fresh interpreter (so nothing is cached from this one) runs the loaders there:
the district config accepts the new pack and platform, the connector registry has the platform,
the check registry has the check, and the engine binds the pack's rule to the new check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("hallmonitor", "connectors", "rules", "warehouse", "flows", "dashboards")

NEW_PACK = """\
id: throwaway-1
version: "2026.1.0"
policy: "A throw-away policy"
district: "Nowhere"
source: "test"
clauses:
  - id: no-shouting
    section: "1"
    quote: "Employees shall not shout."
    rules:
      - id: throwaway.no-shouting.caps
        check: shouting
        level: advisory
        severity: low
        accounts: [employee, sponsored]
        params: {}
"""

NEW_CONNECTOR = '''\
"""A throw-away platform."""

from connectors.base import Connector, FetchResult, FetchWindow


class TootConnector(Connector):
    platform = "toot"

    def fetch(self, window: FetchWindow) -> FetchResult:
        return FetchResult(items=[])
'''

NEW_CHECK = '''\
"""A throw-away check."""

from rules.base import Check, CheckContext, CheckParams, Hit, Target
from rules.registry import register


class ShoutingParams(CheckParams):
    min_letters: int = 12


@register
class Shouting(Check[ShoutingParams]):
    name = "shouting"
    subjects = ("post",)

    def run(self, target: Target, params: ShoutingParams, ctx: CheckContext) -> list[Hit]:
        return []
'''

PROBE = """
import json, sys
from connectors import CONNECTORS
from flows.district import load_district
from rules.engine import RuleSet
from rules.registry import checks

config = load_district(sys.argv[1])
rules = RuleSet.for_district(config)
print(json.dumps({
    "platforms": sorted(CONNECTORS),
    "checks": sorted(checks()),
    "policy": config.district.policy,
    "account_platform": config.accounts[0].platform,
    "bound": sorted(bound.check.name for bound in rules.rules),
}))
"""


def _district(folder: Path) -> Path:
    district = folder / "district"
    (district / "roster").mkdir(parents=True)
    (district / "district.yaml").write_text(textwrap.dedent("""\
        id: nowhere
        name: Nowhere Schools
        policy: throwaway-1
        timezone: America/Chicago
        names: [Nowhere Schools]
        homepage: https://www.nowhere.example/
        """), encoding="utf-8")
    (district / "accounts.yaml").write_text(textwrap.dedent("""\
        accounts:
          - id: nowhere-toot
            kind: sponsored
            platform: toot
            locator: https://toot.example/@nowhere
            responsible: E1
        """), encoding="utf-8")
    (district / "roster" / "students.csv").write_text(
        "student_id,first_name,last_name,preferred_name,school,grade,media_opt_out,photo_consent\n",
        encoding="utf-8")
    (district / "roster" / "staff.csv").write_text(
        "employee_id,first_name,last_name,email,school,role\nE1,Ann,Lee,al@nowhere.example,,staff\n",
        encoding="utf-8")
    return district


def test_a_new_pack_connector_and_check_are_one_file_each(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package,
                        ignore=shutil.ignore_patterns("__pycache__", "sources"))
    (tree / "rules" / "packs" / "throwaway-1.yaml").write_text(NEW_PACK, encoding="utf-8")
    (tree / "connectors" / "toot.py").write_text(NEW_CONNECTOR, encoding="utf-8")
    (tree / "rules" / "checks" / "shouting.py").write_text(NEW_CHECK, encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(_district(tmp_path))],
        cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert "toot" in found["platforms"] and "facebook" in found["platforms"]
    assert "shouting" in found["checks"] and "confidentiality" in found["checks"]
    assert found["policy"] == "throwaway-1"
    assert found["account_platform"] == "toot"
    assert found["bound"] == ["shouting"]


def test_an_unknown_platform_or_pack_is_still_refused(tmp_path: Path) -> None:
    """The registries are the only lists: a name in none of them is a config error."""
    from hallmonitor.config import ConfigError

    district = _district(tmp_path)
    from flows.district import load_district

    try:
        load_district(district)
    except ConfigError as exc:
        messages = {(p.field, p.message.split(";")[0]) for p in exc.problems}
    else:  # pragma: no cover - the assertion below explains
        messages = set()
    assert ("policy", "unknown policy pack 'throwaway-1'") in messages
    assert ("accounts[0].platform", "unknown platform 'toot'") in messages
