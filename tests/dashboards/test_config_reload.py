"""A change to district.yaml or accounts.yaml applies from the next request, without a restart."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from dashboards.review.app import create_app
from dashboards.review.sidecar import open_sidecar, sidecar_path
from flows.district import load_district
from tests.dashboards.builders import PASSWORD, Built
from tests.dashboards.conftest import csrf_of, sign_in


@pytest.fixture
def client(built: Built) -> Iterator[TestClient]:
    app = create_app(
        load_district(built.config),
        built.db,
        refresh_seconds=3600,
        reload_config=partial(load_district, built.config),
        config_check_seconds=0.0,  # look at the files on every request
    )
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def _edit(built: Built, name: str, old: str, new: str) -> None:
    path = built.config / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()  # a later mtime even on a coarse clock
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _rows(client: TestClient) -> list[str]:
    soup = BeautifulSoup(client.get("/queue").text, "html.parser")
    return [a["href"].split("?")[0] for a in soup.select("a.row-link")]


def _events(built: Built, action: str) -> int:
    with open_sidecar(sidecar_path(built.db)) as con:
        return con.execute("SELECT count(*) FROM events WHERE action = ?", [action]).fetchone()[0]


def test_a_removed_monitor_loses_access_on_the_next_request(
    client: TestClient, built: Built
) -> None:
    sign_in(client, "pat@riverbend.example")
    assert client.get("/queue").status_code == 200
    _edit(
        built,
        "district.yaml",
        "  - {id: m-rhs, name: Pat Monitor, email: pat@riverbend.example, role: monitor, "
        "schools: [rhs]}\n",
        "",
    )
    assert client.get("/queue").headers["location"] == "/login"
    assert client.get("/findings/f-rhs").headers["location"] == "/login"
    assert _events(built, "config.reloaded") == 1
    # Signing in again does not work either: no standing in district.yaml.
    page = client.get("/login")
    again = client.post(
        "/login",
        data={
            "username": "pat@riverbend.example",
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
        },
    )
    assert again.status_code == 401


def test_a_monitors_schools_and_an_accounts_school_apply_without_restart(
    client: TestClient, built: Built
) -> None:
    sign_in(client, "pat@riverbend.example")
    assert "/findings/f-rms" not in _rows(client)
    assert client.get("/findings/f-rms").status_code == 403
    _edit(built, "district.yaml", "schools: [rhs]}", "schools: [rhs, rms]}")
    assert "/findings/f-rms" in _rows(client)
    assert client.get("/findings/f-rms").status_code == 200
    # Moving the account to another school takes it out of Pat's scope again.
    _edit(built, "accounts.yaml", "platform: web, school: rms,", "platform: web, school: rhs,")
    _edit(built, "district.yaml", "schools: [rhs, rms]}", "schools: [rms]}")
    assert client.get("/findings/f-rms").status_code == 403


def test_a_broken_edit_keeps_the_last_good_configuration_and_says_so(
    client: TestClient, built: Built
) -> None:
    sign_in(client, "pat@riverbend.example")
    _edit(built, "district.yaml", "role: monitor, schools: [rhs]}", "role: monitor, schools: [rhs")
    assert client.get("/queue").status_code == 200  # still Pat's queue, from the last good file
    health = client.get("/healthz").json()
    assert health["config_error"] is True and health["config_reloads"] == 0
    assert _events(built, "config.reload_failed") == 1
    _edit(built, "district.yaml", "role: monitor, schools: [rhs", "role: monitor, schools: []}")
    health = client.get("/healthz").json()
    assert health["config_error"] is False and health["config_reloads"] == 1
