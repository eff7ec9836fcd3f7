"""One URL parse for deciding and sending (issue 10, item 3): the parser-mismatch family, private
addresses, and a property test that the host a request would reach is always one allowed."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from connectors.errors import DisallowedHost
from connectors.http import HttpClient, HttpSettings
from connectors.scope import AccessPolicy
from demo.fakeplatform import FakePlatform

ALLOWED = {"media.example.org", ".wp.com", ".fbcdn.net", "127.0.0.1:8080"}
OK = (200, {"Content-Type": "image/png"}, b"\x89PNG")


class _Stop(Exception):
    """Raised by the recording session: the URL is recorded, nothing goes on the wire."""


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(str(url))
        raise _Stop


def recording_client(allowed: set[str] = ALLOWED) -> tuple[HttpClient, RecordingSession]:
    session = RecordingSession()
    http = HttpClient("a", "test", set(allowed), session=session, sleep=lambda s: None)
    return http, session


def contacted(url: str) -> tuple[str, int] | None:
    """Where requests/urllib3 would connect for `url` (None: requests refuses to send it): its
    host as the OS resolver reads an IPv4 spelling (inet_aton: 127.1, 0x7f.1 and 2130706433 are
    all 127.0.0.1), and its port."""
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
    except requests.RequestException:
        return None
    parts = parse_url(prepared)
    host = (parts.host or "").strip("[]").lower().rstrip(".")
    try:
        host = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        pass
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def host_is_allowed(host: str, port: int) -> bool:
    """An oracle written apart from the code under test."""
    try:
        ip: Any = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        mapped = getattr(ip, "ipv4_mapped", None) or ip
        return (str(mapped), port) == ("127.0.0.1", 8080) or mapped.is_global
    if port not in (80, 443):
        return False
    return host == "media.example.org" or host.endswith((".wp.com", ".fbcdn.net"))


def send(http: HttpClient, session: RecordingSession, url: str) -> str | None:
    """The URL the client handed to the session, or None when it refused before sending."""
    try:
        http.get_bytes(url)
    except _Stop:
        return session.sent[-1]
    except DisallowedHost:
        return None
    return None


# -- the parser-mismatch family ------------------------------------------------------------------
MISMATCH = [
    ("backslash ends the host for urllib3", "http://127.0.0.1\\.wp.com/x"),
    ("backslash to a metadata address", "http://169.254.169.254\\.wp.com/latest/meta-data/"),
    ("backslash to the district network", "http://10.0.0.5\\.fbcdn.net/x"),
    ("encoded slash in the host", "http://evil.com%2f.wp.com/x"),
    ("encoded backslash in the host", "http://evil.com%5c.wp.com/x"),
    ("user info before an allowed-looking host", "http://i0.wp.com@127.0.0.1/x"),
    ("user info with a password", "http://i0.wp.com:pw@10.0.0.5/x"),
    ("tab inside the host", "http://127.0.0.1\t.wp.com/x"),
    ("newline inside the host", "http://127.0.0.1\n.wp.com/x"),
    ("space inside the host", "http://127.0.0.1 .wp.com/x"),
    ("decimal IPv4", "http://2130706433/x"),
    ("hex IPv4", "http://0x7f000001/x"),
    ("octal IPv4", "http://0177.0.0.1/x"),
    ("short IPv4", "http://127.1/x"),
    ("mixed hex IPv4", "http://0x7f.0.0.1/x"),
    ("IPv6 loopback", "http://[::1]/x"),
    ("IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]/x"),
    ("IPv4-mapped IPv6 metadata", "http://[::ffff:a9fe:a9fe]/x"),
    ("IPv6 with a zone id", "http://[fe80::1%25eth0]/x"),
    ("private IPv4 literal", "http://192.168.1.10/x"),
    ("link-local IPv4 literal", "http://169.254.169.254/x"),
    ("allowed suffix on another port", "http://a.wp.com:8443/x"),
    ("suffix without the dot", "http://evilwp.com/x"),
    ("two trailing dots", "http://i0.wp.com../x"),
    ("non-http scheme", "file:///etc/passwd"),
    ("scheme-relative", "//i0.wp.com/x"),
]


@pytest.mark.parametrize("url", [c[1] for c in MISMATCH], ids=[c[0] for c in MISMATCH])
def test_parser_mismatch_urls_are_refused_before_sending(url: str) -> None:
    http, session = recording_client()
    assert send(http, session, url) is None
    assert session.sent == []
    assert [r.outcome.split(":")[0] for r in http.records] == ["refused"]


ACCEPTED = [
    ("CDN subdomain", "https://i0.wp.com/x.png?w=300", "https://i0.wp.com/x.png?w=300"),
    ("trailing dot is the same host", "https://i0.wp.com./x.png", "https://i0.wp.com/x.png"),
    ("upper-case host", "https://MEDIA.example.ORG/a.png", "https://media.example.org/a.png"),
    ("default port spelled out", "https://media.example.org:443/a", "https://media.example.org/a"),
    ("dot segments resolved", "https://media.example.org/a/../b", "https://media.example.org/b"),
    ("the configured loopback host", "http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"),
]


@pytest.mark.parametrize(("url", "sent"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_allowed_urls_are_sent_as_parsed(url: str, sent: str) -> None:
    http, session = recording_client()
    assert send(http, session, url) == sent


# -- resolved addresses --------------------------------------------------------------------------
@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    with FakePlatform() as platform:
        platform.route("/img.png", lambda request: OK)
        yield platform


def test_a_name_resolving_to_loopback_is_refused_at_connect(fake: FakePlatform) -> None:
    """`localhost` is allowed by name but is nobody's configured host: the connection resolves it,
    finds a loopback address and refuses to connect (no DNS answer can point us inward)."""
    port = fake.host.rsplit(":", 1)[1]
    policy = AccessPolicy.simple({f"localhost:{port}"})
    policy = AccessPolicy(policy.page_hosts, policy.media_hosts, frozenset())
    http = HttpClient("a", "t", {f"localhost:{port}"}, policy=policy, sleep=lambda s: None)
    with pytest.raises(DisallowedHost):
        http.get_bytes(f"http://localhost:{port}/img.png")
    assert fake.requests == []
    assert http.records[-1].outcome.startswith("refused: ")


def test_the_accounts_own_loopback_host_is_reached(fake: FakePlatform) -> None:
    """Tests and the demo run on 127.0.0.1: an account's own configured host may be loopback."""
    http = HttpClient("a", "t", {fake.host}, settings=HttpSettings(max_attempts=1))
    assert http.get_bytes(fake.base_url + "/img.png") == (b"\x89PNG", "image/png")


def test_loopback_reached_through_a_cdn_suffix_is_refused(fake: FakePlatform) -> None:
    """An allowed name is not enough: a suffix entry never makes a private address acceptable."""
    port = fake.host.rsplit(":", 1)[1]
    policy = AccessPolicy(frozenset(), frozenset({f"localhost:{port}"}), frozenset())
    http = HttpClient("a", "t", set(), policy=policy, sleep=lambda s: None)
    with pytest.raises(DisallowedHost):
        http.get_bytes(f"http://127.0.0.1:{port}/img.png")
    assert fake.requests == []


# -- the property ----------------------------------------------------------------------------------
HOSTS = st.sampled_from(
    [
        "media.example.org",
        "i0.wp.com",
        "a.b.fbcdn.net",
        "127.0.0.1",
        "127.0.0.1:8080",
        "127.0.0.1:8081",
        "10.0.0.5",
        "169.254.169.254",
        "evil.example",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "localhost",
        "wp.com",
    ]
)
JOINERS = st.sampled_from(
    ["\\", "%2f", "%5c", "@", ":pw@", "\t", "\n", " ", ".", "..", "/", "#", "?", ":80", ":8080", ""]
)


@st.composite
def hostile_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http://", "https://", "HTTP://", "//", "ftp://"]))
    parts = draw(st.lists(st.tuples(HOSTS, JOINERS), min_size=1, max_size=3))
    authority = "".join(h + j for h, j in parts)
    tail = draw(st.sampled_from(["", ".wp.com", ".fbcdn.net", ".media.example.org"]))
    path = draw(st.sampled_from(["/", "/x.png", "/a/../b", "/%2e%2e/x", ""]))
    return scheme + authority + tail + path


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_urls())
def test_the_host_contacted_is_always_one_that_was_allowed(url: str) -> None:
    http, session = recording_client()
    sent = send(http, session, url)
    reached = contacted(sent) if sent is not None else None
    if reached is not None:
        assert host_is_allowed(*reached), f"{url!r} was sent as {sent!r}, reaching {reached}"
