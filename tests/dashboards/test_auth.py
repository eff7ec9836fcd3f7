"""Sign-in, sessions, back-off and lock-out, CSRF, sign-out and user management."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cli.main import cli
from dashboards.review import routes_admin, routes_auth, routes_review, throttle
from dashboards.review.app import create_app
from dashboards.review.sidecar import open_sidecar, sidecar_path, transaction
from dashboards.review.users import BACKOFF_AFTER, LOCK_AFTER, authenticate, get_user
from flows.district import load_district
from tests.dashboards.builders import PASSWORD, T0, Built
from tests.dashboards.conftest import csrf_of, page_csrf, sign_in


def test_password_sign_in_sets_a_secure_httponly_samesite_session_cookie(
    app_client: TestClient,
) -> None:
    page = app_client.get("/login")
    response = app_client.post(
        "/login",
        data={
            "username": "pat@riverbend.example",
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
        },
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "hm_session=" in cookie and "httponly" in cookie and "secure" in cookie
    assert "samesite=lax" in cookie
    assert app_client.get("/").headers["location"] == "/queue"


def test_wrong_password_is_refused_without_saying_whether_the_user_exists(
    app_client: TestClient,
) -> None:
    texts = []
    for name in ("pat@riverbend.example", "nobody@riverbend.example"):
        page = app_client.get("/login")
        response = app_client.post(
            "/login",
            data={"username": name, "password": "wrong password!", "csrf": csrf_of(page.text)},
        )
        assert response.status_code == 401
        texts.append(response.text.split('role="alert">')[1].split("<")[0])
    assert texts[0] == texts[1]
    assert app_client.get("/queue").headers["location"] == "/login"


def test_sign_in_form_without_its_csrf_token_is_refused(app_client: TestClient) -> None:
    app_client.get("/login")
    response = app_client.post(
        "/login", data={"username": "pat@riverbend.example", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_repeated_failures_back_off_then_lock_the_user(built: Built) -> None:
    store = sidecar_path(built.db)
    now = T0
    for attempt in range(LOCK_AFTER):
        result = authenticate(store, "pat@riverbend.example", "wrong password!", now)
        assert result.reason == "bad", attempt
        # Right after the third failure, even the right password must wait.
        if attempt == 2:
            early = authenticate(store, "pat@riverbend.example", PASSWORD, now)
            assert early.user is None and early.reason == "wait" and early.retry_after >= 1
        now += timedelta(seconds=60)
    locked = authenticate(store, "pat@riverbend.example", PASSWORD, now)
    assert locked.user is None and locked.reason == "locked"
    later = authenticate(store, "pat@riverbend.example", PASSWORD, now + timedelta(minutes=16))
    assert later.user is not None


def test_a_burst_of_parallel_guesses_at_one_user_is_checked_only_up_to_the_back_off(
    built: Built,
) -> None:
    store = sidecar_path(built.db)

    def guess(_: int) -> str:
        return authenticate(store, "pat@riverbend.example", "wrong password!", T0).reason

    with ThreadPoolExecutor(8) as pool:
        reasons = sorted(pool.map(guess, range(12)))
    assert reasons == ["bad"] * BACKOFF_AFTER + ["wait"] * (12 - BACKOFF_AFTER)
    assert authenticate(store, "pat@riverbend.example", PASSWORD, T0).reason == "wait"
    later = authenticate(store, "pat@riverbend.example", PASSWORD, T0 + timedelta(seconds=2))
    assert later.user is not None  # the right password clears the count
    assert authenticate(store, "pat@riverbend.example", PASSWORD, T0 + timedelta(seconds=2)).user


def test_backoff_answers_429_in_the_app(app_client: TestClient) -> None:
    codes = []
    for _ in range(4):
        page = app_client.get("/login")
        codes.append(
            app_client.post(
                "/login",
                data={
                    "username": "lee@riverbend.example",
                    "password": "wrong password!",
                    "csrf": csrf_of(page.text),
                },
            ).status_code
        )
    assert codes == [401, 401, 401, 429]


def test_every_state_changing_route_refuses_a_request_without_csrf(
    app_client: TestClient,
) -> None:
    posts = [
        r.path
        for router in (routes_auth.router, routes_review.router, routes_admin.router)
        for r in router.routes
        if isinstance(r, APIRoute) and "POST" in r.methods
    ]
    assert {"/logout", "/queue/bulk", "/findings/{finding_id}/decide", "/admin/users"} <= set(posts)
    for username in ("pat@riverbend.example", "admin@riverbend.example"):
        sign_in(app_client, username)
        for path in posts:
            url = path.replace("{finding_id}", "f-rhs")
            response = app_client.post(
                url,
                data={
                    "action": "confirm",
                    "ids": "f-rhs",
                    "op": "disable",
                    "username": "lee@x.example",
                },
            )
            assert response.status_code in (403, 303), (path, response.status_code)
            if response.status_code == 303:  # only the sign-in page itself, which starts over
                assert path == "/login" or response.headers["location"] == "/login"
        app_client.cookies.clear()
    with open_sidecar(sidecar_path(app_client.app.state.ctx.db_path)) as con:
        denied = con.execute("SELECT count(*) FROM events WHERE action = 'access.denied'")
        assert denied.fetchone()[0] >= 5
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_sign_out_ends_the_session_on_the_server(app_client: TestClient) -> None:
    sign_in(app_client, "pat@riverbend.example")
    stolen = app_client.cookies.get("hm_session")
    response = app_client.post("/logout", data={"csrf": page_csrf(app_client)})
    assert response.status_code == 303
    app_client.cookies.clear()
    app_client.cookies.set("hm_session", stolen)
    assert app_client.get("/queue").headers["location"] == "/login"


def test_disabled_user_is_signed_out_at_once(app_client: TestClient, built: Built) -> None:
    sign_in(app_client, "pat@riverbend.example")
    result = CliRunner().invoke(
        cli, ["users", "disable", "pat@riverbend.example", "--db", str(built.db)]
    )
    assert result.exit_code == 0, result.output
    assert app_client.get("/queue").headers["location"] == "/login"


def test_users_cli_add_list_reset(built: Built) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "users",
            "add",
            "newadmin@riverbend.example",
            "--admin",
            "--db",
            str(built.db),
            "--config",
            str(built.config),
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    refused = runner.invoke(
        cli,
        [
            "users",
            "add",
            "stranger@else.example",
            "--db",
            str(built.db),
            "--config",
            str(built.config),
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert refused.exit_code != 0 and "not a monitor" in refused.output
    listing = runner.invoke(cli, ["users", "list", "--db", str(built.db)])
    assert "newadmin@riverbend.example\tadmin" in listing.output
    reset = runner.invoke(
        cli,
        [
            "users",
            "reset-password",
            "pat@riverbend.example",
            "--db",
            str(built.db),
            "--password-stdin",
        ],
        input="another long password\n",
    )
    assert reset.exit_code == 0
    user = get_user(sidecar_path(built.db), "pat@riverbend.example")
    assert user is not None and user.has_password
    assert (
        authenticate(
            sidecar_path(built.db), "pat@riverbend.example", "another long password", T0
        ).user
        is not None
    )


def test_passwords_are_stored_as_argon2id_hashes(built: Built) -> None:
    with open_sidecar(sidecar_path(built.db)) as con:
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM users")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_decisions_and_events_are_append_only(built: Built) -> None:
    with open_sidecar(sidecar_path(built.db)) as con:
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("UPDATE events SET actor = 'someone else'")
        con.execute(
            "INSERT INTO decisions (finding_id, action, username, decided_at) "
            "VALUES ('f', 'confirm', 'u', 'now')"
        )
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("DELETE FROM decisions")


def test_admin_adds_and_disables_users_monitors_cannot(as_user) -> None:
    client = as_user("pat@riverbend.example")
    assert client.get("/admin/users").status_code == 403
    client = as_user("admin@riverbend.example")
    csrf = page_csrf(client, "/admin/users")
    added = client.post(
        "/admin/users",
        data={
            "csrf": csrf,
            "op": "add",
            "role": "admin",
            "username": "it@riverbend.example",
            "password": "a long enough password",
        },
    )
    assert added.status_code == 303
    assert "it@riverbend.example" in client.get("/admin/users").text
    off = client.post(
        "/admin/users", data={"csrf": csrf, "op": "disable", "username": "lee@riverbend.example"}
    )
    assert off.status_code == 303
    assert get_user(sidecar_path(client.app.state.ctx.db_path), "lee@riverbend.example").disabled


def test_password_spraying_from_one_address_backs_off_that_address_only(built: Built) -> None:
    store = sidecar_path(built.db)
    now = T0
    for n in range(throttle.ADDRESS_BACKOFF_AFTER):  # one failed try each against many users
        assert throttle.admit(store, "198.51.100.7", now + timedelta(seconds=n * 30)) == (0, n + 1)
    now += timedelta(seconds=throttle.ADDRESS_BACKOFF_AFTER * 30 - 30)
    assert throttle.admit(store, "198.51.100.7", now) == (2, 0)
    assert throttle.admit(store, "198.51.100.8", now) == (0, 1)  # another address: no wait
    later = now + timedelta(seconds=2)
    assert throttle.admit(store, "198.51.100.7", later) == (0, 11)
    assert throttle.admit(store, "198.51.100.7", later)[0] == 4  # each failure doubles the wait
    # The count lapses after a quiet window.
    quiet = later + throttle.ADDRESS_WINDOW + timedelta(seconds=1)
    assert throttle.admit(store, "198.51.100.7", quiet) == (0, 1)


def test_a_burst_of_parallel_tries_is_admitted_only_up_to_the_limit(built: Built) -> None:
    store = sidecar_path(built.db)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: throttle.admit(store, "198.51.100.9", T0), range(16)))
    admitted = sorted(n for wait, n in answers if wait == 0)
    assert admitted == list(range(1, throttle.ADDRESS_BACKOFF_AFTER + 1))


def test_sign_ins_that_are_not_failed_passwords_are_not_counted(built: Built) -> None:
    store = sidecar_path(built.db)
    for _ in range(3 * throttle.ADDRESS_BACKOFF_AFTER):
        wait, attempts = throttle.admit(store, "198.51.100.10", T0)
        assert (wait, attempts) == (0, 1)
        with transaction(store) as con:
            throttle.forgive(con, "198.51.100.10")


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # same /64: one counter
        ("::ffff:203.0.113.5", "203.0.113.5"),
        (None, "unknown"),
    ],
)
def test_address_key_groups_an_ipv6_host_by_its_64(host: str | None, key: str) -> None:
    assert throttle.address_key(host) == key


def _try(client: TestClient, username: str, password: str) -> int:
    page = client.get("/login")
    data = {"username": username, "password": password, "csrf": csrf_of(page.text)}
    return client.post("/login", data=data).status_code


def test_spraying_in_the_app_is_slowed_per_address_and_logged(built: Built) -> None:
    config = load_district(built.config)
    app = create_app(config, built.db, refresh_seconds=3600)
    frozen = datetime.now(UTC)
    app.state.ctx.now = lambda: frozen  # the back-off must not lapse while the test runs
    attacker = TestClient(
        app, base_url="https://testserver", client=("203.0.113.66", 4000), follow_redirects=False
    )
    neighbour = TestClient(
        app, base_url="https://testserver", client=("203.0.113.67", 4000), follow_redirects=False
    )
    with attacker, neighbour:
        names = [f"user{n}@riverbend.example" for n in range(throttle.ADDRESS_BACKOFF_AFTER - 2)]
        names += ["pat@riverbend.example", "lee@riverbend.example"]  # real users: one try each
        assert [_try(attacker, n, "Winter2026!!") for n in names] == [401] * len(names)
        # No user reached its own limit, but the address did: even the right password waits.
        assert _try(attacker, "sup@riverbend.example", PASSWORD) == 429
        assert _try(neighbour, "sup@riverbend.example", PASSWORD) == 303
    with open_sidecar(sidecar_path(built.db)) as con:
        actions = [
            (r[0], r[1])
            for r in con.execute(
                "SELECT action, object_id FROM events WHERE action LIKE 'address.%' "
                "OR action = 'signin.address_wait'"
            )
        ]
    assert ("address.throttled", "203.0.113.66") in actions
    assert ("signin.address_wait", "sup@riverbend.example") in actions
