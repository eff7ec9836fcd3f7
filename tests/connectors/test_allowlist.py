"""The SSRF allow-list: exact hosts, and subdomains of entries written with a leading dot."""

from __future__ import annotations

import pytest

from connectors.errors import DisallowedHost
from connectors.http import HttpClient


def _client() -> HttpClient:
    return HttpClient(
        account_id="a", basis="test", allowed_hosts={"graph.facebook.com", ".fbcdn.net"}
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://graph.facebook.com/v19.0/123",
        "https://scontent-iad3-1.xx.fbcdn.net/v/t39/photo.jpg",
        "https://a.fbcdn.net/x.png",
    ],
)
def test_listed_hosts_and_cdn_subdomains_are_allowed(url: str) -> None:
    _client().check_host(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://fbcdn.net.evil.example/x.png",  # suffix must be the end of the host
        "https://evilfbcdn.net/x.png",  # not a subdomain
        "https://a.fbcdn.net:8443/x.png",  # another port is another service
        "http://10.0.0.5/admin",  # the district network
        "file:///etc/passwd",
        "https://graph.facebook.com.evil.example/",
    ],
)
def test_everything_else_is_refused(url: str) -> None:
    with pytest.raises(DisallowedHost):
        _client().check_host(url)
