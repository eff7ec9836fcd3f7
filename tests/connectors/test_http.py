"""HttpClient against a loopback FakePlatform: retries, throttling, stalls, byte ceilings, the
SSRF allow-list, the permission gate, redaction and the access log.
Waits are recorded, not slept."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from connectors.errors import DisallowedHost, NotPermitted, SkippableError
from connectors.http import AccessRecord, HttpClient, HttpSettings
from demo.fakeplatform import FakePlatform, Handler, Request, Response

BASIS = "sponsored: district-owned"
TOKEN = "s3cr3t/T0K+EN="  # has characters that URLs percent-encode


def no_sleep(seconds: float) -> None:
    """Waits are not slept in tests."""


@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    with FakePlatform() as platform:
        yield platform


def client(fake: FakePlatform, waits: list[float] | None = None, **settings: Any) -> HttpClient:
    defaults: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 2.0, "max_attempts": 3}
    return HttpClient(
        account_id="acct-1",
        basis=BASIS,
        allowed_hosts={fake.host},
        secrets=[TOKEN],
        settings=HttpSettings(**{**defaults, **settings}),
        sleep=(waits if waits is not None else []).append,
    )


def sequence(*responses: Response) -> Handler:
    """Answer with each response in turn, then keep repeating the last one."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


OK: Response = (200, {}, {"ok": True})


# -- retries and throttling -----------------------------------------------------------------------
RETRY_CASES = [
    # (name, responses, settings, expected reason or None for success, waits, requests)
    ("503 then success is retried once", [(503, {}, {}), OK], {}, None, [1.0], 2),
    (
        "502, 500 then success backs off exponentially",
        [(502, {}, {}), (500, {}, {}), OK],
        {},
        None,
        [1.0, 2.0],
        3,
    ),
    (
        "429 with Retry-After seconds waits that long",
        [(429, {"Retry-After": "7"}, {}), OK],
        {},
        None,
        [7.0],
        2,
    ),
    ("429 without Retry-After uses back-off", [(429, {}, {}), OK], {}, None, [1.0], 2),
    (
        "Retry-After equal to max_wait is still waited",
        [(429, {"Retry-After": "120"}, {}), OK],
        {"max_wait": 120.0},
        None,
        [120.0],
        2,
    ),
    (
        "Retry-After beyond max_wait gives up as rate_limited",
        [(429, {"Retry-After": "121"}, {})],
        {"max_wait": 120.0},
        "rate_limited",
        [],
        1,
    ),
    (
        "persistent 500 exhausts the retries",
        [(500, {}, {})],
        {},
        "transient_exhausted",
        [1.0, 2.0],
        3,
    ),
    ("404 is not retried", [(404, {}, {})], {}, "not_found", [], 1),
    ("401 is an auth failure, not retried", [(401, {}, {})], {}, "auth", [], 1),
    ("403 is forbidden, not retried", [(403, {}, {})], {}, "forbidden", [], 1),
]


@pytest.mark.parametrize(
    ("responses", "settings", "reason", "waits", "requests"),
    [c[1:] for c in RETRY_CASES],
    ids=[c[0] for c in RETRY_CASES],
)
def test_retry_and_throttle_behaviour(
    fake: FakePlatform,
    responses: list[Response],
    settings: dict[str, Any],
    reason: str | None,
    waits: list[float],
    requests: int,
) -> None:
    fake.route("/x", sequence(*responses))
    recorded: list[float] = []
    http = client(fake, recorded, **settings)
    if reason is None:
        assert http.get_json(fake.base_url + "/x")[0] == {"ok": True}
    else:
        with pytest.raises(SkippableError) as caught:
            http.get(fake.base_url + "/x")
        assert caught.value.reason == reason
    assert recorded == waits
    assert len(fake.requests) == requests
    assert len(http.records) == requests


def test_retry_after_as_http_date_waits_until_then(fake: FakePlatform) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.route("/x", sequence((429, {"Retry-After": when}, {}), OK))
    waits: list[float] = []
    client(fake, waits).get(fake.base_url + "/x")
    assert len(waits) == 1 and 27.0 <= waits[0] <= 30.0, waits


@pytest.mark.parametrize(
    ("stall", "reason"),
    [(1.0, "transient_exhausted"), (0.02, None)],
    ids=[
        "stall beyond the read timeout is retried then a gap",
        "short pause within the read timeout is fine",
    ],
)
def test_stalled_response(fake: FakePlatform, stall: float, reason: str | None) -> None:
    def slow(request: Request) -> Response:
        time.sleep(stall)
        return OK

    fake.route("/slow", slow)
    http = client(fake, read_timeout=0.3, max_attempts=2)
    if reason is None:
        http.get(fake.base_url + "/slow")
        assert [r.outcome for r in http.records] == ["ok"]
        return
    with pytest.raises(SkippableError) as caught:
        http.get(fake.base_url + "/slow")
    assert caught.value.reason == reason
    assert [r.outcome for r in http.records] == ["timeout", "timeout"]
    assert len(fake.requests) == 2


# -- byte ceilings --------------------------------------------------------------------------------
def _chunked(payload: bytes, size: int = 256) -> bytes:
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


# A lying Content-Length beside Transfer-Encoding: chunked (which wins, RFC 9112 §6.1) makes the
# body arrive without a usable declared size, so only the streaming count can stop it.
CHUNKED = {"Transfer-Encoding": "chunked", "Content-Length": "10", "Content-Type": "text/plain"}
SIZE_CASES = [
    ("declared Content-Length over the ceiling", (200, {}, b"x" * 1001), None, "too_large"),
    ("chunked body over the ceiling", (200, CHUNKED, _chunked(b"x" * 1001)), None, "too_large"),
    ("body exactly at the ceiling", (200, {}, b"x" * 1000), None, None),
    ("chunked body at the ceiling", (200, CHUNKED, _chunked(b"x" * 1000)), None, None),
    ("per-request max_bytes is lower than the default", (200, {}, b"x" * 600), 500, "too_large"),
]


@pytest.mark.parametrize(
    ("response", "max_bytes", "reason"), [c[1:] for c in SIZE_CASES], ids=[c[0] for c in SIZE_CASES]
)
def test_body_size_ceiling(
    fake: FakePlatform, response: Response, max_bytes: int | None, reason: str | None
) -> None:
    fake.route("/big", lambda request: response)
    http = client(fake, max_json_bytes=1000)
    if reason is None:
        assert len(http.get(fake.base_url + "/big", max_bytes=max_bytes).content) <= 1000
        return
    with pytest.raises(SkippableError) as caught:
        http.get(fake.base_url + "/big", max_bytes=max_bytes)
    assert caught.value.reason == reason
    assert [r.outcome for r in http.records] == ["too_large"], "an oversized body is still logged"
    assert len(fake.requests) == 1, "too large is not retried"


def test_get_bytes_honours_its_max_bytes(fake: FakePlatform) -> None:
    fake.route(
        "/img.png", lambda request: (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"0" * 996)
    )
    with pytest.raises(SkippableError) as caught:
        client(fake).get_bytes(fake.base_url + "/img.png", max_bytes=999)
    assert caught.value.reason == "too_large"
    assert client(fake).get_bytes(fake.base_url + "/img.png", max_bytes=1000)[1] == "image/png"


# -- redaction ------------------------------------------------------------------------------------
REDACT_CASES = [
    ("token in a query parameter", "/me?access_token={token}&fields=id"),
    ("token in the URL path", "/bot{token}/getUpdates"),
    ("token percent-encoded in an unlisted parameter", "/me?sig={quoted}"),
]


@pytest.mark.parametrize("path", [c[1] for c in REDACT_CASES], ids=[c[0] for c in REDACT_CASES])
@pytest.mark.parametrize("status", [200, 404])
def test_token_is_redacted_in_access_log_and_errors(
    fake: FakePlatform, path: str, status: int
) -> None:
    from urllib.parse import quote

    fake.route_prefix("/", lambda request: (status, {}, {}))
    http = client(fake)
    url = fake.base_url + path.format(token=TOKEN, quoted=quote(TOKEN, safe=""))
    if status == 200:
        http.get(url)
    else:
        with pytest.raises(SkippableError) as caught:
            http.get(url)
        assert TOKEN not in str(caught.value) and quote(TOKEN, safe="") not in str(caught.value)
        assert "***" in str(caught.value)
    assert len(http.records) == 1
    logged = http.records[0].url
    assert TOKEN not in logged and quote(TOKEN, safe="") not in logged and "***" in logged
    assert "%2A" not in logged, "the redaction marker itself must stay readable"


def test_connection_failure_traceback_carries_no_token() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    host = f"127.0.0.1:{port}"
    http = HttpClient(
        "acct-1",
        BASIS,
        {host},
        secrets=[TOKEN],
        settings=HttpSettings(connect_timeout=0.5, max_attempts=2),
        sleep=no_sleep,
    )
    with pytest.raises(SkippableError) as caught:
        http.get(f"http://{host}/me?access_token={TOKEN}")
    text = "".join(traceback.format_exception(caught.value))
    assert caught.value.reason == "transient_exhausted"
    assert TOKEN not in text and "***" in text
    assert [r.outcome for r in http.records] == ["connection error", "connection error"]


# -- allow-list and permission gate ---------------------------------------------------------------
def test_disallowed_host_is_refused_before_any_request(fake: FakePlatform) -> None:
    http = HttpClient("acct-1", BASIS, {"graph.example.org"}, sleep=no_sleep)
    with pytest.raises(DisallowedHost):
        http.get(fake.base_url + "/x")
    assert fake.requests == []
    assert [(r.status, r.outcome.split(":")[0]) for r in http.records] == [(None, "refused")]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://{host}/x", "gopher://{host}/x"])
def test_non_http_schemes_are_refused_even_on_an_allowed_host(fake: FakePlatform, url: str) -> None:
    with pytest.raises(DisallowedHost):
        client(fake).get(url.format(host=fake.host))
    assert fake.requests == []


def test_redirect_to_another_host_is_refused_before_it_is_requested(fake: FakePlatform) -> None:
    with FakePlatform() as other:
        other.route("/steal", lambda request: OK)
        fake.route("/go", lambda request: (302, {"Location": other.base_url + "/steal"}, ""))
        http = client(fake)
        with pytest.raises(DisallowedHost):
            http.get(fake.base_url + "/go")
        assert other.requests == []
    assert [r.path for r in fake.requests] == ["/go"]
    assert [r.status for r in http.records] == [302, None], "the refused hop is logged"
    assert http.records[1].outcome.startswith("refused: host ")


def test_redirect_within_the_allowed_host_is_followed(fake: FakePlatform) -> None:
    fake.route("/old", lambda request: (301, {"Location": "/new"}, ""))
    fake.route("/new", lambda request: OK)
    response = client(fake).get(fake.base_url + "/old")
    assert response.json() == {"ok": True}
    assert response.url == fake.base_url + "/new"
    assert [r.path for r in fake.requests] == ["/old", "/new"]


def test_refused_permission_sends_nothing(fake: FakePlatform) -> None:
    fake.route("/x", lambda request: OK)
    http = client(fake)
    http.allowed = False
    with pytest.raises(NotPermitted):
        http.get(fake.base_url + "/x")
    assert fake.requests == [] and http.records == []


# -- bodies and the access log --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{not json", "malformed"), (b"<html></html>", "malformed"), (b'{"data": []}', None)],
    ids=["truncated JSON", "HTML instead of JSON", "valid JSON"],
)
def test_json_bodies(fake: FakePlatform, body: bytes, reason: str | None) -> None:
    fake.route("/j", lambda request: (200, {"Content-Type": "application/json"}, body))
    if reason is None:
        assert client(fake).get_json(fake.base_url + "/j")[0] == {"data": []}
        return
    with pytest.raises(SkippableError) as caught:
        client(fake).get_json(fake.base_url + "/j")
    assert caught.value.reason == reason


def test_access_log_records_each_request_with_basis_status_and_size(fake: FakePlatform) -> None:
    fake.route("/x", sequence((503, {}, {}), (200, {}, b"12345")))
    seen: list[AccessRecord] = []
    http = client(fake)
    http.on_access = seen.append
    http.get(fake.base_url + "/x")
    assert [(r.status, r.outcome, r.bytes) for r in http.records] == [
        (503, "http 503", 2),
        (200, "ok", 5),
    ]
    assert {(r.account_id, r.basis, r.method) for r in http.records} == {("acct-1", BASIS, "GET")}
    assert seen == http.records
    assert all(r.at.tzinfo is not None for r in http.records)
