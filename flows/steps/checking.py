"""Apply the district's rule set to stored items and write the findings.

Targets are rebuilt from the warehouse (not from the fetch) so the nightly run and `recheck` see
exactly the same thing: the current version of each item, with its media and their analyses.
Which items are checked is decided by what has not been checked yet (warehouse.pending), not by
what this run fetched, so work a crashed run left undone is finished by the next one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from flows.checkpoints import checkpoint
from flows.failures import error_text
from flows.steps.imaging import image_text_targets, sponsored_images, sponsored_phashes
from hallmonitor.config import DistrictConfig
from rules.base import CheckContext, Target
from rules.engine import FindingDraft
from warehouse import store
from warehouse.db import connect
from warehouse.findings import upsert_findings
from warehouse.pending import Checked, due_posts, mark_checked, media_keys
from warehouse.runs import ItemError, record_item_errors, resolve_item_errors


def load_targets(
    con: duckdb.DuckDBPyConnection, config: DistrictConfig, post_ids: list[str]
) -> list[Target]:
    media = store.media_of_items(con, post_ids)
    accounts = {a.id: a for a in config.accounts}
    targets = []
    for item in store.current_items(con, config.district.id, post_ids):
        account = accounts.get(item["account_id"])
        if account is None:  # account removed from config since: nothing to judge it against
            continue
        extra = json.loads(item["extra_json"]) if item["extra_json"] else {}
        targets.append(
            Target(
                post_id=item["post_id"],
                version=item["current_version"],
                account=account,
                platform=item["platform"],
                kind=item["kind"],
                permalink=item["permalink"],
                text=with_quoted(item["text"] or "", extra),
                published_at=item["published_at"],
                title=item["title"],
                author=item["author"],
                media=media.get(item["post_id"], []),
                extra=extra,
            )
        )
    return targets


def with_quoted(text: str, extra: dict[str, Any]) -> str:
    """The item's words followed by those of the post it quotes (Bluesky and Mastodon quote
    posts keep them in `extra.quoted`): a quote puts the other post in front of the account's
    readers, so a record or a slur in it is as visible as one in the account's own words.
    Stored text stays the item's own; only what the checks read gains the quoted words."""
    quoted = extra.get("quoted")
    words = quoted.get("text") if isinstance(quoted, dict) else None
    if not isinstance(words, str) or not words.strip() or words.strip() in text:
        return text
    return f"{text}\n\n{words.strip()}" if text.strip() else words.strip()


CHECK_BATCH = 200  # items per transaction: a kill loses at most one batch of checking


@dataclass
class CheckStats:
    targets: int = 0
    findings: int = 0
    new: int = 0
    quarantined: int = 0
    errors: int = 0  # items whose checks raised: recorded in item_errors, checked again next run


def check_pending(
    db_path: Path,
    config: DistrictConfig,
    ruleset: Any,
    run_id: str,
    now: datetime,
) -> CheckStats:
    """Run the rule set over every item not yet checked with it (warehouse.pending: whoever left
    it unchecked, this run or a crashed one) and upsert the findings, batch by batch. Each batch
    writes its findings and its items' check state in one transaction."""
    district_id = config.district.id
    with connect(db_path, read_only=True) as con:
        due = due_posts(
            con, district_id, [a.id for a in config.accounts], ruleset.pack.id, ruleset.pack.version
        )
        ctx = check_context(con, config, db_path, now)
    stats = CheckStats()
    for start in range(0, len(due), CHECK_BATCH):
        _check_batch(db_path, config, ruleset, due[start : start + CHECK_BATCH], ctx, run_id, stats)
    return stats


def _check_batch(
    db_path: Path,
    config: DistrictConfig,
    ruleset: Any,
    post_ids: list[str],
    ctx: CheckContext,
    run_id: str,
    stats: CheckStats,
) -> None:
    from rules.detect.media_pipeline import ANALYSER_VERSION
    from warehouse.expectations import validate_findings

    now, district_id = ctx.now, config.district.id
    with connect(db_path, read_only=True) as con:
        targets = load_targets(con, config, post_ids)
        keys = media_keys(con, post_ids)
    drafts, errors = evaluate_isolated(ruleset, targets, ctx, config)
    failed = {e.subject_id for e in errors}
    checked = [
        Checked(t.post_id, t.version, keys[t.post_id]) for t in targets if t.post_id not in failed
    ]
    stats.targets += len(targets)
    stats.findings += len(drafts)
    stats.errors += len(errors)
    frame = findings_frame(drafts)
    verdict = validate_findings(frame, now) if drafts else None
    checkpoint("checking")
    with connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        if verdict is not None and not verdict.success:
            # Left unchecked: the batch is quarantined again next run until the rules are fixed.
            rows = frame.astype(str).to_dict("records")
            store.quarantine(
                con, run_id, district_id, None, "findings", verdict.failures, rows, now
            )
            stats.quarantined += len(drafts)
        else:
            stats.new += upsert_findings(con, drafts, run_id, now).new
            pack = ruleset.pack
            mark_checked(con, checked, pack.id, pack.version, ANALYSER_VERSION, run_id, now)
            resolve_item_errors(con, district_id, "check", [c.post_id for c in checked], now)
        record_item_errors(con, run_id, district_id, errors, now)
        con.execute("COMMIT")


def check_context(
    con: duckdb.DuckDBPyConnection, config: DistrictConfig, db_path: Path, now: datetime
) -> CheckContext:
    """What every check run is given besides the posts: the sponsored accounts' image hashes and
    images, so a re-share of district content is verified by its pixels (rules.detect.reshare)."""
    phashes = sponsored_phashes(con, config.district.id)
    sponsored = sponsored_images(con, config.district.id, Path(db_path))
    ctx = CheckContext(config, now)
    ctx.cached("sponsored_phashes", lambda: phashes)
    ctx.cached("sponsored_images", lambda: sponsored)
    return ctx


def evaluate_isolated(
    ruleset: Any, targets: list[Target], ctx: CheckContext, config: DistrictConfig
) -> tuple[list[FindingDraft], list[ItemError]]:
    """`evaluate_targets`, but one item whose checks raise becomes an ItemError instead of the
    end of the run. The batch is tried whole first (batched checks prepare once per batch); only
    if it raises is it evaluated item by item, to find which ones."""
    try:
        return evaluate_targets(ruleset, targets, ctx), []
    except Exception:  # noqa: BLE001 - find the failing items below; the rest are judged normally
        pass
    drafts: list[FindingDraft] = []
    errors: list[ItemError] = []
    for target in targets:
        try:
            drafts += evaluate_targets(ruleset, [target], ctx)
        except Exception as exc:  # noqa: BLE001 - one post must not end the night: recorded
            errors.append(
                ItemError(
                    "check",
                    "post",
                    target.post_id,
                    target.account.id,
                    type(exc).__name__,
                    error_text(exc, config),
                )
            )
    return drafts, errors


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


def findings_frame(drafts: list[FindingDraft]) -> pd.DataFrame:
    """The drafts as the findings expectation suite reads them: one column per draft field, the
    nested ones (citation, evidence) as JSON text."""
    names = [f.name for f in fields(FindingDraft)]
    rows = [
        {
            name: (json.dumps(value, default=str) if isinstance(value, dict | list) else value)
            for name, value in ((n, getattr(d, n)) for n in names)
        }
        for d in drafts
    ]
    return pd.DataFrame(rows, columns=names)
