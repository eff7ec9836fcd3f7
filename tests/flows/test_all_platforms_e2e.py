"""Every platform, end to end: a district with an account on every platform, each played by
its fake (the connector contract scenarios), audited by the real flow twice. The first night
stores every item; the second asks each platform only for what is new; no token reaches the
warehouse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
import yaml

from connectors import connector_for
from flows.audit import nightly_audit
from tests.connectors.contract import ContractScenario, discover

SCENARIOS = discover()


def _write_district(
    folder: Path, scenarios: dict[str, ContractScenario], monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "roster").mkdir(parents=True)
    (folder / "district.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "all-platforms",
                "name": "Example Public Schools",
                "policy": "alexandria-471",
                "timezone": "America/Chicago",
                "names": ["Example Public Schools"],
                "homepage": "https://www.example-schools.org/",
                "backfill_days": 36500,
                # No overlap: the second night asks strictly for what is newer than the first saw.
                "overlap_minutes": 0,
            }
        ),
        encoding="utf-8",
    )
    (folder / "roster" / "students.csv").write_text(
        "student_id,first_name,last_name,preferred_name,school,grade,media_opt_out,photo_consent\n",
        encoding="utf-8",
    )
    people = set()
    for scenario in scenarios.values():
        account = scenario.account(scenario.fake.base_url)
        people |= {account.owner, account.responsible} - {None}
    staff = "".join(
        f"{p},Pat,Doe{n},p{n}@example.org,,teacher\n" for n, p in enumerate(sorted(people))
    )
    (folder / "roster" / "staff.csv").write_text(
        "employee_id,first_name,last_name,email,school,role\n" + staff, encoding="utf-8"
    )
    accounts = []
    for name, scenario in scenarios.items():
        account = scenario.account(scenario.fake.base_url).model_dump(
            exclude_none=True, mode="json"
        )
        if account["kind"] == "employee":
            account["permission"] = {
                "basis": "written consent (test)",
                "granted": "2000-01-01",
                "expires": "2099-12-31",
            }
        if scenario.token:
            variable = f"HM_TEST_TOKEN_{name.upper()}"
            monkeypatch.setenv(variable, scenario.token)
            account["token_env"] = variable
        accounts.append(account)
    (folder / "accounts.yaml").write_text(yaml.safe_dump({"accounts": accounts}), encoding="utf-8")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    monkeypatch = pytest.MonkeyPatch()
    # Recorded bodies point at the platforms' real CDNs: take those hosts off the allow-list so
    # the audit refuses them before any connection (tests never touch the internet). Images the
    # fakes serve on their own host still download.
    for name in SCENARIOS:
        monkeypatch.setattr(connector_for(name), "media_hosts", ())
    scenarios = {name: cls() for name, cls in SCENARIOS.items()}
    for scenario in scenarios.values():
        scenario.fake.start()
    tmp = tmp_path_factory.mktemp("platforms")
    _write_district(tmp / "district", scenarios, monkeypatch)
    now = max(s.now for s in scenarios.values())
    db = tmp / "w.duckdb"
    first = nightly_audit(str(tmp / "district"), str(db), now=now.isoformat(), trigger="test")
    marks = {name: len(s.fake.requests) for name, s in scenarios.items()}
    added = {name: s.add_item() for name, s in scenarios.items()}
    second = nightly_audit(
        str(tmp / "district"), str(db), now=(now + timedelta(hours=20)).isoformat(), trigger="test"
    )
    yield {
        "scenarios": scenarios,
        "db": db,
        "first": first,
        "second": second,
        "marks": marks,
        "added": added,
    }
    for scenario in scenarios.values():
        scenario.fake.stop()
    monkeypatch.undo()


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_every_platform_account_is_captured(audited: dict) -> None:
    assert audited["first"]["gaps"] == []
    assert audited["first"]["fetched"] == len(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_first_night_stores_the_items_of(audited: dict, name: str) -> None:
    scenario = audited["scenarios"][name]
    account = scenario.account(scenario.fake.base_url)
    stored = _q(
        audited["db"],
        "SELECT count(*) FROM posts WHERE account_id = ? AND kind <> 'profile'",
        [account.id],
    )[0][0]
    assert stored >= scenario.min_items


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_second_night_asks_only_for_new_items_and_stores_them(audited: dict, name: str) -> None:
    scenario = audited["scenarios"][name]
    media_paths = {urlsplit(url).path for (url,) in _q(audited["db"], "SELECT url FROM post_media")}
    second_requests = [
        r for r in scenario.fake.requests[audited["marks"][name] :] if r.path not in media_paths
    ]  # the new item's images are new too
    scenario.assert_incremental(second_requests)
    account = scenario.account(scenario.fake.base_url)
    new_id = audited["added"][name]
    assert (
        _q(
            audited["db"],
            "SELECT count(*) FROM posts WHERE account_id = ? AND native_id = ?",
            [account.id, new_id],
        )[0][0]
        == 1
    )


def test_second_night_duplicates_nothing(audited: dict) -> None:
    duplicates = _q(
        audited["db"],
        "SELECT account_id, native_id, count(*) FROM posts GROUP BY 1, 2 HAVING count(*) > 1",
    )
    assert duplicates == []
    assert audited["second"]["items_new"] == len(SCENARIOS)


def test_album_and_carousel_images_are_all_referenced(audited: dict) -> None:
    per_platform = dict(
        _q(
            audited["db"],
            "SELECT p.platform, count(*) FROM post_media m JOIN posts p USING (post_id) GROUP BY 1",
        )
    )
    for platform in ("facebook", "instagram", "mastodon", "bluesky", "wordpress", "youtube", "rss"):
        assert per_platform.get(platform, 0) > 0, platform


def test_profiles_are_captured(audited: dict) -> None:
    with_profiles = {
        row[0] for row in _q(audited["db"], "SELECT platform FROM posts WHERE kind = 'profile'")
    }
    assert {"facebook", "instagram", "mastodon", "bluesky", "youtube"} <= with_profiles


def test_no_token_is_stored_anywhere(audited: dict) -> None:
    tokens = [s.token for s in audited["scenarios"].values() if s.token]
    assert tokens, "at least one scenario uses a token"
    con = duckdb.connect(str(audited["db"]), read_only=True)
    try:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            dump = json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str)
            for token in tokens:
                assert token not in dump, f"token found in {table}"
    finally:
        con.close()
