"""The app and a full nightly audit on the same warehouse at the same time, in two processes.

Every page asked for during the audit answers 200, every decision made during it is in the
warehouse afterwards, and the audit completes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import httpx
import pytest

from dashboards.review.merge import merge_sidecar
from dashboards.review.sidecar import open_sidecar, sidecar_path
from tests.dashboards.builders import PASSWORD
from tests.dashboards.live import NOW, ORTIZ, DemoWorld, LiveServer, copy_world
from warehouse.db import connect

pytestmark = pytest.mark.e2e


def _sign_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf": token}
    )
    assert response.status_code == 303
    return client


def _held_by_writer(db: Path) -> bool:
    """True if another process holds the warehouse read-write right now."""
    try:
        duckdb.connect(str(db), read_only=True).close()
    except duckdb.IOException as exc:
        return "lock" in str(exc).lower()
    return False


def _csrf(client: httpx.Client) -> str:
    page = client.get("/queue?status=all")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_app_and_audit_share_the_warehouse_without_losing_a_decision(
    demo_world: DemoWorld, tmp_path: Path
) -> None:
    from demo.sample_server import DemoSite, prepare_district

    world = copy_world(demo_world, tmp_path / "w")
    port = urlparse(world.base_url).port or 0
    site = DemoSite(NOW + timedelta(days=1)).start(port)
    if site.base_url != world.base_url:  # the old port was taken: point the accounts at the new
        prepare_district(world.db.parent, site.base_url, NOW)
    server = LiveServer(world.config, world.db)
    audit = None
    try:
        client = _sign_in(server.url, ORTIZ)
        csrf = _csrf(client)
        ids = re.findall(r'href="/findings/([0-9a-f]{24})\?', client.get("/queue").text)
        assert len(ids) >= 3
        audit = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "audit",
                "--config",
                str(world.config),
                "--db",
                str(world.db),
                "--now",
                (NOW + timedelta(days=1)).isoformat(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        made, pages, held_seen, status = [], 0, False, dict.fromkeys(ids, "open")
        deadline = time.monotonic() + 400
        while audit.poll() is None and time.monotonic() < deadline:
            fid = ids[len(made) % len(ids)]
            action = "confirm" if status[fid] == "open" else "reopen"
            note = f"decision {len(made)}"
            response = client.post(
                f"/findings/{fid}/decide", data={"csrf": csrf, "action": action, "note": note}
            )
            assert response.status_code == 303, response.text
            status[fid] = "confirmed" if action == "confirm" else "open"
            made.append(note)
            held_seen = held_seen or _held_by_writer(world.db)
            for url in ("/queue", f"/findings/{fid}", "/queue?status=confirmed"):
                page = client.get(url)
                assert page.status_code == 200, (url, page.text[:300])
                pages += 1
                held_seen = held_seen or _held_by_writer(world.db)
            time.sleep(0.2)
        output = audit.communicate(timeout=60)[0].decode()
        # Evidence that the two really overlapped: the app, or this test, found the warehouse
        # held by the audit's writer while pages kept answering.
        held_seen = held_seen or client.get("/healthz").json()["copies_put_off"] > 0
        assert audit.returncode == 0, output
        # A decision made after the audit's last merge waits in the sidecar for the next run:
        # take its place here, then every decision must be in the warehouse.
        tail = client.post(
            f"/findings/{ids[0]}/decide",
            data={
                "csrf": csrf,
                "action": "confirm" if status[ids[0]] == "open" else "reopen",
                "note": "after the audit",
            },
        )
        assert tail.status_code == 303
        made.append("after the audit")
    finally:
        if audit is not None and audit.poll() is None:
            audit.kill()
        server.stop()
        site.stop()
    assert held_seen, "the audit was never seen holding the warehouse: no overlap was tested"
    assert len(made) >= 5 and pages >= 15
    con = duckdb.connect(str(world.db), read_only=True)
    try:
        runs = con.execute("SELECT status FROM fetch_runs ORDER BY started_at").fetchall()
        merged_by_audit = {r[0] for r in con.execute("SELECT note FROM reviews").fetchall()}
    finally:
        con.close()
    assert runs[-1] == ("completed",) and len(runs) == 2
    assert merged_by_audit, "the audit merged no decision at its end"
    with open_sidecar(sidecar_path(world.db)) as side:
        kept = {r[0] for r in side.execute("SELECT note FROM decisions")}
    assert set(made) <= kept
    with connect(world.db) as con:
        merge_sidecar(con, sidecar_path(world.db))
        in_warehouse = {r[0] for r in con.execute("SELECT note FROM reviews").fetchall()}
    assert set(made) <= in_warehouse
