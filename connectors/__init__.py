"""Platform connectors, one module each. Register a new one with one line in CONNECTORS."""

from __future__ import annotations

from connectors.base import Connector
from connectors.bluesky import BlueskyConnector
from connectors.facebook import FacebookConnector
from connectors.instagram import InstagramConnector
from connectors.mastodon import MastodonConnector
from connectors.rss import RssConnector
from connectors.web import WebConnector
from connectors.wordpress import WordPressConnector
from connectors.youtube import YouTubeConnector

CONNECTORS: dict[str, type[Connector]] = {
    "mastodon": MastodonConnector,
    "bluesky": BlueskyConnector,
    "wordpress": WordPressConnector,
    "rss": RssConnector,
    "web": WebConnector,
    "facebook": FacebookConnector,
    "instagram": InstagramConnector,
    "youtube": YouTubeConnector,
}


def connector_for(platform: str) -> type[Connector]:
    try:
        return CONNECTORS[platform]
    except KeyError:
        raise KeyError(f"no connector for platform {platform!r}") from None
