"""A district's configuration as this installation can run it: the kernel's loader, checked
against the registries (policy packs in rules/packs/, platforms in connectors.CONNECTORS)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from connectors import CONNECTORS
from hallmonitor.config import Catalog, DistrictConfig, load_config
from rules.packs import pack_ids


@cache
def catalog() -> Catalog:
    return Catalog(policies=frozenset(pack_ids()), platforms=frozenset(CONNECTORS))


def load_district(directory: str | Path) -> DistrictConfig:
    """Load and validate a district directory; raises ConfigError naming file, line and field."""
    return load_config(directory, catalog())
