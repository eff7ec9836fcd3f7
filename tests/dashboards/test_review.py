"""Queue, finding page, scope, decisions and the audit trail, through the app's HTTP interface."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from dashboards.review.sidecar import open_sidecar, sidecar_path
from tests.dashboards.builders import HOSTILE_TEXT, Built
from tests.dashboards.conftest import page_csrf


def _events(client: TestClient, action: str) -> list[tuple[str, str]]:
    with open_sidecar(sidecar_path(client.app.state.ctx.db_path)) as con:
        return [
            (r[0], r[1])
            for r in con.execute(
                "SELECT actor, object_id FROM events WHERE action = ? ORDER BY id", [action]
            )
        ]


def test_monitor_queue_lists_only_their_schools_most_severe_first(as_user) -> None:
    soup = BeautifulSoup(as_user("pat@riverbend.example").get("/queue").text, "html.parser")
    links = [a["href"].split("?")[0] for a in soup.select("a.row-link")]
    # Pat monitors Riverbend High: never the middle school's or the district page's findings.
    assert links == ["/findings/f-rhs", "/findings/f-evil", "/findings/f-edit"]
    lee = BeautifulSoup(as_user("lee@riverbend.example").get("/queue").text, "html.parser")
    assert lee.select("a.row-link")[0]["href"].startswith("/findings/f-rms")  # critical first


def test_filters_stay_in_the_url_and_counts_follow_them(as_user) -> None:
    client = as_user("lee@riverbend.example")
    soup = BeautifulSoup(client.get("/queue?check=contact_info&school=rhs").text, "html.parser")
    assert [a.text for a in soup.select("a.row-link")] == ["contact_info", "contact_info"]
    assert soup.select_one("#f-check option[selected]")["value"] == "contact_info"
    assert "check=contact_info" in soup.select_one("a.row-link")["href"].replace(
        "%3D", "="
    ).replace("%26", "&")
    status_option = soup.select_one('#f-status option[value="open"]').text
    assert "(2)" in status_option
    searched = BeautifulSoup(client.get("/queue?q=spelling").text, "html.parser")
    assert [a["href"].split("?")[0] for a in searched.select("a.row-link")] == ["/findings/f-rms"]
    literal = BeautifulSoup(client.get("/queue?q=Quill_eather").text, "html.parser")
    assert literal.select("a.row-link") == []  # _ and % are searched for as themselves
    named = BeautifulSoup(client.get("/queue?q=quillFEATHER").text, "html.parser")
    assert [a["href"].split("?")[0] for a in named.select("a.row-link")] == ["/findings/f-rhs"]


def test_each_filters_counts_keep_the_other_filters_and_lift_its_own(as_user) -> None:
    client = as_user("lee@riverbend.example")
    decided = client.post(
        "/findings/f-rhs/decide", data={"csrf": page_csrf(client), "action": "confirm"}
    )
    assert decided.status_code == 303
    everything = client.get("/api/queue?status=all").json()["findings"]
    rows = [(f["status"], f["check"], f["level"], f["account"]) for f in everything]
    assert len({r[1] for r in rows}) >= 3 and len({r[0] for r in rows}) >= 2  # a real test

    def expect(status: str, check: str, position: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in rows:
            keep = (position == 0 or status in ("all", row[0])) and (
                position == 1 or not check or row[1] == check
            )
            if keep:
                found[row[position]] = found.get(row[position], 0) + 1
        return found

    for status, check in (("open", ""), ("all", "contact_info"), ("confirmed", "confidentiality")):
        got = client.get(f"/api/queue?status={status}&check={check}").json()["counts"]
        assert got["check"] == expect(status, check, 1), (status, check)
        statuses = expect(status, check, 0)
        assert got["status"] == {**statuses, "all": sum(statuses.values())}, (status, check)
        assert got["account"] == expect(status, check, 3), (status, check)


def test_text_search_stays_in_scope_and_counts_export_and_paging_follow_it(as_user) -> None:
    pat = as_user("pat@riverbend.example")
    # The spelling bee is the middle school's: a search never reaches outside the scope.
    assert (
        BeautifulSoup(pat.get("/queue?q=spelling").text, "html.parser").select("a.row-link") == []
    )
    client = as_user("lee@riverbend.example")
    api = client.get("/api/queue?q=zephyrine&status=all").json()
    assert [f["finding_id"] for f in api["findings"]] == ["f-rhs"]
    assert api["counts"]["status"] == {"open": 1, "all": 1}
    assert api["counts"]["check"] == {"confidentiality": 1}
    assert api["counts"]["account"] == {"rhs-athletics": 1}
    # Post text (current version) and summaries are both searched.
    coach = client.get("/api/queue?q=call+the+office").json()
    assert [f["finding_id"] for f in coach["findings"]] == ["f-edit"]
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=zephyrine").text)))
    assert [r["finding_id"] for r in rows] == ["f-rhs"]
    # Opened from a search, the finding page's next/previous stay inside the search's results.
    whole = BeautifulSoup(client.get("/findings/f-rhs").text, "html.parser")
    assert whole.select("#prev-link") and whole.select("#next-link")
    page = BeautifulSoup(
        client.get("/findings/f-rhs?back=/queue%3Fq%3Dzephyrine").text, "html.parser"
    )
    assert not page.select("#prev-link") and not page.select("#next-link")


def test_monitor_gets_403_for_another_schools_finding_by_url_api_media_and_export(
    as_user,
) -> None:
    client = as_user("pat@riverbend.example")
    assert client.get("/findings/f-rms").status_code == 403
    assert client.get("/api/findings/f-rms").status_code == 403
    assert client.get("/findings/f-rms/media/abc").status_code == 403
    assert client.get("/export.csv?account=rms-news").status_code == 403
    assert client.get("/export.csv?school=rms").status_code == 403
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?status=all").text)))
    assert {r["account_id"] for r in rows} == {"rhs-athletics", "band", "coach-smith"}
    csrf = page_csrf(client)
    decided = client.post("/findings/f-rms/decide", data={"csrf": csrf, "action": "confirm"})
    assert decided.status_code == 403
    bulk = client.post(
        "/queue/bulk",
        data={"csrf": csrf, "action": "confirm", "ids": ["f-rhs", "f-rms"], "confirmed": "yes"},
    )
    assert bulk.status_code == 403
    denied = _events(client, "access.denied")
    assert ("pat@riverbend.example", "/findings/f-rms") in denied
    assert len(denied) >= 6


def test_superintendent_sees_counts_but_no_post_content(as_user) -> None:
    client = as_user("sup@riverbend.example")
    assert client.get("/").headers["location"] == "/overview"
    overview = client.get("/overview")
    assert overview.status_code == 200
    assert "Riverbend High School" in overview.text
    assert "Zephyrine" not in overview.text and "Quillfeather" not in overview.text
    for url in ("/queue", "/findings/f-rhs", "/api/queue", "/export.csv", "/admin/users"):
        assert client.get(url).status_code == 403, url


def test_admin_sees_users_and_precision_but_no_findings(as_user) -> None:
    client = as_user("admin@riverbend.example")
    assert client.get("/admin/users").status_code == 200
    assert client.get("/admin/precision").status_code == 200
    assert client.get("/findings/f-rhs").status_code == 403
    assert client.get("/queue").status_code == 403


def test_hostile_post_renders_as_text(as_user) -> None:
    client = as_user("pat@riverbend.example")
    html = client.get("/findings/f-evil").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("article.version .post-text").get_text() == HOSTILE_TEXT
    assert soup.select_one("article.version mark").get_text() == "<script>"
    assert not soup.select("main img[onerror]")
    assert not [s for s in soup.find_all("script") if "pwned" in s.text]
    assert "Markup &lt;b&gt;in&lt;/b&gt;" in html
    assert "default-src 'none'" in client.get("/findings/f-evil").headers["content-security-policy"]


def test_finding_page_shows_evidence_clause_account_image_and_versions(as_user) -> None:
    client = as_user("pat@riverbend.example")
    soup = BeautifulSoup(client.get("/findings/f-rhs").text, "html.parser")
    assert [m.text for m in soup.select("mark")] == ["Zephyrine Quillfeather"]
    assert "Do not disclose student records." in soup.select_one("blockquote").text
    assert "DEBH-AP, 3.2" in soup.text and "level violation" in soup.text
    assert "district-sponsored account" in soup.text
    img = soup.select_one("figure.media img")
    assert img["src"].startswith("/findings/f-rhs/media/")
    boxes = [r.title.text for r in soup.select("figure.media svg rect.box")]
    assert boxes == ["face 0.91", "face 0.88", "person, no face found 0.62"]
    assert "GO OTTERS" in soup.select_one("pre.ocr").text
    image = client.get(img["src"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    edited = BeautifulSoup(client.get("/findings/f-edit").text, "html.parser")
    versions = edited.select("article.version")
    assert len(versions) == 2 and "flagged" in versions[0]["class"]
    assert [m.text for m in versions[0].select("mark")] == ["555-0101"]
    assert "call the office" in versions[1].text
    assert "Permission basis: signed consent form" in edited.text
    assert ("pat@riverbend.example", "f-rhs") in _events(client, "finding.viewed")


def test_confirm_dismiss_escalate_reopen_and_their_rules(as_user) -> None:
    client = as_user("lee@riverbend.example")
    csrf = page_csrf(client)

    def act(fid: str, **data: str) -> int:
        return client.post(f"/findings/{fid}/decide", data={"csrf": csrf, **data}).status_code

    assert act("f-rhs", action="confirm") == 303
    assert act("f-rms", action="dismiss") == 400  # a reason is required
    assert act("f-rms", action="dismiss", reason="false_detection", note="a namesake") == 303
    assert act("f-evil", action="escalate") == 400  # a note is required
    assert act("f-evil", action="escalate", note="ask the principal") == 303
    assert act("f-rhs", action="confirm") == 409  # already confirmed
    assert act("f-rhs", action="reopen", note="wrong student") == 303
    statuses = {
        fid: BeautifulSoup(client.get(f"/findings/{fid}").text, "html.parser")
        .select_one("#status")
        .text
        for fid in ("f-rhs", "f-rms", "f-evil")
    }
    assert statuses["f-rhs"] == "open"
    assert statuses["f-rms"].startswith("dismissed (Not a violation / false detection)")
    assert statuses["f-evil"] == "escalated"
    escalated = BeautifulSoup(client.get("/queue?status=escalated").text, "html.parser")
    assert [a["href"].split("?")[0] for a in escalated.select("a.row-link")] == ["/findings/f-evil"]
    assert [a for a, _ in _events(client, "finding.confirm")] == ["lee@riverbend.example"]


def test_a_claim_keeps_others_from_deciding(as_user, built: Built) -> None:
    lee = as_user("lee@riverbend.example")
    assert (
        lee.post("/findings/f-rhs/claim", data={"csrf": page_csrf(lee), "assignee": ""}).status_code
        == 303
    )
    pat = as_user("pat@riverbend.example")
    refused = pat.post("/findings/f-rhs/decide", data={"csrf": page_csrf(pat), "action": "confirm"})
    assert refused.status_code == 409
    assert "claimed by lee@riverbend.example" in pat.get("/queue").text
    # Assigning to a monitor who cannot see the account is refused.
    lee = as_user("lee@riverbend.example")
    bad = lee.post(
        "/findings/f-rms/claim", data={"csrf": page_csrf(lee), "assignee": "pat@riverbend.example"}
    )
    assert bad.status_code == 400


def test_bulk_action_asks_for_confirmation_first(as_user) -> None:
    client = as_user("pat@riverbend.example")
    csrf = page_csrf(client)
    first = client.post(
        "/queue/bulk", data={"csrf": csrf, "action": "confirm", "ids": ["f-rhs", "f-evil"]}
    )
    assert first.status_code == 200 and "Confirm 2 findings?" in first.text
    assert "open (3)" in client.get("/queue").text  # nothing decided yet
    done = client.post(
        "/queue/bulk",
        data={"csrf": csrf, "action": "confirm", "ids": ["f-rhs", "f-evil"], "confirmed": "yes"},
    )
    assert done.status_code == 303
    soup = BeautifulSoup(client.get("/queue").text, "html.parser")
    assert [a["href"].split("?")[0] for a in soup.select("a.row-link")] == ["/findings/f-edit"]


def test_superintendent_reads_an_archived_monthly_summary_sandboxed(as_user, built: Built) -> None:
    from warehouse.db import connect

    with connect(built.db) as con:
        con.execute(
            "INSERT INTO report_archive (report_id, district_id, kind, period, "
            "created_at, html, html_sha256) VALUES ('r1', 'riverbend', 'monthly', "
            "'2026-10', now(), '<h1>October: 12 findings</h1>', 'x')"
        )
    client = as_user("sup@riverbend.example")
    client.app.state.ctx.snapshot.refresh(force=True)
    assert "/reports/monthly/r1" in client.get("/overview").text
    report = client.get("/reports/monthly/r1")
    assert report.status_code == 200 and "October: 12 findings" in report.text
    assert report.headers["content-security-policy"].startswith("sandbox")
    pat = as_user("pat@riverbend.example")
    assert pat.get("/reports/monthly/r1").status_code == 403


def test_finding_page_links_to_the_next_and_previous_finding_of_its_queue(as_user) -> None:
    client = as_user("pat@riverbend.example")
    # Pat's open queue: f-rhs (high), f-evil (medium, older), f-edit (medium, newer).
    soup = BeautifulSoup(client.get("/findings/f-evil?back=/queue").text, "html.parser")
    assert soup.select_one("#prev-link")["href"].startswith("/findings/f-rhs?")
    assert soup.select_one("#next-link")["href"].startswith("/findings/f-edit?")
    first = BeautifulSoup(client.get("/findings/f-rhs?back=/queue").text, "html.parser")
    assert first.select_one("#prev-link") is None
    filtered = BeautifulSoup(
        client.get("/findings/f-evil?back=/queue%3Fcheck%3Dcontact_info").text, "html.parser"
    )
    assert filtered.select_one("#prev-link") is None
    assert filtered.select_one("#next-link")["href"].startswith("/findings/f-edit?")
