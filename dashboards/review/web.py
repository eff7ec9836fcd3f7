"""What every route shares: the app context, rendering, who is signed in, CSRF, and refusals.

Every page and API call goes through `signed_in` (no session: to the sign-in page), then one of
the role checks; every state-changing request through `guard_post`, which refuses a missing or
wrong CSRF token with 403. A refusal is logged to the audit trail with who asked for what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from dashboards.review import sessions
from dashboards.review.config_watch import ConfigWatch
from dashboards.review.scope import Principal, principal_for
from dashboards.review.sidecar import log_event, transaction
from dashboards.review.snapshot import Snapshot
from dashboards.review.users import get_user
from hallmonitor.config import DistrictConfig


@dataclass
class Context:
    watch: ConfigWatch  # the district configuration, reloaded when its files change
    db_path: Path
    sidecar: Path
    snapshot: Snapshot
    secure_cookies: bool = True
    oidc: Any = None  # oidc.OidcClient when single sign-on is configured
    env: Environment = field(init=False)

    @property
    def config(self) -> DistrictConfig:
        return self.watch.config

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("dashboards.review", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Visitor:
    who: Principal
    session: sessions.Session
    token: str


class Redirect(Exception):
    """Raised to leave a route early with a redirect (e.g. to the sign-in page)."""

    def __init__(self, url: str) -> None:
        self.url = url


class Refused(Exception):
    """Raised to answer with an error page: 403 forbidden, 404, 409 conflict, 400."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    ctx = ctx_of(request)
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    snap = ctx.snapshot.current
    html = ctx.env.get_template(template).render(
        request=request,
        me=visitor.who if visitor else None,
        csrf=visitor.session.csrf if visitor else "",
        district=ctx.config.district,
        snapshot_at=snap.taken_at if snap else None,
        audit_running=ctx.snapshot.busy_since is not None,
        **values,
    )
    return HTMLResponse(html, status_code=status)


def signed_in(request: Request) -> Visitor:
    """The visitor of a valid session whose user still has standing; else to the sign-in page."""
    ctx = ctx_of(request)
    token = request.cookies.get(sessions.COOKIE)
    session = sessions.lookup(ctx.sidecar, token, ctx.now())
    if session is None or token is None:
        raise Redirect("/login")
    user = get_user(ctx.sidecar, session.username)
    who = principal_for(ctx.config, user) if user else None
    if who is None:
        sessions.end(ctx.sidecar, token)
        raise Redirect("/login")
    visitor = Visitor(who, session, token)
    request.state.visitor = visitor
    return visitor


def forbid(request: Request, visitor: Visitor | None, what: str) -> Refused:
    """Log the refusal and return the exception to raise."""
    ctx = ctx_of(request)
    actor = visitor.who.username if visitor else "anonymous"
    with transaction(ctx.sidecar) as con:
        log_event(
            con,
            actor,
            "access.denied",
            "route",
            request.url.path,
            {"method": request.method, "what": what},
        )
    return Refused(403, "You do not have access to this page.")


def require(request: Request, role: str) -> Visitor:
    """Signed in and of the role: monitor (reviews), superintendent (counts), admin (users)."""
    visitor = signed_in(request)
    allowed = {
        "monitor": visitor.who.reviews,
        "counts": visitor.who.sees_counts,
        "admin": visitor.who.manages_users,
    }[role]
    if not allowed:
        raise forbid(request, visitor, f"role {visitor.who.role} is not {role}")
    return visitor


async def guard_post(request: Request, role: str) -> tuple[Visitor, dict[str, str]]:
    """A state-changing request: the role as for `require`, and the session's CSRF token."""
    visitor = require(request, role)
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    given = values.get("csrf") or request.headers.get("x-csrf-token")
    if not sessions.csrf_ok(visitor.session.csrf, given):
        raise forbid(request, visitor, "missing or wrong CSRF token")
    values["_ids"] = ",".join(str(v) for v in form.getlist("ids"))
    return visitor, values


def set_session_cookie(response: Response, ctx: Context, token: str) -> None:
    response.set_cookie(
        sessions.COOKIE,
        token,
        httponly=True,
        secure=ctx.secure_cookies,
        samesite="lax",  # strict would drop the cookie on the way back from the SSO provider
        max_age=int(sessions.ABSOLUTE.total_seconds()),
        path="/",
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
