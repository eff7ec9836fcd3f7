"""Fixtures for the review app: a built warehouse, the app, and a client signed in per role."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboards.review.app import create_app
from flows.district import load_district
from tests.dashboards.builders import PASSWORD, Built, build
from tests.dashboards.live import DemoWorld, build_demo


@pytest.fixture(scope="session")
def _built_once(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Built once (Argon2 hashing is deliberately slow); each test gets its own copy."""
    return build(tmp_path_factory.mktemp("review-built"))


@pytest.fixture
def built(_built_once: Built, tmp_path: Path) -> Built:
    shutil.copytree(_built_once.config.parent, tmp_path / "copy")
    base = tmp_path / "copy"
    return Built(base / "district", base / "warehouse.duckdb", dict(_built_once.ids))


@pytest.fixture
def app_client(built: Built) -> Iterator[TestClient]:
    app = create_app(load_district(built.config), built.db, refresh_seconds=3600)
    # https: the session cookie is Secure, so a client on plain http would never send it back.
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)}
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def as_user(app_client: TestClient) -> Callable[[str], TestClient]:
    def _as(username: str) -> TestClient:
        app_client.cookies.clear()
        return sign_in(app_client, username)

    return _as


def page_csrf(client: TestClient, url: str = "/queue") -> str:
    return csrf_of(client.get(url).text)


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    """The demo district after one real nightly audit, built once per session (about a minute)."""
    return build_demo(tmp_path_factory.mktemp("review-demo") / "world")
