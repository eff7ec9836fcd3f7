"""Fetch windows and media downloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.base import Item, MediaRef
from connectors.http import HttpClient, HttpSettings
from demo.fakeplatform import FakePlatform
from flows.steps.fetching import MEDIA_HOST_BREAKER, download_media, window_for
from hallmonitor.config import District
from warehouse.store import CursorState

NOW = datetime(2026, 11, 21, 8, tzinfo=UTC)
DISTRICT = District(
    id="d",
    name="D",
    policy="jndc",
    timezone="America/Chicago",
    names=["D"],
    homepage="https://d.example/",
    backfill_days=90,
    rescan_days=30,
    overlap_minutes=60,
)


def test_first_fetch_reaches_back_backfill_days_as_a_full_scan() -> None:
    window = window_for(DISTRICT, None, NOW)
    assert window.since == NOW - timedelta(days=90) and window.full_rescan and window.cursor == {}


def test_later_nights_start_at_the_high_water_mark_less_the_overlap() -> None:
    state = CursorState({"newest": "x"}, NOW - timedelta(hours=5), NOW - timedelta(days=3))
    window = window_for(DISTRICT, state, NOW)
    assert window.since == NOW - timedelta(hours=6) and not window.full_rescan
    assert window.cursor == {"newest": "x"}


def test_a_full_rescan_comes_round_every_rescan_days() -> None:
    state = CursorState({}, NOW - timedelta(hours=5), NOW - timedelta(days=30))
    window = window_for(DISTRICT, state, NOW)
    assert window.full_rescan and window.since == NOW - timedelta(days=30)


def _items(base: str, names: list[str]) -> list[Item]:
    return [
        Item(
            native_id="p",
            kind="post",
            permalink=f"{base}/p",
            published_at=NOW,
            text="",
            media=[MediaRef(f"{base}/media/{n}") for n in names],
        )
    ]


def test_failing_media_host_is_given_up_for_the_night_after_a_few_tries(tmp_path: Path) -> None:
    with FakePlatform() as fake:
        fake.route_prefix("/media/", lambda request: (503, {}, {"error": "down"}))
        http = HttpClient(
            account_id="a",
            basis="t",
            allowed_hosts={fake.host},
            settings=HttpSettings(max_attempts=1),
            sleep=lambda s: None,
        )
        names = [f"{n}.png" for n in range(6)]
        downloads = download_media(http, _items(fake.base_url, names), tmp_path, {})
        assert len(fake.requests) == MEDIA_HOST_BREAKER
    assert len(downloads) == 6
    assert all(d.sha256 is None and not d.permanent for d in downloads)  # tried again next night


def test_media_is_stored_once_and_known_urls_are_not_asked_again(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n fake"
    with FakePlatform() as fake:
        fake.route_prefix("/media/", lambda request: (200, {"Content-Type": "image/png"}, png))
        fake.route("/media/gone.png", lambda request: (404, {}, {"error": "gone"}))
        http = HttpClient(
            account_id="a", basis="t", allowed_hosts={fake.host}, sleep=lambda s: None
        )
        known = {f"{fake.base_url}/media/old.png": "abc"}
        downloads = download_media(
            http, _items(fake.base_url, ["old.png", "new.png", "gone.png"]), tmp_path, known
        )
        asked = [r.path for r in fake.requests]
    assert asked == ["/media/new.png", "/media/gone.png"]
    new, gone = downloads
    assert new.sha256 and (tmp_path / new.path).read_bytes() == png
    assert gone.sha256 is None and gone.permanent  # a 404 is never asked again
