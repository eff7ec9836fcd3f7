"""Single sign-on against a real OpenID provider (node's oidc-provider) on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from dashboards.review.sidecar import open_sidecar, sidecar_path
from tests.dashboards.builders import Built
from tests.dashboards.live import LiveServer, OpenIdProvider, sso_server


@pytest.fixture
def sso(built: Built, tmp_path: Path) -> Iterator[tuple[LiveServer, OpenIdProvider]]:
    server, provider = sso_server(built.config, built.db, tmp_path)
    yield server, provider
    server.stop()
    provider.stop()


def _sign_in_with_provider(app_url: str, login: str) -> tuple[httpx.Client, httpx.Response]:
    """Click through the provider's login and consent forms as a browser would."""
    client = httpx.Client(timeout=30, follow_redirects=True)
    page = client.get(f"{app_url}/login/oidc")
    for _ in range(4):
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', page.text)
        if not str(page.url).startswith(app_url.replace("127.0.0.1", "")) and form is None:
            break
        if form is None or str(page.url).startswith(app_url):
            break
        fields = dict(
            re.findall(
                r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text
            )
        )
        if 'name="login"' in page.text:
            fields.update({"login": login, "password": "anything"})
        page = client.post(urljoin(str(page.url), form.group(1)), data=fields)
    return client, page


def test_sso_signs_in_a_district_monitor_by_email(sso, built: Built) -> None:
    server, _ = sso
    client, page = _sign_in_with_provider(server.url, "pat@riverbend.example")
    assert str(page.url) == f"{server.url}/queue", page.text[:500]
    assert "Pat Monitor" in page.text
    assert client.get(f"{server.url}/findings/f-rms").status_code == 403  # scope still applies
    with open_sidecar(sidecar_path(built.db)) as con:
        row = con.execute("SELECT via FROM sessions WHERE username = 'pat@riverbend.example'")
        assert row.fetchone()[0] == "oidc"


def test_sso_refuses_an_email_that_is_not_a_monitor(sso) -> None:
    server, _ = sso
    _, page = _sign_in_with_provider(server.url, "stranger@elsewhere.example")
    assert page.status_code == 403 and "not a monitor" in page.text


def test_sso_callback_without_the_browsers_state_is_refused(sso) -> None:
    server, _ = sso
    response = httpx.get(f"{server.url}/oidc/callback?code=abc&state=forged", timeout=10)
    assert response.status_code == 403
