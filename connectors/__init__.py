"""Platform connectors, one module each. Register a new one with one line in CONNECTORS."""

from __future__ import annotations

from connectors.base import Connector

CONNECTORS: dict[str, type[Connector]] = {}


def connector_for(platform: str) -> type[Connector]:
    try:
        return CONNECTORS[platform]
    except KeyError:
        raise KeyError(f"no connector for platform {platform!r}") from None
