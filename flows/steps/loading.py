"""Load one account's fetch outcome into the warehouse: validate the batch, upsert items and
media, advance the cursor, and record coverage and the access log, all in one transaction."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from connectors.errors import Reason
from connectors.http import AccessRecord
from flows.steps.fetching import FetchOutcome, next_cursor_state
from hallmonitor.config import Account, DistrictConfig
from warehouse import runs, store
from warehouse.db import connect


def batch_frame(district_id: str, account: Account, outcome: FetchOutcome) -> pd.DataFrame:
    """The batch as the data-quality suite sees it (one row per fetched item)."""
    return pd.DataFrame(
        [
            {
                "district_id": district_id,
                "account_id": account.id,
                "platform": account.platform,
                "native_id": i.native_id,
                "kind": i.kind,
                "permalink": i.permalink,
                "published_at": i.published_at,
                "text": i.text,
            }
            for i in outcome.items
        ],
        columns=[
            "district_id",
            "account_id",
            "platform",
            "native_id",
            "kind",
            "permalink",
            "published_at",
            "text",
        ],
    )


def load_outcome(
    db_path: Path,
    run_id: str,
    config: DistrictConfig,
    account: Account,
    outcome: FetchOutcome,
    access: list[AccessRecord],
    now: datetime,
) -> tuple[runs.Coverage, list[str]]:
    """Returns the account's coverage row and the post ids with a new version this run."""
    from warehouse.expectations import validate_posts

    district_id = config.district.id
    coverage = runs.Coverage(
        account.id,
        "complete",
        # Refused URLs are in the access log too (the audit trail) but were never sent.
        requests=sum(1 for record in access if not record.outcome.startswith("refused")),
        items_fetched=len(outcome.items),
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
    )
    touched: list[str] = []
    verdict = (
        validate_posts(batch_frame(district_id, account, outcome), now) if outcome.ok else None
    )
    with connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        store.record_access(con, run_id, district_id, access)
        if not outcome.ok:
            coverage.status, coverage.reason, coverage.error = "gap", outcome.reason, outcome.error
        elif verdict is not None and not verdict.success:
            coverage.status, coverage.reason = "quarantined", Reason.DATA_QUALITY
            coverage.error = "; ".join(
                f"{f['expectation']} on {f['column']}" for f in verdict.failures
            )
            rows = batch_frame(district_id, account, outcome).astype(str).to_dict("records")
            store.quarantine(
                con, run_id, district_id, account.id, "posts", verdict.failures, rows, now
            )
        else:
            shas = {m.url: m.sha256 for m in outcome.media if m.sha256}
            urls = sorted({ref.url for item in outcome.items for ref in item.media} - set(shas))
            shas.update(store.media_shas_for(con, urls))
            evidence = store.DeletionEvidence(outcome.complete_how, outcome.gone)
            stats = store.store_items(
                con, run_id, district_id, account, outcome.items, outcome.complete_since, now, shas,
                evidence,
            )
            if outcome.cut_short:  # stored what was read, but the night missed the rest
                coverage.status, coverage.reason = "partial", outcome.cut_short
                coverage.error = "; ".join(outcome.notes[-3:]) or None
            coverage.media_new = store.record_media(con, outcome.media, now)
            coverage.items_new, coverage.items_changed = stats.new, stats.changed
            coverage.items_deleted = stats.deleted
            touched = stats.touched
            old = store.load_cursor(con, district_id, account.id)
            store.save_cursor(
                con, district_id, account.id, next_cursor_state(old, outcome, now), now
            )
        runs.record_coverage(con, run_id, district_id, coverage)
        con.execute("COMMIT")
    return coverage, touched
