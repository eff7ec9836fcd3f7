"""What earlier runs left undone: items not checked with the current pack and media analyses,
and media files without a current analysis.

The nightly audit used to check only the items that got a new version in that run, so anything
a crashed run loaded but never checked stayed unchecked for good. Now each checked item version
has a row in `check_state` (which pack, which analyses of its media), and every run, and
`recheck`, works from these queries instead: whatever is not done is done next time, whoever
left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.db import insert_sql, stage_keys

# Per post: one hash over its media in order, each as sha256 and the analysis it has now ('-' for
# none). Posts without media have no row (key '').
_MEDIA_KEYS = """
SELECT pm.post_id, md5(string_agg(
    coalesce(pm.sha256, 'none') || ':' ||
    CASE WHEN a.sha256 IS NULL THEN '-' ELSE a.analyser_version || '/' || a.marks_key END,
    ',' ORDER BY pm.position)) AS media_key
FROM post_media pm LEFT JOIN media_analysis a ON a.sha256 = pm.sha256
{where}
GROUP BY pm.post_id
"""

DUE_SQL = f"""
WITH keys AS ({_MEDIA_KEYS.format(where="")})
SELECT p.post_id FROM posts p
LEFT JOIN keys k ON k.post_id = p.post_id
LEFT JOIN check_state s ON s.post_id = p.post_id AND s.version = p.current_version
WHERE p.district_id = ? AND p.deleted_at IS NULL AND list_contains(?, p.account_id)
  AND (s.post_id IS NULL OR s.pack_id <> ? OR s.pack_version <> ?
       OR s.media_key <> coalesce(k.media_key, ''))
ORDER BY p.post_id
"""

PENDING_MEDIA_SQL = """
SELECT DISTINCT m.sha256, m.path FROM posts p
JOIN post_media pm ON pm.post_id = p.post_id
JOIN media m ON m.sha256 = pm.sha256
LEFT JOIN media_analysis a ON a.sha256 = m.sha256
WHERE p.district_id = ? AND p.deleted_at IS NULL
  AND (a.sha256 IS NULL OR a.analyser_version <> ? OR a.marks_key <> ?)
ORDER BY m.sha256
"""


def due_posts(
    con: duckdb.DuckDBPyConnection,
    district_id: str,
    account_ids: list[str],
    pack_id: str,
    pack_version: str,
) -> list[str]:
    """Current, not deleted items of these accounts whose current version has not been checked
    with this pack version and with the analyses its media have now."""
    if not account_ids:
        return []
    rows = con.execute(DUE_SQL, [district_id, account_ids, pack_id, pack_version]).fetchall()
    return [row[0] for row in rows]


def media_keys(con: duckdb.DuckDBPyConnection, post_ids: list[str]) -> dict[str, str]:
    """The media key of each of these posts as of now ('' for a post without media)."""
    stage_keys(con, "_keyed", "post_id", post_ids)
    where = "WHERE pm.post_id IN (SELECT post_id FROM _keyed)"
    found = dict(con.execute(_MEDIA_KEYS.format(where=where)).fetchall())
    return {pid: found.get(pid, "") for pid in post_ids}


@dataclass(frozen=True)
class Checked:
    post_id: str
    version: int
    media_key: str


def mark_checked(
    con: duckdb.DuckDBPyConnection,
    checked: list[Checked],
    pack_id: str,
    pack_version: str,
    analyser_version: str,
    run_id: str,
    now: datetime,
) -> None:
    """Record that these item versions have been run through this pack (same transaction as
    their findings, so a crash leaves both or neither)."""
    if not checked:
        return
    refreshed = ("pack_id", "pack_version", "analyser_version", "media_key", "run_id", "checked_at")
    con.executemany(
        insert_sql(
            "check_state",
            ("post_id", "version", *refreshed),
            "ON CONFLICT (post_id, version) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in refreshed),
        ),
        [
            [
                c.post_id,
                c.version,
                pack_id,
                pack_version,
                analyser_version,
                c.media_key,
                run_id,
                now,
            ]
            for c in checked
        ],
    )


def pending_media(
    con: duckdb.DuckDBPyConnection, district_id: str, analyser_version: str, marks_key: str
) -> list[tuple[str, str]]:
    """(sha256, relative path) of every media file of the district's current items without an
    analysis by this analyser with these marks: never analysed, failed, or stale."""
    rows = con.execute(PENDING_MEDIA_SQL, [district_id, analyser_version, marks_key]).fetchall()
    return [(sha, path) for sha, path in rows]
