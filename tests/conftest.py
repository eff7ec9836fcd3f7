"""Test-wide settings: nothing phones home, caches go to a temp folder, Prefect state is local."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_CACHE = tempfile.mkdtemp(prefix="hallmonitor-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)  # a run leaves no cache behind

os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["XDG_CACHE_HOME"] = _CACHE
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect-test"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The temporary Prefect API can take longer than its default 20 s to start on a busy 2-core box.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

FIXTURES = ROOT / "tests" / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--additive-migration",
        action="store_true",
        help="apply one more migration that adds a nullable column to every table "
        "(tests/warehouse/test_additive_migration.py runs the store and report tests with it)",
    )


@pytest.fixture(autouse=True, scope="session")
def _additive_migration(request: pytest.FixtureRequest) -> Iterator[None]:
    if not request.config.getoption("--additive-migration"):
        yield
        return
    from warehouse import db

    shipped = db.migrations
    tables = sorted(
        {name for _, _, sql in shipped() for name in re.findall(r"CREATE TABLE (\w+)", sql)}
    )
    extra = "\n".join(f"ALTER TABLE {t} ADD COLUMN added_later VARCHAR;" for t in tables)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "migrations", lambda: [*shipped(), (9999, "9999_additive.sql", extra)])
        yield
