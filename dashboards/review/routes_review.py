"""The monitor's routes: queue, finding page, decisions, claims, media, CSV export, JSON API.

Scope is checked here on every request against the finding's account (never trusted from the
URL or the form): a finding outside the monitor's schools is a logged 403, whichever route asks.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from dashboards.review.decisions import (
    DISMISS_REASONS,
    DecisionError,
    claim,
    claims_for,
    decide,
)
from dashboards.review.finding import load_detail, load_finding, media_path
from dashboards.review.queue import Filters, load_page, neighbours
from dashboards.review.scope import principal_for
from dashboards.review.sidecar import log_event, transaction
from dashboards.review.users import get_user
from dashboards.review.web import (
    Refused,
    Visitor,
    ctx_of,
    forbid,
    guard_post,
    render,
    require,
    see_other,
)
from warehouse.db import media_dir

router = APIRouter()
BULK_ACTIONS = ("confirm", "dismiss", "escalate")


def _scoped(request: Request, visitor: Visitor, finding_id: str) -> dict[str, Any]:
    """The finding, if it exists and its account is in the visitor's scope; else 404 / 403."""
    with ctx_of(request).snapshot.cursor() as con:
        finding = load_finding(con, finding_id[:64])
    if finding is None:
        raise Refused(404, "No such finding.")
    if finding["district_id"] != ctx_of(request).config.district.id or not (
        visitor.who.may_see_account(finding["account_id"])
    ):
        raise forbid(request, visitor, f"finding {finding_id} outside scope")
    return finding


def _log(request: Request, visitor: Visitor, action: str, object_id: str, **detail: Any) -> None:
    with transaction(ctx_of(request).sidecar) as con:
        log_event(con, visitor.who.username, action, "finding", object_id, detail)


@router.get("/queue")
def queue(request: Request) -> Response:
    visitor = require(request, "monitor")
    ctx = ctx_of(request)
    filters = Filters.from_query(dict(request.query_params))
    with ctx.snapshot.cursor() as con:
        page = load_page(con, ctx.config, visitor.who, filters)
    claimed = claims_for(ctx.sidecar, [r.finding_id for r in page.rows])
    for row in page.rows:
        row.claimed_by = claimed[row.finding_id].username if row.finding_id in claimed else None
    schools = [
        s
        for s in ctx.config.district.schools
        if visitor.who.schools is None or s.id in visitor.who.schools
    ]
    accounts = [a for a in ctx.config.accounts if a.id in visitor.who.accounts]
    return render(
        request,
        "queue.html",
        page=page,
        filters=filters,
        schools=schools,
        accounts=accounts,
        reasons=DISMISS_REASONS,
    )


@router.post("/queue/bulk")
async def bulk(request: Request) -> Response:
    """First post: a confirmation page listing the selection. Second (confirmed=yes): apply."""
    visitor, form = await guard_post(request, "monitor")
    ctx = ctx_of(request)
    action = form.get("action", "")
    ids = [i for i in form["_ids"].split(",") if i][:200]
    if action not in BULK_ACTIONS or not ids:
        raise Refused(400, "Choose findings and an action.")
    findings = [_scoped(request, visitor, i) for i in ids]
    if form.get("confirmed") != "yes":
        return render(
            request,
            "bulk_confirm.html",
            action=action,
            findings=findings,
            reasons=DISMISS_REASONS,
            back=form.get("back", "/queue"),
        )
    done, failed = 0, []
    for finding in findings:
        try:
            decide(
                ctx.sidecar,
                visitor.who,
                finding["finding_id"],
                finding["status"],
                action,
                reason=form.get("reason"),
                note=form.get("note", ""),
                post_version=finding["post_version"],
            )
            done += 1
        except DecisionError as exc:
            failed.append((finding["finding_id"], str(exc)))
    ctx.snapshot.merge_now()
    if failed and not done:
        raise Refused(400, "; ".join(f"{i}: {m}" for i, m in failed[:5]))
    back = form.get("back", "/queue")
    return see_other(back if back.startswith("/queue") else "/queue")


@router.get("/findings/{finding_id}")
def finding_page(request: Request, finding_id: str) -> Response:
    visitor = require(request, "monitor")
    ctx = ctx_of(request)
    finding = _scoped(request, visitor, finding_id)
    back = request.query_params.get("back", "/queue")
    back = back if back.startswith("/queue") else "/queue"
    filters = Filters.from_query(dict(parse_qsl(urlsplit(back).query)))
    with ctx.snapshot.cursor() as con:
        detail = load_detail(con, finding)
        previous, following = neighbours(con, ctx.config, visitor.who, filters, finding)
    _log(request, visitor, "finding.viewed", finding_id)
    account = next((a for a in ctx.config.accounts if a.id == finding["account_id"]), None)
    claim_ = claims_for(ctx.sidecar, [finding_id]).get(finding_id)
    return render(
        request,
        "finding.html",
        d=detail,
        f=finding,
        account=account,
        claim=claim_,
        reasons=DISMISS_REASONS,
        back=back,
        previous=previous,
        following=following,
    )


@router.post("/findings/{finding_id}/decide")
async def decide_route(request: Request, finding_id: str) -> Response:
    visitor, form = await guard_post(request, "monitor")
    ctx = ctx_of(request)
    finding = _scoped(request, visitor, finding_id)
    try:
        decide(
            ctx.sidecar,
            visitor.who,
            finding_id,
            finding["status"],
            form.get("action", ""),
            reason=form.get("reason") or None,
            note=form.get("note", ""),
            post_version=finding["post_version"],
        )
    except DecisionError as exc:
        raise Refused(exc.status, str(exc)) from exc
    ctx.snapshot.merge_now()
    nxt = form.get("next", "")
    if nxt and nxt != finding_id:
        return see_other(f"/findings/{nxt}")
    return see_other(f"/findings/{finding_id}")


@router.post("/findings/{finding_id}/claim")
async def claim_route(request: Request, finding_id: str) -> Response:
    visitor, form = await guard_post(request, "monitor")
    ctx = ctx_of(request)
    finding = _scoped(request, visitor, finding_id)
    assignee = form.get("assignee", "").strip() or None
    if assignee:
        user = get_user(ctx.sidecar, assignee)
        other = principal_for(ctx.config, user) if user else None
        if other is None or not other.may_see_account(finding["account_id"]):
            raise Refused(400, "That user cannot review this finding.")
    try:
        claim(ctx.sidecar, visitor.who, finding_id, assignee)
    except DecisionError as exc:
        raise Refused(exc.status, str(exc)) from exc
    return see_other(f"/findings/{finding_id}")


@router.get("/findings/{finding_id}/media/{sha256}")
def media(request: Request, finding_id: str, sha256: str) -> Response:
    visitor = require(request, "monitor")
    ctx = ctx_of(request)
    finding = _scoped(request, visitor, finding_id)
    with ctx.snapshot.cursor() as con:
        belongs = con.execute(
            "SELECT 1 FROM post_media WHERE post_id = ? AND sha256 = ?",
            [finding["post_id"], sha256],
        ).fetchone()
        relative = media_path(con, sha256) if belongs else None
    if relative is None:
        raise Refused(404, "No such image for this finding.")
    root = media_dir(ctx.db_path).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise Refused(404, "The image file is missing from the media store.")
    # Served as an image, never sniffed into HTML; private: no shared cache keeps it.
    return FileResponse(
        path, media_type=_image_type(path), headers={"Cache-Control": "private, max-age=300"}
    )


def _image_type(path: Any) -> str:
    head = path.read_bytes()[:12]
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:3] == b"GIF":
        return "image/gif"
    return "application/octet-stream"


EXPORT_COLUMNS = (
    "finding_id",
    "first_seen",
    "severity",
    "level",
    "check_name",
    "rule_id",
    "status",
    "account_id",
    "account_name",
    "school",
    "summary",
)


@router.get("/export.csv")
def export_csv(request: Request) -> Response:
    """The queue's filtered rows (every page) as CSV, within the monitor's scope only."""
    visitor = require(request, "monitor")
    ctx = ctx_of(request)
    filters = Filters.from_query(dict(request.query_params))
    if filters.account and filters.account not in visitor.who.accounts:
        raise forbid(request, visitor, f"export of account {filters.account} outside scope")
    if (
        filters.school
        and visitor.who.schools is not None
        and (filters.school not in visitor.who.schools)
    ):
        raise forbid(request, visitor, f"export of school {filters.school} outside scope")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    with ctx.snapshot.cursor() as con:
        while True:
            page = load_page(con, ctx.config, visitor.who, filters)
            for r in page.rows:
                writer.writerow([_cell(getattr(r, c)) for c in EXPORT_COLUMNS])
            rows += len(page.rows)
            if not page.next_after or rows >= 20000:
                break
            filters = Filters(**{**filters.__dict__, "after": page.next_after})
    _log(request, visitor, "findings.exported", "queue", rows=rows, query=str(request.url.query))
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="findings.csv"'},
    )


def _cell(value: Any) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/api/findings/{finding_id}")
def api_finding(request: Request, finding_id: str) -> Response:
    visitor = require(request, "monitor")
    finding = _scoped(request, visitor, finding_id)
    _log(request, visitor, "finding.viewed", finding_id, via="api")
    return JSONResponse(
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in finding.items()}
    )


@router.get("/api/queue")
def api_queue(request: Request) -> Response:
    visitor = require(request, "monitor")
    ctx = ctx_of(request)
    filters = Filters.from_query(dict(request.query_params))
    with ctx.snapshot.cursor() as con:
        page = load_page(con, ctx.config, visitor.who, filters)
    return JSONResponse(
        {
            "findings": [
                {
                    "finding_id": r.finding_id,
                    "severity": r.severity,
                    "level": r.level,
                    "check": r.check_name,
                    "status": r.status,
                    "account": r.account_id,
                    "first_seen": r.first_seen.isoformat(),
                }
                for r in page.rows
            ],
            "next": page.next_after,
            "counts": page.counts,
        }
    )
