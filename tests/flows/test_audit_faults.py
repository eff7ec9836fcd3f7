"""Bad batches and failing platforms at flow level: quarantined or recorded as gaps, the rest of
the audit completes, and a re-run after the fault clears completes it with no duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from demo.sample_server import DemoSite, Entry, prepare_district
from flows.audit import nightly_audit

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)


def _q(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_failing_batch_is_quarantined_and_a_cleared_fault_completes_without_duplicates(
    tmp_path: Path,
) -> None:
    with DemoSite(NOW) as site:
        district = prepare_district(tmp_path, site.base_url, NOW)
        with (district / "accounts.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"""  - id: late-feed
    kind: sponsored
    platform: rss
    locator: "{site.base_url}/late/feed.xml"
    responsible: E104
""")
        # A post dated a month in the future: the data-quality suite must refuse the batch.
        site.add(
            "/brown/feed.xml",
            Entry("brown-9", "From the future", "<p>Time travel</p>", NOW + timedelta(days=30)),
        )
        db = tmp_path / "w.duckdb"
        first = nightly_audit(str(district), str(db), now=NOW.isoformat(), trigger="test")

        coverage = dict(
            _q(db, f"SELECT account_id, status FROM coverage WHERE run_id = '{first['run_id']}'")
        )
        assert coverage["brown-blog"] == "quarantined"
        assert coverage["late-feed"] == "gap"  # 404: the feed is not there yet
        assert coverage["pvhs-athletics"] == "complete"
        quarantined = _q(db, "SELECT account_id, failed_json FROM quarantine")
        assert (
            quarantined
            and quarantined[0][0] == "brown-blog"
            and "published_at" in quarantined[0][1]
        )
        assert _q(db, "SELECT count(*) FROM posts WHERE account_id = 'brown-blog'")[0][0] == 0

        # The faults clear: the future post is corrected and the missing feed appears.
        site.remove("/brown/feed.xml", "brown-9")
        site.entries["/late/feed.xml"] = [
            Entry("late-1", "Hello", "<p>Now online.</p>", NOW - timedelta(hours=3))
        ]
        second = nightly_audit(
            str(district), str(db), now=(NOW + timedelta(hours=1)).isoformat(), trigger="test"
        )
        third = nightly_audit(
            str(district), str(db), now=(NOW + timedelta(hours=2)).isoformat(), trigger="test"
        )

    assert second["gaps"] == [] and second["fetched"] == 5
    counts = dict(_q(db, "SELECT account_id, count(*) FROM posts GROUP BY 1"))
    assert counts["brown-blog"] == 5 and counts["late-feed"] == 1
    assert (
        _q(
            db,
            "SELECT count(*) FROM (SELECT account_id, native_id FROM posts GROUP BY 1, 2 "
            "HAVING count(*) > 1)",
        )[0][0]
        == 0
    )
    assert (third["items_new"], third["findings_new"]) == (0, 0)
