"""The permission gate at the request layer (issue 10, items 4 and 5): accounts sharing one host,
each request judged against the account's own scope and every other account's permission."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import FetchWindow
from connectors.errors import NotPermitted
from connectors.scope import claims_for
from demo.fakeplatform import FakePlatform, Response
from flows.steps.fetching import AccessSink, FetchOutcome, fetch_account, make_client
from hallmonitor.clock import FixedClock
from hallmonitor.config import Account, Permission
from hallmonitor.permissions import decide

NOW = datetime(2026, 11, 21, 8, tzinfo=UTC)
TODAY = date(2026, 11, 21)
WINDOW = FetchWindow(since=NOW - timedelta(days=30), cursor={}, full_rescan=True)
PNG = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n")


def page(*body: str) -> Response:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, "<html><body>" + "".join(body)


def feed(title: str, img: str = "") -> Response:
    item = f"<item><guid>{title}</guid><title>{title}</title><link>https://x.example/{title}</link>"
    item += f"<description><![CDATA[<p>{title}</p>{img}]]></description></item>"
    xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{item}</channel></rss>'
    return 200, {"Content-Type": "application/rss+xml"}, xml


def employee(account_id: str, platform: str, locator: str, lapsed: bool = True) -> Account:
    start, end = (date(2025, 9, 1), date(2026, 6, 30)) if lapsed else (TODAY, date(2027, 6, 30))
    return Account(
        id=account_id,
        kind="employee",
        platform=platform,  # type: ignore[arg-type]
        locator=locator,
        owner="E1",
        permission=Permission(basis="signed consent", granted=start, expires=end),
    )


@pytest.fixture
def host() -> Iterator[FakePlatform]:
    with FakePlatform() as fake:
        fake.route(
            "/robots.txt", lambda r: (200, {"Content-Type": "text/plain"}, "User-agent: *\n")
        )
        fake.route(
            "/site/",
            lambda r: page(
                '<a href="/site/a">a</a><a href="/lapsedsite/">lapsed</a>',
                '<a href="/other/page">other</a><a href="/site/go">go</a>',
                '<img src="/lapsedsite/photo.png"><img src="/site/img.png">',
            ),
        )
        fake.route("/site/a", lambda r: page("<p>inside</p>"))
        fake.route("/site/go", lambda r: (302, {"Location": "/lapsedsite/"}, ""))
        fake.route("/lapsedsite/", lambda r: page("<p>the lapsed employee's page</p>"))
        fake.route("/other/page", lambda r: page("<p>not under the locator</p>"))
        fake.route("/site/img.png", lambda r: PNG)
        fake.route("/lapsedsite/photo.png", lambda r: PNG)
        yield fake


def run(account: Account, others: list[Account], tmp_path: Path, sink: AccessSink) -> FetchOutcome:
    everyone = [account, *others]
    claims = claims_for((a, decide(a, TODAY).allowed) for a in everyone)
    return fetch_account(
        account,
        decide(account, TODAY),
        WINDOW,
        tmp_path,
        {},
        FixedClock(NOW),
        sink,
        claims=claims,
    )


def refusals(sink: AccessSink, account_id: str) -> list[str]:
    return [r.url for r in sink.drain(account_id) if r.outcome.startswith("refused")]


def test_crawl_stays_under_the_locator_and_out_of_a_lapsed_accounts_pages(
    host: FakePlatform, tmp_path: Path
) -> None:
    site = Account(id="site", kind="sponsored", platform="web", locator=host.base_url + "/site/")
    lapsed = employee("lapsed", "web", host.base_url + "/lapsedsite/")
    sink = AccessSink()
    outcome = run(site, [lapsed], tmp_path, sink)
    requested = {r.path for r in host.requests}
    assert outcome.ok, outcome.error
    assert requested == {"/robots.txt", "/site/", "/site/a", "/site/go", "/site/img.png"}
    assert {i.permalink.removeprefix(host.base_url) for i in outcome.items} == {"/site/", "/site/a"}
    stored = {m.url.removeprefix(host.base_url): m.sha256 for m in outcome.media}
    assert stored["/site/img.png"] is not None and stored["/lapsedsite/photo.png"] is None
    refused = {u.removeprefix(host.base_url) for u in refusals(sink, "site")}
    assert refused == {"/lapsedsite/", "/lapsedsite/photo.png"}, "refusals are in the access log"


def test_a_permitted_neighbour_is_not_refused_but_the_crawl_still_stays_home(
    host: FakePlatform, tmp_path: Path
) -> None:
    site = Account(id="site", kind="sponsored", platform="web", locator=host.base_url + "/site/")
    current = employee("current", "web", host.base_url + "/lapsedsite/", lapsed=False)
    outcome = run(site, [current], tmp_path, AccessSink())
    requested = {r.path for r in host.requests}
    assert "/lapsedsite/photo.png" in requested, "media inside a permitted account is fine"
    assert "/lapsedsite/" not in requested and "/other/page" not in requested
    assert outcome.ok


def test_feed_redirected_to_an_unpermitted_accounts_feed_stores_nothing(
    host: FakePlatform, tmp_path: Path
) -> None:
    host.route("/feeds/news.xml", lambda r: (301, {"Location": "/feeds/private.xml"}, ""))
    host.route("/feeds/private.xml", lambda r: feed("secret-post"))
    news = Account(
        id="news", kind="sponsored", platform="rss", locator=host.base_url + "/feeds/news.xml"
    )
    private = Account(
        id="private",
        kind="employee",
        platform="rss",
        locator=host.base_url + "/feeds/private.xml",
        owner="E2",
    )
    sink = AccessSink()
    outcome = run(news, [private], tmp_path, sink)
    assert not outcome.ok and outcome.items == []
    assert outcome.reason == "out_of_scope" and "private" in (outcome.error or "")
    assert [r.path for r in host.requests] == ["/feeds/news.xml"]
    assert refusals(sink, "news") == [host.base_url + "/feeds/private.xml"]


def test_feed_images_inside_a_future_permission_account_are_not_downloaded(
    host: FakePlatform, tmp_path: Path
) -> None:
    img = '<img src="/lapsedsite/photo.png"><img src="/feeds/own.png">'
    host.route("/feeds/news.xml", lambda r: feed("post", img))
    host.route("/feeds/own.png", lambda r: PNG)
    news = Account(
        id="news", kind="sponsored", platform="rss", locator=host.base_url + "/feeds/news.xml"
    )
    future = employee("future", "web", host.base_url + "/lapsedsite/")
    future = future.model_copy(
        update={
            "permission": Permission(
                basis="future consent", granted=date(2027, 1, 1), expires=date(2027, 6, 1)
            )
        }
    )
    outcome = run(news, [future], tmp_path, AccessSink())
    assert "/lapsedsite/photo.png" not in {r.path for r in host.requests}
    assert "/feeds/own.png" in {r.path for r in host.requests}
    assert outcome.ok


def test_the_http_client_carries_the_gates_refusal(host: FakePlatform) -> None:
    """The second line of defence is live: a client made for a refused account sends nothing."""
    lapsed = employee("lapsed", "web", host.base_url + "/lapsedsite/")
    decision = decide(lapsed, TODAY)
    assert not decision.allowed
    http = make_client(lapsed, decision)
    assert http.allowed is False
    with pytest.raises(NotPermitted):
        http.get(host.base_url + "/lapsedsite/")
    assert host.requests == []


def test_robots_txt_is_checked_on_every_redirect_hop(host: FakePlatform, tmp_path: Path) -> None:
    host.route(
        "/robots.txt",
        lambda r: (
            200,
            {"Content-Type": "text/plain"},
            "User-agent: *\nDisallow: /site/private/\n",
        ),
    )
    host.route("/site/", lambda r: page('<a href="/site/go2">go</a>'))
    host.route("/site/go2", lambda r: (302, {"Location": "/site/private/grades"}, ""))
    host.route("/site/private/grades", lambda r: page("<p>grades</p>"))
    site = Account(id="site", kind="sponsored", platform="web", locator=host.base_url + "/site/")
    sink = AccessSink()
    outcome = run(site, [], tmp_path, sink)
    assert "/site/private/grades" not in {r.path for r in host.requests}
    assert all("grades" not in i.permalink for i in outcome.items)
    assert refusals(sink, "site") == [host.base_url + "/site/private/grades"]
