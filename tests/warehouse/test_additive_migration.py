"""A migration that only adds a nullable column must not break any writer or reader: every INSERT
names its columns. The store, export and report tests run again with one such migration added."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_store_and_report_tests_pass_after_an_additive_migration() -> None:
    suites = [
        f"{__file__}::test_the_option_adds_the_column_only_when_given",
        "tests/warehouse/test_store.py",
        "tests/warehouse/test_export.py",
        "tests/reports",
    ]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--additive-migration",
            *suites,
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout


def test_the_option_adds_the_column_only_when_given(tmp_path, request) -> None:
    """Run plainly and inside the run above: guards the guard (the option must take effect)."""
    from warehouse import db

    with db.connect(tmp_path / "w.duckdb") as con:
        columns = {r[0] for r in con.execute("DESCRIBE findings").fetchall()}
    assert ("added_later" in columns) == request.config.getoption("--additive-migration")
