"""Single sign-on routes: /login/oidc sends the browser to the provider, /oidc/callback returns.

The signed-in e-mail must be a monitor's in district.yaml; the first sign-in creates an SSO-only
user for it (no password), so an admin can still disable it like any other user.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from requests import RequestException

from dashboards.review import sessions
from dashboards.review.oidc import OidcError
from dashboards.review.scope import monitor_by_email
from dashboards.review.sidecar import log_event, transaction
from dashboards.review.users import add_user, get_user
from dashboards.review.web import Refused, ctx_of, forbid, see_other, set_session_cookie

router = APIRouter()
STATE_COOKIE = "hm_oidc"


@router.get("/login/oidc")
async def oidc_start(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        url, state = await run_in_threadpool(ctx.oidc.start, ctx.sidecar, ctx.now())
    except RequestException as exc:
        raise Refused(503, "The sign-in provider cannot be reached; try again later.") from exc
    response = see_other(url)
    # Lax, not strict: the provider's redirect back is a cross-site top-level navigation.
    response.set_cookie(
        STATE_COOKIE,
        state,
        httponly=True,
        secure=ctx.secure_cookies,
        samesite="lax",
        max_age=600,
        path="/oidc",
    )
    return response


@router.get("/oidc/callback")
async def oidc_callback(request: Request) -> Response:
    ctx = ctx_of(request)
    state = request.query_params.get("state", "")
    code = request.query_params.get("code", "")
    bound = request.cookies.get(STATE_COOKIE, "")
    if not state or not code or not bound or not hmac.compare_digest(state, bound):
        raise forbid(request, None, "SSO callback without the state this browser started")
    try:
        claims = await run_in_threadpool(ctx.oidc.finish, ctx.sidecar, state, code, ctx.now())
    except OidcError as exc:
        raise Refused(400, str(exc)) from exc
    except RequestException as exc:
        raise Refused(503, "The sign-in provider cannot be reached; try again later.") from exc
    email = str(claims.get("email") or "").strip().lower()
    monitor = monitor_by_email(ctx.config, email) if email else None
    if not email or claims.get("email_verified") is False or monitor is None:
        with transaction(ctx.sidecar) as con:
            log_event(
                con, email or "-", "signin.sso_refused", "user", email, {"sub": claims.get("sub")}
            )
        raise Refused(403, "Your account is not a monitor of this district.")
    user = get_user(ctx.sidecar, email)
    if user is None:
        user = add_user(ctx.sidecar, email, monitor.role, monitor.id, None, actor="sso")
    if user.disabled:
        raise Refused(403, "Your account is disabled.")
    token, _ = sessions.start(ctx.sidecar, email, "oidc", ctx.now())
    with transaction(ctx.sidecar) as con:
        log_event(con, email, "signin.ok", "user", email, {"via": "oidc", "sub": claims.get("sub")})
    response = see_other("/")
    set_session_cookie(response, ctx, token)
    response.delete_cookie(STATE_COOKIE, path="/oidc")
    return response
