"""The store is idempotent: same batch twice adds nothing; edits version; vanished items delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.base import Item, MediaRef
from hallmonitor.config import Account
from warehouse import store
from warehouse.db import connect, media_dir, migrate

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
ACCOUNT = Account(id="feed", kind="sponsored", platform="rss", locator="http://127.0.0.1/feed")


def _item(native_id: str, text: str, days_ago: int, media: list[MediaRef] | None = None) -> Item:
    return Item(
        native_id=native_id,
        kind="post",
        permalink=f"http://127.0.0.1/{native_id}",
        published_at=NOW - timedelta(days=days_ago),
        text=text,
        media=media or [],
        raw={"likes": days_ago},
    )


def _store(
    db: Path, items: list[Item], complete_since: datetime | None = None, now: datetime = NOW
) -> store.ItemStats:
    with connect(db) as con:
        return store.store_items(con, "run", "d1", ACCOUNT, items, complete_since, now)


def _count(db: Path, sql: str) -> int:
    with connect(db, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        assert migrate(con) == []  # connect already applied everything
        applied = con.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()
    assert applied[0][0] == "0001_initial.sql"


def test_same_batch_twice_adds_no_post_or_version(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    batch = [_item("a", "hello", 3), _item("b", "world", 2)]
    first = _store(db, batch)
    second = _store(db, batch, now=NOW + timedelta(hours=1))
    assert (first.new, second.new, second.changed, second.unchanged) == (2, 0, 0, 2)
    assert _count(db, "SELECT count(*) FROM posts") == 2
    assert _count(db, "SELECT count(*) FROM post_versions") == 2


def test_changed_counters_alone_are_not_an_edit(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _store(db, [_item("a", "hello", 3)])
    bumped = _item("a", "hello", 3)
    bumped.raw = {"likes": 999}
    assert _store(db, [bumped]).changed == 0


def test_edited_text_becomes_a_new_version_and_keeps_the_old(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _store(db, [_item("a", "first words", 3)])
    stats = _store(db, [_item("a", "second words", 3)])
    assert stats.changed == 1 and len(stats.touched) == 1
    with connect(db, read_only=True) as con:
        versions = con.execute(
            "SELECT version, text FROM post_versions ORDER BY version"
        ).fetchall()
        current = con.execute("SELECT current_version, text FROM posts").fetchone()
    assert versions == [(1, "first words"), (2, "second words")]
    assert current == (2, "second words")


def test_item_missing_from_a_complete_window_is_marked_deleted_with_evidence_kept(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.duckdb"
    _store(
        db,
        [_item("a", "keep", 3), _item("b", "goes away", 2)],
        complete_since=NOW - timedelta(days=5),
    )
    stats = _store(db, [_item("a", "keep", 3)], complete_since=NOW - timedelta(days=5))
    assert stats.deleted == 1
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT text, deleted_at IS NOT NULL FROM posts WHERE native_id = 'b'"
        ).fetchone()
    assert row == ("goes away", True)


def test_items_older_than_the_complete_window_are_not_deleted(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _store(db, [_item("old", "fell off the feed", 40), _item("a", "new", 1)])
    stats = _store(db, [_item("a", "new", 1)], complete_since=NOW - timedelta(days=10))
    assert stats.deleted == 0


def test_no_completeness_claim_means_nothing_is_deleted(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _store(db, [_item("a", "x", 1), _item("b", "y", 1)])
    assert _store(db, [_item("a", "x", 1)], complete_since=None).deleted == 0


def test_reappearing_item_is_undeleted(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    since = NOW - timedelta(days=5)
    _store(db, [_item("a", "x", 1)], complete_since=since)
    _store(db, [], complete_since=since)
    _store(db, [_item("a", "x", 1)], complete_since=since)
    assert _count(db, "SELECT count(*) FROM posts WHERE deleted_at IS NULL") == 1


def test_media_is_content_addressed_and_recorded_once(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    root = media_dir(db)
    sha, relative = store.write_media_file(root, b"\x89PNG fake")
    again, _ = store.write_media_file(root, b"\x89PNG fake")
    assert sha == again and (root / relative).read_bytes() == b"\x89PNG fake"
    download = store.MediaDownload("http://127.0.0.1/a.png", sha, relative, "image/png", 9)
    other_url = store.MediaDownload("http://127.0.0.1/copy.png", sha, relative, "image/png", 9)
    with connect(db) as con:
        assert store.record_media(con, [download], NOW) == 1
        assert store.record_media(con, [download, other_url], NOW) == 0
        assert store.known_media_urls(con) == {
            "http://127.0.0.1/a.png": sha,
            "http://127.0.0.1/copy.png": sha,
        }


def test_comment_is_linked_to_its_parent_post(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    comment = _item("c1", "nice", 1)
    comment.kind, comment.parent_native_id = "comment", "a"
    _store(db, [_item("a", "post", 2), comment])
    with connect(db, read_only=True) as con:
        parent = con.execute("SELECT parent_post_id FROM posts WHERE native_id = 'c1'").fetchone()[
            0
        ]
        post_id = con.execute("SELECT post_id FROM posts WHERE native_id = 'a'").fetchone()[0]
    assert parent == post_id


def test_permanent_media_failures_are_not_retried_but_transient_ones_are(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    gone = store.MediaDownload(
        "http://127.0.0.1/gone.png", None, None, None, 0, "HTTP 404", permanent=True
    )
    flaky = store.MediaDownload("http://127.0.0.1/flaky.png", None, None, None, 0, "timed out")
    with connect(db) as con:
        store.record_media(con, [gone, flaky], NOW)
        known = store.known_media_urls(con)
    assert known["http://127.0.0.1/gone.png"] == ""  # known: never asked again
    assert known["http://127.0.0.1/flaky.png"] is None  # asked again next night


def test_media_lookup_for_a_batch_returns_only_stored_files_among_its_urls(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    ok = store.MediaDownload("http://127.0.0.1/a.png", "aa" * 32, "aa/x", "image/png", 3)
    failed = store.MediaDownload("http://127.0.0.1/b.png", None, None, None, 0, "timed out")
    other = store.MediaDownload("http://127.0.0.1/c.png", "cc" * 32, "cc/x", "image/png", 3)
    with connect(db) as con:
        store.record_media(con, [ok, failed, other], NOW)
        found = store.media_shas_for(con, ["http://127.0.0.1/a.png", "http://127.0.0.1/b.png",
                                           "http://127.0.0.1/new.png"])
    assert found == {"http://127.0.0.1/a.png": "aa" * 32}


# -- how a deletion was established ----------------------------------------------------------------
def _how(db: Path, native_id: str) -> tuple[bool, str | None]:
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT deleted_at IS NOT NULL, deleted_how FROM posts WHERE native_id = ?", [native_id]
        ).fetchone()
    assert row is not None
    return bool(row[0]), row[1]


def test_deletion_by_a_complete_listing_records_the_listing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    since = NOW - timedelta(days=5)
    _store(db, [_item("a", "keep", 1), _item("b", "gone", 2)])
    with connect(db) as con:
        evidence = store.DeletionEvidence("mastodon: the account's statuses, newest first")
        stats = store.store_items(
            con, "run", "d1", ACCOUNT, [_item("a", "keep", 1)], since, NOW, None, evidence
        )
    assert stats.deleted == 1
    deleted, how = _how(db, "b")
    assert deleted and how is not None
    assert how.startswith("absent from mastodon: the account's statuses, newest first")
    assert _how(db, "a") == (False, None)


def test_missing_comment_is_never_deleted_by_a_listing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    comment = _item("c1", "a reply", 1)
    comment.kind, comment.parent_native_id = "comment", "a"
    _store(db, [_item("a", "post", 1), comment])
    stats = _store(db, [_item("a", "post", 1)], complete_since=NOW - timedelta(days=5))
    assert stats.deleted == 0 and _how(db, "c1") == (False, None)


def test_item_the_platform_says_is_gone_is_deleted_with_its_answer(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _store(db, [_item("old", "rotated out of the feed", 40), _item("x", "x", 1)])
    answer = "permalink http://127.0.0.1/old answered HTTP 404 when re-checked at ..."
    with connect(db) as con:
        evidence = store.DeletionEvidence(gone={"old": answer})
        stats = store.store_items(con, "run", "d1", ACCOUNT, [], None, NOW, None, evidence)
    assert stats.deleted == 1
    assert _how(db, "old") == (True, answer)
    assert _how(db, "x") == (False, None), "no listing claim: nothing else is touched"
    # It comes back: no longer deleted, and the evidence is cleared with the mark.
    _store(db, [_item("old", "rotated out of the feed", 40)])
    assert _how(db, "old") == (False, None)
