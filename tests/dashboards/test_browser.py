"""The review app in Debian's Chromium (Playwright driving /usr/bin/chromium; no browser download).

Against the demo district after a real nightly audit: sign in with a password and with single
sign-on, filter, open a finding with an image and its face boxes, confirm, dismiss, escalate,
sign out; another school's finding is a 403 by URL and by export; a form without its CSRF token
is refused; hostile markup stays text; axe-core finds no serious or critical violation.
Screenshots of the queue and a finding page go to docs/img/ for the README.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboards.builders import HOSTILE_TEXT, PASSWORD
from tests.dashboards.live import (
    NODE_DIR,
    ORTIZ,
    PARK,
    DemoWorld,
    LiveServer,
    OpenIdProvider,
    copy_world,
    sso_server,
)
from warehouse.db import connect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

# Debian's chromium and the node tools are installed by scripts/setup.sh (the test command runs
# it): when one is missing these tests fail, they do not skip.
pytestmark = pytest.mark.e2e


def _add_hostile_post(world: DemoWorld) -> str:
    """A post of a Lincoln account whose text is markup, flagged like any other."""
    with connect(world.db) as con:
        row = con.execute(
            "SELECT * FROM findings WHERE account_id = 'brown-blog' "
            "AND check_name = 'confidentiality' LIMIT 1"
        ).fetchone()
        names = [d[0] for d in con.description]
        finding = dict(zip(names, row, strict=True))
        post = con.execute("SELECT * FROM posts WHERE post_id = ?", [finding["post_id"]]).fetchone()
        post_names = [d[0] for d in con.description]
        copy = dict(zip(post_names, post, strict=True))
        copy.update(
            post_id="hostile-post", native_id="hostile", text=HOSTILE_TEXT, current_version=1
        )
        con.execute(
            f"INSERT INTO posts ({', '.join(copy)}) VALUES ({', '.join('?' * len(copy))})",
            list(copy.values()),
        )
        con.execute(
            "INSERT INTO post_versions (post_id, version, content_hash, text, "
            "captured_at) VALUES ('hostile-post', 1, 'x', ?, now())",
            [HOSTILE_TEXT],
        )
        finding.update(
            finding_id="hostile000000000000000000"[:24],
            post_id="hostile-post",
            post_version=1,
            severity="low",
            summary='<img src=x onerror="alert(2)">',
            evidence_json=json.dumps({"spans": [{"start": 9, "end": 17, "label": "markup"}]}),
        )
        con.execute(
            f"INSERT INTO findings ({', '.join(finding)}) VALUES ({', '.join('?' * len(finding))})",
            list(finding.values()),
        )
    return str(finding["finding_id"])


@pytest.fixture(scope="module")
def site(
    demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, OpenIdProvider, str]]:
    world = copy_world(demo_world, tmp_path_factory.mktemp("browser") / "w")
    hostile = _add_hostile_post(world)
    server, provider = sso_server(world.config, world.db, world.db.parent)
    yield server, provider, hostile
    server.stop()
    provider.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    # bypass_csp only so the test can inject axe-core; the app's own pages load no inline script.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()
    assert not dialogs, f"a script ran from page content: {dialogs}"


def _sign_in(tab, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"{url}/login")
    tab.get_by_label("E-mail").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"{url}/queue")


def _axe(tab) -> list[dict]:  # type: ignore[no-untyped-def]
    tab.add_script_tag(path=str(NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"))
    result = tab.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_password_sign_in_filter_open_image_decide_and_sign_out(site, page) -> None:
    server, _, _ = site
    _sign_in(page, server.url, PARK)
    assert page.locator("a.row-link").count() >= 3
    page.select_option("#f-check", "student_image")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**check=student_image**")
    assert page.locator("a.row-link").count() == 1
    assert _axe(page) == []
    page.keyboard.press("j")  # keyboard triage: the first row takes a visible focus
    assert page.evaluate("document.activeElement.classList.contains('row-link')")
    assert page.locator("tr.row-focus").count() == 1
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.get_by_role("link", name="Clear").click()
    page.screenshot(path=str(DOCS_IMG / "review-queue.png"), full_page=False)
    page.locator("a.row-link", has_text="student_image").click()
    image = page.locator("figure.media img")
    image.wait_for()
    assert page.evaluate("() => document.querySelector('figure.media img').naturalWidth") > 0
    assert page.locator("figure.media svg rect.box").count() >= 3  # the faces the detector found
    assert _axe(page) == []
    page.screenshot(path=str(DOCS_IMG / "review-finding.png"), full_page=True)
    page.get_by_role("button", name="Confirm violation").click()
    assert page.locator("#status").inner_text() == "confirmed"
    for check, action in (("logo_use", "dismiss"), ("confidentiality", "escalate")):
        page.goto(f"{server.url}/queue?check={check}")
        page.locator("a.row-link").first.click()
        if action == "dismiss":
            page.select_option("#dismiss-reason", "false_detection")
            page.get_by_label("Note", exact=True).fill("the district's own flyer")
            page.get_by_role("button", name="Dismiss").click()
            assert page.locator("#status").inner_text().startswith("dismissed")
        else:
            page.get_by_label("Escalate to a second-level reviewer, with a note").fill("ask HR")
            page.get_by_role("button", name="Escalate").click()
            assert page.locator("#status").inner_text() == "escalated"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/login")
    page.goto(f"{server.url}/queue")
    assert page.url == f"{server.url}/login"


def test_single_sign_on_in_the_browser(site, page) -> None:
    server, _, _ = site
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Sign in with your district account").click()
    page.locator("input[name=login]").fill(ORTIZ)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()  # the provider's consent screen
    page.wait_for_url(f"{server.url}/queue")
    assert "Elena Ortiz" in page.locator("header").inner_text()


def test_other_schools_finding_is_403_by_url_and_by_export(site, page) -> None:
    server, _, _ = site
    _sign_in(page, server.url, ORTIZ)
    other = page.request.get(f"{server.url}/api/queue").json()["findings"]
    assert all(
        f["account"] in ("pvhs-athletics", "nguyen-classroom", "district-site", "miller-personal")
        for f in other
    )
    response = page.goto(f"{server.url}/findings/4698bdf961cc97f053f06318")  # brown-blog
    assert response.status == 403
    assert "do not have access" in page.content()
    export = page.request.get(f"{server.url}/export.csv?account=brown-blog")
    assert export.status == 403


def test_form_without_csrf_token_is_refused(site, page) -> None:
    server, _, _ = site
    _sign_in(page, server.url, ORTIZ)
    page.locator("a.row-link").first.click()
    page.evaluate("document.querySelector('#confirm-form input[name=csrf]').remove()")
    with page.expect_response(lambda r: "/decide" in r.url) as answer:
        page.get_by_role("button", name="Confirm violation").click()
    assert answer.value.status == 403


def test_hostile_markup_renders_as_text(site, page) -> None:
    server, _, hostile = site
    _sign_in(page, server.url, PARK)
    page.goto(f"{server.url}/queue?status=all")
    assert page.locator("img[src=x]").count() == 0
    page.goto(f"{server.url}/findings/{hostile}")
    assert page.locator(".version .post-text").inner_text() == HOSTILE_TEXT
    assert page.locator("main script").count() == 0 and page.locator("img[src=x]").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
