"""Platform connectors, one module each. Register a new one with one line in CONNECTORS."""

from __future__ import annotations

from connectors.base import Connector
from connectors.rss import RssConnector
from connectors.web import WebConnector

CONNECTORS: dict[str, type[Connector]] = {
    "rss": RssConnector,
    "web": WebConnector,
}


def connector_for(platform: str) -> type[Connector]:
    try:
        return CONNECTORS[platform]
    except KeyError:
        raise KeyError(f"no connector for platform {platform!r}") from None
