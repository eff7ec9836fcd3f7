"""What is left to do is read from the warehouse: an item version is due until it has been
checked with the current pack and the analyses its media have now; a media file is pending until
it has an analysis by the current analyser with the district's marks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.base import Item, MediaRef
from hallmonitor.config import Account
from warehouse import store
from warehouse.db import connect
from warehouse.pending import Checked, due_posts, mark_checked, media_keys, pending_media

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
ACCOUNT = Account(id="feed", kind="sponsored", platform="rss", locator="http://127.0.0.1/feed")
IMG = "http://127.0.0.1/a.png"


def _item(native_id: str, text: str, media: list[MediaRef] | None = None) -> Item:
    return Item(
        native_id=native_id,
        kind="post",
        permalink=f"http://127.0.0.1/{native_id}",
        published_at=NOW,
        text=text,
        media=media or [],
    )


def _setup(con: duckdb.DuckDBPyConnection, items: list[Item]) -> dict[str, str]:
    store.store_items(con, "r", "d1", ACCOUNT, items, None, NOW, {IMG: "sha-a"})
    con.execute(
        "INSERT INTO media (sha256, path, first_seen) VALUES ('sha-a', 'sh/sha-a', ?) "
        "ON CONFLICT DO NOTHING",
        [NOW],
    )
    return {i.native_id: store.post_id_for("d1", "rss", "feed", i.native_id) for i in items}


def _check_all(con: duckdb.DuckDBPyConnection, ids: list[str], version: str = "1") -> None:
    keys = media_keys(con, ids)
    versions = dict(con.execute("SELECT post_id, current_version FROM posts").fetchall())
    checked = [Checked(pid, versions[pid], keys[pid]) for pid in ids]
    mark_checked(con, checked, "pack", version, "images-2", "r", NOW)


def _analyse(con: duckdb.DuckDBPyConnection, version: str = "images-2", marks: str = "") -> None:
    con.execute(
        "INSERT OR REPLACE INTO media_analysis (sha256, analyser_version, marks_key, ok, "
        "analysis_json, analysed_at) VALUES ('sha-a', ?, ?, true, '{}', ?)",
        [version, marks, NOW],
    )


def _due(con: duckdb.DuckDBPyConnection, version: str = "1") -> list[str]:
    return due_posts(con, "d1", ["feed"], "pack", version)


def test_items_are_due_until_checked_and_again_when_the_pack_changes(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        ids = _setup(con, [_item("a", "one"), _item("b", "two")])
        assert _due(con) == sorted(ids.values())
        _check_all(con, [ids["a"]])
        assert _due(con) == [ids["b"]]
        _check_all(con, [ids["a"]])  # checking again is idempotent
        assert con.execute("SELECT count(*) FROM check_state").fetchone() == (1,)
        assert _due(con, version="2") == sorted(ids.values())
        assert due_posts(con, "d1", ["someone-else"], "pack", "1") == []


def test_an_edit_makes_the_item_due_again(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        ids = _setup(con, [_item("a", "one")])
        _check_all(con, list(ids.values()))
        assert _due(con) == []
        store.store_items(con, "r2", "d1", ACCOUNT, [_item("a", "one, edited")], None, NOW)
        assert _due(con) == [ids["a"]]


def test_an_item_checked_before_its_image_was_analysed_is_due_once_it_is(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        ids = _setup(con, [_item("a", "one", [MediaRef(IMG)]), _item("b", "no media")])
        assert pending_media(con, "d1", "images-2", "") == [("sha-a", "sh/sha-a")]
        _check_all(con, list(ids.values()))  # the analysis failed: checked without it
        assert _due(con) == []
        _analyse(con)
        assert pending_media(con, "d1", "images-2", "") == []
        assert _due(con) == [ids["a"]]
        _check_all(con, [ids["a"]])
        assert _due(con) == []
        # a newer analyser or new marks: the image is pending again, and once redone, the item
        assert pending_media(con, "d1", "images-3", "") == [("sha-a", "sh/sha-a")]
        assert pending_media(con, "d1", "images-2", "marks") == [("sha-a", "sh/sha-a")]
        _analyse(con, marks="marks")
        assert _due(con) == [ids["a"]]
