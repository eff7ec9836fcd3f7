"""Superintendent and admin routes: district-wide counts, monthly summaries, users, precision.

None of these shows post content or student names: counts, categories and the archived monthly
summary (which is built without names) only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboards.review.precision import WINDOW_DAYS, rule_precision
from dashboards.review.users import ROLES, UserError, add_user, list_users, reset_password
from dashboards.review.users import set_disabled as set_user_disabled
from dashboards.review.web import Refused, ctx_of, guard_post, render, require, see_other

router = APIRouter()


@router.get("/overview")
def overview(request: Request) -> Response:
    require(request, "counts")
    ctx = ctx_of(request)
    district = ctx.config.district.id
    with ctx.snapshot.cursor() as con:
        by_status = con.execute(
            "SELECT status, count(*) FROM findings WHERE district_id = ? GROUP BY 1 ORDER BY 1",
            [district],
        ).fetchall()
        by_check = con.execute(
            "SELECT check_name, level, count(*) FROM findings WHERE district_id = ? AND "
            "status IN ('open', 'escalated') GROUP BY 1, 2 ORDER BY 3 DESC, 1",
            [district],
        ).fetchall()
        per_account = dict(
            con.execute(
                "SELECT account_id, count(*) FROM findings WHERE district_id = ? AND "
                "status IN ('open', 'escalated') GROUP BY 1",
                [district],
            ).fetchall()
        )
        monthly = con.execute(
            "SELECT report_id, period, created_at FROM report_archive WHERE district_id = ? "
            "AND kind = 'monthly' ORDER BY period DESC, created_at DESC LIMIT 24",
            [district],
        ).fetchall()
    names = {s.id: s.name for s in ctx.config.district.schools}
    by_school: dict[str, int] = {}
    for account in ctx.config.accounts:
        label = names.get(account.school or "", "District-wide")
        by_school[label] = by_school.get(label, 0) + int(per_account.get(account.id, 0))
    return render(
        request,
        "overview.html",
        by_status=by_status,
        by_check=by_check,
        by_school=sorted(by_school.items()),
        monthly=monthly,
    )


@router.get("/reports/monthly/{report_id}")
def monthly_report(request: Request, report_id: str) -> Response:
    require(request, "counts")
    ctx = ctx_of(request)
    with ctx.snapshot.cursor() as con:
        row = con.execute(
            "SELECT html FROM report_archive WHERE report_id = ? AND kind = 'monthly' "
            "AND district_id = ?",
            [report_id[:64], ctx.config.district.id],
        ).fetchone()
    if row is None:
        raise Refused(404, "No such monthly summary.")
    # The archived summary is our own rendering; sandboxed anyway so nothing in it can run.
    return HTMLResponse(
        row[0],
        headers={
            "Content-Security-Policy": "sandbox; default-src 'none';"
            " img-src data:; style-src 'unsafe-inline'"
        },
    )


@router.get("/admin/users")
def users_page(request: Request) -> Response:
    require(request, "admin")
    ctx = ctx_of(request)
    return render(
        request,
        "users.html",
        users=list_users(ctx.sidecar),
        roles=ROLES,
        monitors=ctx.config.district.monitors,
        message=request.query_params.get("m", ""),
    )


@router.post("/admin/users")
async def users_change(request: Request) -> Response:
    visitor, form = await guard_post(request, "admin")
    ctx = ctx_of(request)
    op = form.get("op", "")
    username = form.get("username", "").strip().lower()
    try:
        if op == "add":
            monitor = next(
                (m for m in ctx.config.district.monitors if m.email.lower() == username), None
            )
            role = "admin" if form.get("role") == "admin" else (monitor.role if monitor else "")
            if not role:
                raise UserError("an e-mail of a monitor in district.yaml, or the admin role")
            add_user(
                ctx.sidecar,
                username,
                role,
                monitor.id if monitor else None,
                form.get("password") or None,
                actor=visitor.who.username,
            )
        elif op in ("disable", "enable"):
            if username == visitor.who.username:
                raise UserError("you cannot disable yourself")
            set_user_disabled(ctx.sidecar, username, op == "disable", visitor.who.username)
        elif op == "reset":
            reset_password(ctx.sidecar, username, form.get("password", ""), visitor.who.username)
        else:
            raise UserError("unknown operation")
    except UserError as exc:
        return render(
            request,
            "users.html",
            status=400,
            users=list_users(ctx.sidecar),
            roles=ROLES,
            monitors=ctx.config.district.monitors,
            message=str(exc),
        )
    return see_other("/admin/users?m=Done.")


@router.get("/admin/precision")
def precision_page(request: Request) -> Response:
    require(request, "admin")
    ctx = ctx_of(request)
    with ctx.snapshot.cursor() as con:
        rows = rule_precision(con, ctx.config.district.id, ctx.now())
    return render(request, "precision.html", rows=rows, days=WINDOW_DAYS)
