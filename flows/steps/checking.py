"""Apply the district's rule set to stored items and write the findings.

Targets are rebuilt from the warehouse (not from the fetch) so the nightly run and `recheck` see
exactly the same thing: the current version of each item, with its media and their analyses.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from flows.steps.imaging import image_text_targets, sponsored_images, sponsored_phashes
from hallmonitor.config import DistrictConfig
from rules.base import CheckContext, Target
from warehouse import store
from warehouse.db import connect, stage_keys

TARGET_SQL = """
SELECT p.post_id, p.current_version, p.account_id, p.platform, p.kind, p.permalink, p.text,
       p.published_at, p.title, p.author, p.extra_json
FROM posts p WHERE p.district_id = ? AND p.post_id IN (SELECT post_id FROM _wanted)
"""


def load_targets(
    con: duckdb.DuckDBPyConnection, config: DistrictConfig, post_ids: list[str]
) -> list[Target]:
    if not post_ids:
        return []
    stage_keys(con, "_wanted", "post_id", post_ids)
    media = _media_by_post(con)
    accounts = {a.id: a for a in config.accounts}
    targets = []
    for row in con.execute(TARGET_SQL, [config.district.id]).fetchall():
        (
            pid,
            version,
            account_id,
            platform,
            kind,
            permalink,
            text,
            published,
            title,
            author,
            extra,
        ) = row
        account = accounts.get(account_id)
        if account is None:  # account removed from config since: nothing to judge it against
            continue
        targets.append(
            Target(
                post_id=pid,
                version=version,
                account=account,
                platform=platform,
                kind=kind,
                permalink=permalink,
                text=text or "",
                published_at=published,
                title=title,
                author=author,
                media=media.get(pid, []),
                extra=json.loads(extra) if extra else {},
            )
        )
    return targets


def _media_by_post(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    has_analysis = bool(
        con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'media_analysis'"
        ).fetchone()
    )
    analysis_sql = (
        "(SELECT a.analysis_json FROM media_analysis a WHERE a.sha256 = pm.sha256)"
        if has_analysis
        else "NULL"
    )
    rows = con.execute(
        f"SELECT pm.post_id, pm.url, pm.role, pm.alt, pm.sha256, m.path, {analysis_sql} "
        "FROM post_media pm LEFT JOIN media m USING (sha256) "
        "WHERE pm.post_id IN (SELECT post_id FROM _wanted) ORDER BY pm.post_id, pm.position"
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


@dataclass
class CheckStats:
    targets: int = 0
    findings: int = 0
    new: int = 0
    quarantined: int = 0


def evaluate_posts(
    db_path: Path,
    config: DistrictConfig,
    ruleset: Any,
    post_ids: list[str],
    run_id: str,
    now: datetime,
) -> CheckStats:
    """Run the rule set over the given items and upsert the findings (validated first)."""
    from warehouse.expectations import validate_findings

    stats = CheckStats()
    with connect(db_path, read_only=True) as con:
        targets = load_targets(con, config, post_ids)
        phashes = sponsored_phashes(con, config.district.id)
        sponsored = sponsored_images(con, config.district.id, Path(db_path))
    stats.targets = len(targets)
    ctx = CheckContext(config, now)
    ctx.cached("sponsored_phashes", lambda: phashes)
    ctx.cached("sponsored_images", lambda: sponsored)
    drafts = evaluate_targets(ruleset, targets, ctx)
    stats.findings = len(drafts)
    frame = pd.DataFrame([_flat(d) for d in drafts], columns=list(store.FINDING_FIELDS))
    verdict = validate_findings(frame, now)
    with connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        if not verdict.success:
            store.quarantine(
                con,
                run_id,
                config.district.id,
                None,
                "findings",
                verdict.failures,
                frame.astype(str).to_dict("records"),
                now,
            )
            stats.quarantined = len(drafts)
        else:
            stats.new = store.upsert_findings(con, drafts, run_id, now).new
        con.execute("COMMIT")
    return stats


def evaluate_targets(ruleset: Any, targets: list[Target], ctx: CheckContext) -> list[Any]:
    """The rule set over the targets, then over the text found inside their images. A finding
    from an image's text says so in its evidence and gets its own id (the same student named in
    the caption and in a screenshot are two pieces of evidence)."""
    drafts = list(ruleset.evaluate(targets, ctx))
    for image_target in image_text_targets(targets):
        sha = image_target.extra.get("media_sha256") or ""
        for draft in ruleset.evaluate([image_target], ctx):
            draft.finding_id = hashlib.sha256(
                f"{draft.finding_id}|image|{sha}".encode()
            ).hexdigest()[:24]
            draft.evidence = {
                **draft.evidence,
                "text_source": "image",
                "media_sha256": sha,
                "media_url": image_target.extra.get("media_url"),
            }
            drafts.append(draft)
    return drafts


def _flat(draft: Any) -> dict[str, Any]:
    data = {name: getattr(draft, name) for name in store.FINDING_FIELDS}
    return {
        k: (json.dumps(v, default=str) if isinstance(v, (dict, list)) else v)
        for k, v in data.items()
    }
