"""Live precision: how often each rule was right on this district's own accounts.

For every finding decided in the window (its latest decision), confirmed counts as right and
dismissed as "not a violation / false detection" as wrong; other dismissals (consent on file,
duplicate, ...) say nothing about the detector and are left out. The monthly summary can call
`rule_precision` on the warehouse; the admin page calls it on the app's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

WINDOW_DAYS = 90


@dataclass(frozen=True)
class RulePrecision:
    rule_id: str
    check_name: str
    confirmed: int
    false_detections: int

    @property
    def decided(self) -> int:
        return self.confirmed + self.false_detections

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None


SQL = """
WITH last_decision AS (
    SELECT finding_id, max(decided_at) AS decided_at FROM reviews GROUP BY finding_id
)
SELECT f.rule_id, any_value(f.check_name),
       count(*) FILTER (WHERE f.status = 'confirmed'),
       count(*) FILTER (WHERE f.status = 'dismissed' AND f.status_reason = 'false_detection')
FROM findings f JOIN last_decision d USING (finding_id)
WHERE f.district_id = ? AND d.decided_at >= ? AND d.decided_at < ?
GROUP BY f.rule_id ORDER BY f.rule_id
"""


def rule_precision(
    con: duckdb.DuckDBPyConnection, district_id: str, until: datetime, days: int = WINDOW_DAYS
) -> list[RulePrecision]:
    """Per rule: confirmed and false-detection counts of findings decided in the window."""
    rows = con.execute(SQL, [district_id, until - timedelta(days=days), until]).fetchall()
    return [RulePrecision(r[0], r[1], int(r[2]), int(r[3])) for r in rows if r[2] or r[3]]
