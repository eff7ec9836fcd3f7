"""Decisions on findings: claim and assign, confirm, dismiss (with a reason), escalate, reopen.

A decision is one append-only row in the sidecar plus an audit event, written in one
transaction; the snapshot is then merged so the monitor sees it at once (merge.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dashboards.review.scope import Principal
from dashboards.review.sidecar import log_event, now_text, open_sidecar, transaction

DISMISS_REASONS = {
    "false_detection": "Not a violation / false detection",
    "consent_on_file": "Permission or consent is on file",
    "already_removed": "Already removed or corrected by the account",
    "duplicate": "Duplicate of another finding",
    "not_district": "Not a district account or not in scope",
    "other": "Other (see note)",
}
# From which statuses each action may be taken. Escalated items are decided by the second level.
ALLOWED_FROM = {
    "confirm": ("open", "escalated"),
    "dismiss": ("open", "escalated"),
    "escalate": ("open",),
    "reopen": ("confirmed", "dismissed", "escalated"),
}


class DecisionError(Exception):
    """A decision that cannot be taken; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Claim:
    username: str
    claimed_by: str
    claimed_at: str


def claims_for(sidecar: Path, finding_ids: list[str]) -> dict[str, Claim]:
    if not finding_ids:
        return {}
    marks = ",".join("?" * len(finding_ids))
    with open_sidecar(sidecar) as con:
        rows = con.execute(
            f"SELECT * FROM claims WHERE finding_id IN ({marks})", finding_ids
        ).fetchall()
    return {r["finding_id"]: Claim(r["username"], r["claimed_by"], r["claimed_at"]) for r in rows}


def claim(sidecar: Path, who: Principal, finding_id: str, assignee: str | None = None) -> None:
    """Claim for oneself, or assign to another user (who must be able to see the finding)."""
    target = (assignee or who.username).strip().lower()
    with transaction(sidecar) as con:
        row = con.execute("SELECT * FROM claims WHERE finding_id = ?", [finding_id]).fetchone()
        if row and row["username"] not in (who.username, target) and not assignee:
            raise DecisionError(f"already claimed by {row['username']}", 409)
        con.execute("DELETE FROM claims WHERE finding_id = ?", [finding_id])
        con.execute(
            "INSERT INTO claims VALUES (?, ?, ?, ?)", [finding_id, target, who.username, now_text()]
        )
        action = "finding.assigned" if target != who.username else "finding.claimed"
        log_event(con, who.username, action, "finding", finding_id, {"to": target})


def decide(
    sidecar: Path,
    who: Principal,
    finding_id: str,
    status: str,
    action: str,
    *,
    reason: str | None = None,
    note: str = "",
    post_version: int | None = None,
    at: datetime | None = None,
) -> None:
    """Record one decision; `status` is the finding's status as the monitor saw it."""
    if action not in ALLOWED_FROM:
        raise DecisionError(f"unknown action {action!r}")
    if status not in ALLOWED_FROM[action]:
        raise DecisionError(f"cannot {action} a finding that is {status}", 409)
    note = note.strip()[:2000]
    if action == "dismiss" and reason not in DISMISS_REASONS:
        raise DecisionError("choose a reason for dismissing")
    if action == "dismiss" and reason == "other" and not note:
        raise DecisionError("say why in the note")
    if action in ("escalate", "reopen") and not note:
        raise DecisionError(f"a note is needed to {action}")
    with transaction(sidecar) as con:
        row = con.execute(
            "SELECT username FROM claims WHERE finding_id = ?", [finding_id]
        ).fetchone()
        if row and row["username"] != who.username:
            raise DecisionError(f"claimed by {row['username']}", 409)
        con.execute(
            "INSERT INTO decisions (finding_id, action, reason, note, username, decided_at, "
            "post_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                finding_id,
                action,
                reason if action == "dismiss" else None,
                note or None,
                who.username,
                now_text(at),
                post_version,
            ],
        )
        if action != "escalate":
            con.execute("DELETE FROM claims WHERE finding_id = ?", [finding_id])
        log_event(
            con,
            who.username,
            f"finding.{action}",
            "finding",
            finding_id,
            {"reason": reason, "note": bool(note)},
            at,
        )
