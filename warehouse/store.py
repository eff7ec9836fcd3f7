"""Idempotent writes into the warehouse.

Every write is keyed so that running the same night twice changes nothing: items on
(district, platform, account, native id) via a stable `post_id`; versions on a content hash that
ignores volatile platform fields (like counts); media on SHA-256; findings on their deterministic
id.
All functions take an open connection; the caller decides the transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from connectors.base import Item
from connectors.http import AccessRecord
from hallmonitor.config import Account, DistrictConfig
from warehouse.db import insert_sql, stage_keys


def post_id_for(district_id: str, platform: str, account_id: str, native_id: str) -> str:
    key = json.dumps([district_id, platform, account_id, native_id])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def content_hash(item: Item) -> str:
    """What counts as an edit: text, title, media, permalink, profile fields, parent. Not `raw`,
    which carries counters (likes, replies) that change every night."""
    payload = [
        item.kind,
        item.title,
        item.text,
        item.permalink,
        item.parent_native_id,
        [(m.url, m.role, m.alt) for m in item.media],
        item.extra,
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- district, accounts, runs ---------------------------------------------------------------------
def upsert_district(con: duckdb.DuckDBPyConnection, config: DistrictConfig, now: datetime) -> None:
    d = config.district
    con.execute(
        insert_sql(
            "districts",
            ("district_id", "name", "policy", "timezone", "config_json", "updated_at"),
            "ON CONFLICT (district_id) DO UPDATE SET name = excluded.name, "
            "policy = excluded.policy, timezone = excluded.timezone, "
            "config_json = excluded.config_json, updated_at = excluded.updated_at",
        ),
        [d.id, d.name, d.policy, d.timezone, d.model_dump_json(), now],
    )


_ACCOUNT_FIELDS = (
    "kind",
    "platform",
    "locator",
    "display_name",
    "school",
    "responsible",
    "owner",
    "permission_json",
    "config_json",
    "updated_at",
)


def upsert_accounts(con: duckdb.DuckDBPyConnection, config: DistrictConfig, now: datetime) -> None:
    rows = []
    for a in config.accounts:
        permission = a.permission.model_dump_json() if a.permission else None
        rows.append(
            [
                config.district.id,
                a.id,
                a.kind,
                a.platform,
                a.locator,
                a.name,
                a.school,
                a.responsible,
                a.owner,
                permission,
                a.model_dump_json(),
                now,
            ]
        )
    con.executemany(
        insert_sql(
            "accounts",
            ("district_id", "account_id", *_ACCOUNT_FIELDS),
            "ON CONFLICT (district_id, account_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _ACCOUNT_FIELDS),
        ),
        rows,
    )


def audit(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    object_type: str | None,
    object_id: str | None,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, object_type, object_id, detail_json)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [now, actor, action, object_type, object_id, _json(detail)],
    )


# -- access log and coverage -----------------------------------------------------------------------
def record_access(
    con: duckdb.DuckDBPyConnection, run_id: str, district_id: str, records: list[AccessRecord]
) -> None:
    if not records:
        return
    con.executemany(
        insert_sql(
            "access_log",
            (
                "run_id",
                "district_id",
                "account_id",
                "requested_at",
                "basis",
                "method",
                "url",
                "status_code",
                "outcome",
                "bytes",
                "elapsed_ms",
            ),
        ),
        [
            [
                run_id,
                district_id,
                r.account_id,
                r.at,
                r.basis,
                r.method,
                r.url,
                r.status,
                r.outcome,
                r.bytes,
                r.elapsed_ms,
            ]
            for r in records
        ],
    )


# -- cursors ---------------------------------------------------------------------------------------
@dataclass
class CursorState:
    cursor: dict[str, Any] = field(default_factory=dict)
    high_water: datetime | None = None
    last_full_scan: datetime | None = None


def load_cursor(
    con: duckdb.DuckDBPyConnection, district_id: str, account_id: str
) -> CursorState | None:
    row = con.execute(
        "SELECT cursor_json, high_water, last_full_scan FROM cursors "
        "WHERE district_id = ? AND account_id = ?",
        [district_id, account_id],
    ).fetchone()
    if row is None:
        return None
    return CursorState(json.loads(row[0]) if row[0] else {}, row[1], row[2])


def save_cursor(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    account_id: str,
    state: CursorState,
    now: datetime,
) -> None:
    con.execute(
        insert_sql(
            "cursors",
            (
                "district_id",
                "account_id",
                "cursor_json",
                "high_water",
                "last_full_scan",
                "updated_at",
            ),
            "ON CONFLICT (district_id, account_id) DO UPDATE SET "
            "cursor_json = excluded.cursor_json, high_water = excluded.high_water, "
            "last_full_scan = excluded.last_full_scan, "
            "updated_at = excluded.updated_at",
        ),
        [district_id, account_id, _json(state.cursor), state.high_water, state.last_full_scan, now],
    )


# -- items -----------------------------------------------------------------------------------------
@dataclass
class ItemStats:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    touched: list[str] = field(default_factory=list)  # post ids with a new version this run


def store_items(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    district_id: str,
    account: Account,
    items: list[Item],
    complete_since: datetime | None,
    now: datetime,
    media_shas: dict[str, str] | None = None,
    evidence: DeletionEvidence | None = None,
) -> ItemStats:
    """Upsert a batch of one account's items; mark deleted those the platform says are gone:
    absent from a complete listing (`complete_since`), or named in `evidence.gone`. Returns
    what changed."""
    stats = ItemStats()
    media_shas = media_shas or {}
    ids = {post_id_for(district_id, account.platform, account.id, i.native_id): i for i in items}
    existing: dict[str, tuple[str, int]] = {}
    if ids:
        stage_keys(con, "_batch_ids", "post_id", list(ids))
        for pid, chash, version in con.execute(
            "SELECT p.post_id, p.content_hash, p.current_version FROM posts p "
            "JOIN _batch_ids b USING (post_id)"
        ).fetchall():
            existing[pid] = (chash, version)
    for pid, item in ids.items():
        chash = content_hash(item)
        parent = (
            post_id_for(district_id, account.platform, account.id, item.parent_native_id)
            if item.parent_native_id
            else None
        )
        media = [
            {"url": m.url, "role": m.role, "alt": m.alt, "sha256": media_shas.get(m.url)}
            for m in item.media
        ]
        if pid not in existing or existing[pid][0] != chash:
            version = existing[pid][1] + 1 if pid in existing else 1
            _write_current(con, pid, district_id, account, item, parent, media, chash, version, now)
            _insert_version(con, pid, version, chash, item, media, now, run_id)
            if version == 1:
                stats.new += 1
            else:
                stats.changed += 1
            stats.touched.append(pid)
        else:
            con.execute(
                "UPDATE posts SET last_seen = ?, deleted_at = NULL, deleted_how = NULL, "
                "raw_json = ? WHERE post_id = ?",
                [now, _json(item.raw), pid],
            )
            stats.unchanged += 1
        _replace_post_media(con, pid, media)
    evidence = evidence or DeletionEvidence()
    if complete_since is not None:
        stats.deleted = _mark_deleted(
            con, district_id, account, set(ids), complete_since, now, evidence.complete_how
        )
    stats.deleted += _mark_gone(con, district_id, account, evidence.gone, set(ids), now)
    return stats


@dataclass(frozen=True)
class DeletionEvidence:
    """How the platform said items are gone (connectors.base.FetchResult): `complete_how` names
    the complete listing behind `complete_since`; `gone` maps native ids to a re-check's answer."""

    complete_how: str | None = None
    gone: dict[str, str] = field(default_factory=dict)


# Columns that hold an item's current content: written on first sight and on every edit.
CURRENT_COLUMNS = (
    "permalink",
    "author",
    "published_at",
    "edited_at",
    "title",
    "text",
    "media_json",
    "extra_json",
    "raw_json",
    "parent_post_id",
    "current_version",
    "content_hash",
)


def _write_current(
    con: duckdb.DuckDBPyConnection,
    pid: str,
    district_id: str,
    account: Account,
    item: Item,
    parent: str | None,
    media: list[dict[str, Any]],
    chash: str,
    version: int,
    now: datetime,
) -> None:
    """Insert a new item, or bring an edited one's current content up to date (first_seen
    stays; a post that reappears with new content is no longer deleted)."""
    current = [
        item.permalink,
        item.author,
        item.published_at,
        item.edited_at,
        item.title,
        item.text,
        _json(media),
        _json(item.extra),
        _json(item.raw),
        parent,
        version,
        chash,
    ]
    keys = ["post_id", "district_id", "account_id", "platform", "native_id", "kind"]
    columns = [*keys, *CURRENT_COLUMNS, "first_seen", "last_seen", "deleted_at", "deleted_how"]
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in (*CURRENT_COLUMNS, "last_seen", "deleted_at", "deleted_how")
    )
    con.execute(
        f"INSERT INTO posts ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT (post_id) DO UPDATE SET {updates}",
        [
            pid,
            district_id,
            account.id,
            account.platform,
            item.native_id,
            item.kind,
            *current,
            now,
            now,
            None,
            None,
        ],
    )


def _insert_version(
    con: duckdb.DuckDBPyConnection,
    pid: str,
    version: int,
    chash: str,
    item: Item,
    media: list[dict[str, Any]],
    now: datetime,
    run_id: str,
) -> None:
    con.execute(
        insert_sql(
            "post_versions",
            (
                "post_id",
                "version",
                "content_hash",
                "title",
                "text",
                "media_json",
                "extra_json",
                "raw_json",
                "edited_at",
                "captured_at",
                "run_id",
            ),
        ),
        [
            pid,
            version,
            chash,
            item.title,
            item.text,
            _json(media),
            _json(item.extra),
            _json(item.raw),
            item.edited_at,
            now,
            run_id,
        ],
    )


def _replace_post_media(
    con: duckdb.DuckDBPyConnection, pid: str, media: list[dict[str, Any]]
) -> None:
    con.execute("DELETE FROM post_media WHERE post_id = ?", [pid])
    if media:
        con.executemany(
            insert_sql("post_media", ("post_id", "position", "url", "role", "alt", "sha256")),
            [[pid, n, m["url"], m["role"], m["alt"], m["sha256"]] for n, m in enumerate(media)],
        )


# Kinds a complete listing vouches for. Comments come from per-post listings that are partial
# (a thread that could not be read this night, a reply count the platform had not updated), so a
# missing comment is never taken for a deleted one.
LISTED_KINDS = ("post", "share")


def _mark_deleted(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    account: Account,
    seen: set[str],
    complete_since: datetime,
    now: datetime,
    how: str | None,
) -> int:
    """Posts and shares published in the window a complete listing covered, but absent from it,
    are gone from the platform; the listing is recorded as how that was established."""
    rows = con.execute(
        "SELECT post_id FROM posts WHERE district_id = ? AND account_id = ? AND deleted_at IS NULL "
        f"AND kind IN ({', '.join('?' for _ in LISTED_KINDS)}) AND published_at >= ?",
        [district_id, account.id, *LISTED_KINDS, complete_since],
    ).fetchall()
    gone = [r[0] for r in rows if r[0] not in seen]
    listing = how or f"{account.platform}: the platform's complete listing"
    note = f"absent from {listing} (complete since {complete_since.isoformat()})"
    if gone:
        con.executemany(
            "UPDATE posts SET deleted_at = ?, deleted_how = ? WHERE post_id = ?",
            [[now, note, pid] for pid in gone],
        )
    return len(gone)


def _mark_gone(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    account: Account,
    gone: dict[str, str],
    seen: set[str],
    now: datetime,
) -> int:
    """Items the platform itself said are gone (a permalink answering 404/410 when re-checked)."""
    marked = 0
    for native_id, how in gone.items():
        pid = post_id_for(district_id, account.platform, account.id, native_id)
        if pid in seen:
            continue  # listed again in the same fetch: not gone after all
        row = con.execute(
            "UPDATE posts SET deleted_at = ?, deleted_how = ? WHERE post_id = ? "
            "AND deleted_at IS NULL RETURNING post_id",
            [now, how, pid],
        ).fetchall()
        marked += len(row)
    return marked


# -- media -----------------------------------------------------------------------------------------
def media_shas_for(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, str]:
    """URL -> sha256 for those of these URLs already stored (one account's batch)."""
    if not urls:
        return {}
    stage_keys(con, "_batch_urls", "url", urls)
    rows = con.execute(
        "SELECT s.url, s.sha256 FROM media_sources s JOIN _batch_urls USING (url) "
        "WHERE s.sha256 IS NOT NULL"
    ).fetchall()
    return dict(rows)


def known_media_urls(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """URL -> sha256 for every URL ever attempted: "" when it failed for good (not found, host not
    allowed, too large: never asked again), None when it failed transiently (tried again)."""
    rows = con.execute("SELECT url, sha256, status FROM media_sources").fetchall()
    return {url: sha if sha else ("" if status == "skipped" else None) for url, sha, status in rows}


def write_media_file(media_root: Path, data: bytes) -> tuple[str, str]:
    """Write bytes content-addressed (atomic rename); returns (sha256, relative path)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{sha[:2]}/{sha}"
    target = media_root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    return sha, relative


@dataclass(frozen=True)
class MediaDownload:
    url: str
    sha256: str | None
    path: str | None
    content_type: str | None
    size: int
    error: str | None = None
    permanent: bool = False  # a failure that asking again will not fix

    @property
    def status(self) -> str:
        return "ok" if self.sha256 else ("skipped" if self.permanent else "failed")


def record_media(
    con: duckdb.DuckDBPyConnection, downloads: list[MediaDownload], now: datetime
) -> int:
    """Returns how many new media files (by hash) were added."""
    added = 0
    for d in downloads:
        if d.sha256:
            exists = con.execute("SELECT 1 FROM media WHERE sha256 = ?", [d.sha256]).fetchone()
            if not exists:
                con.execute(
                    insert_sql("media", ("sha256", "content_type", "bytes", "path", "first_seen")),
                    [d.sha256, d.content_type, d.size, d.path, now],
                )
                added += 1
        con.execute(
            insert_sql(
                "media_sources",
                ("url", "sha256", "status", "error", "fetched_at"),
                "ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, "
                "status = excluded.status, error = excluded.error, "
                "fetched_at = excluded.fetched_at",
            ),
            [d.url, d.sha256, d.status, d.error, now],
        )
    return added


# -- quarantine ------------------------------------------------------------------------------------
def quarantine(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    district_id: str,
    account_id: str | None,
    kind: str,
    failures: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    now: datetime,
) -> None:
    con.execute(
        "INSERT INTO quarantine (run_id, district_id, account_id, batch_kind, failed_json, "
        "rows_json, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, district_id, account_id, kind, _json(failures), _json(rows), now],
    )


# -- reads: stored items as the checks see them, and what the reports count -----------------------
def stored_accounts(
    con: duckdb.DuckDBPyConnection, district_id: str
) -> list[tuple[str, str, str, str, str | None]]:
    """(account_id, display name or id, kind, platform, school) of every account stored."""
    return con.execute(
        "SELECT account_id, COALESCE(display_name, account_id), kind, platform, school "
        "FROM accounts WHERE district_id = ?",
        [district_id],
    ).fetchall()


def live_post_ids(
    con: duckdb.DuckDBPyConnection, district_id: str, since: datetime | None
) -> list[str]:
    """Posts not deleted, published (or last seen) at or after `since` (all when None)."""
    rows = con.execute(
        "SELECT post_id FROM posts WHERE district_id = ? AND deleted_at IS NULL "
        "AND (CAST(? AS TIMESTAMPTZ) IS NULL OR COALESCE(published_at, last_seen) >= ?) "
        "ORDER BY post_id",
        [district_id, since, since],
    ).fetchall()
    return [r[0] for r in rows]


ITEM_COLUMNS = ("post_id", "current_version", "account_id", "platform", "kind", "permalink",
                "text", "published_at", "title", "author", "extra_json")


def current_items(
    con: duckdb.DuckDBPyConnection, district_id: str, post_ids: list[str]
) -> list[dict[str, Any]]:
    """The current version of each stored item, as a dict of ITEM_COLUMNS."""
    if not post_ids:
        return []
    stage_keys(con, "_wanted_items", "post_id", post_ids)
    rows = con.execute(
        f"SELECT {', '.join('p.' + c for c in ITEM_COLUMNS)} FROM posts p "
        "WHERE p.district_id = ? AND p.post_id IN (SELECT post_id FROM _wanted_items)",
        [district_id],
    ).fetchall()
    return [dict(zip(ITEM_COLUMNS, row, strict=True)) for row in rows]


def media_of_items(
    con: duckdb.DuckDBPyConnection, post_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each item's media in order (url, role, alt, sha256, stored path), with its analysis
    when there is one."""
    if not post_ids:
        return {}
    stage_keys(con, "_wanted_media", "post_id", post_ids)
    rows = con.execute(
        "SELECT pm.post_id, pm.url, pm.role, pm.alt, pm.sha256, m.path, "
        "(SELECT a.analysis_json FROM media_analysis a WHERE a.sha256 = pm.sha256) "
        "FROM post_media pm LEFT JOIN media m USING (sha256) "
        "WHERE pm.post_id IN (SELECT post_id FROM _wanted_media) ORDER BY pm.post_id, pm.position"
    ).fetchall()
    found: dict[str, list[dict[str, Any]]] = {}
    for pid, url, role, alt, sha, path, analysis in rows:
        found.setdefault(pid, []).append(
            {
                "url": url,
                "role": role,
                "alt": alt,
                "sha256": sha,
                "path": path,
                "analysis": json.loads(analysis) if analysis else None,
            }
        )
    return found


def posts_captured_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> int:
    """Items with a version captured in [start, end)."""
    row = con.execute(
        "SELECT count(DISTINCT v.post_id) FROM post_versions v JOIN posts p ON p.post_id = "
        "v.post_id WHERE p.district_id = ? AND v.captured_at >= ? AND v.captured_at < ?",
        [district_id, start, end],
    ).fetchone()
    return int(row[0] or 0) if row else 0


def images_first_seen_between(
    con: duckdb.DuckDBPyConnection, district_id: str, start: datetime, end: datetime
) -> int:
    """Distinct images of the district's items first stored in [start, end)."""
    row = con.execute(
        "SELECT count(DISTINCT m.sha256) FROM media m JOIN post_media pm ON pm.sha256 = m.sha256 "
        "JOIN posts p ON p.post_id = pm.post_id "
        "WHERE p.district_id = ? AND m.first_seen >= ? AND m.first_seen < ?",
        [district_id, start, end],
    ).fetchone()
    return int(row[0] or 0) if row else 0
