"""SQL that reads or writes a warehouse table lives in warehouse/, beside the code that writes the
table (docs/architecture.md, "Warehouse"): reports and flow steps call named functions, so a
schema change is made in one package. The review app is the one exception: it reads its own
snapshot of the warehouse and owns its sidecar's schema (dashboards/review)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["hallmonitor", "connectors", "rules", "dashboards", "flows", "evaluation", "demo", "cli"]
ALLOWED = ("dashboards/review/",)


def _tables() -> set[str]:
    found: set[str] = set()
    for migration in (ROOT / "warehouse" / "migrations").glob("*.sql"):
        found |= set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", migration.read_text()))
    return found


def test_the_migrations_define_the_tables_this_test_looks_for() -> None:
    assert {"posts", "findings", "fetch_runs", "coverage", "media_analysis"} <= _tables()


def test_no_module_outside_the_warehouse_queries_a_warehouse_table() -> None:
    statement = re.compile(
        r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(" + "|".join(sorted(_tables())) + r")\b", re.IGNORECASE
    )
    offenders = []
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(ALLOWED):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if '"' in line or "'" in line:
                    match = statement.search(line)
                    if match and re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", line):
                        offenders.append(f"{relative}:{number}: {line.strip()}")
                    elif match and re.search(r"['\"]\s*(?:FROM|JOIN)\b", line):
                        offenders.append(f"{relative}:{number}: {line.strip()}")
                if re.search(r"\binsert_sql\(", line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
