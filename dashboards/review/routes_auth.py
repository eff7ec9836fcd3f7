"""Sign-in with a password, sign-out. (Single sign-on: routes_oidc.py.)

The sign-in form has no session yet, so its CSRF token is a double-submit pair: a random value in
a short-lived cookie and the same value in the form. A sign-in never says whether the user exists.
Back-off applies twice: per user (users.py) and per client address (throttle.py, against password
spraying); the address is checked first, before any password is looked at.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from dashboards.review import sessions, throttle
from dashboards.review.scope import principal_for
from dashboards.review.sidecar import log_event, transaction
from dashboards.review.users import authenticate
from dashboards.review.web import ctx_of, forbid, render, see_other, set_session_cookie, signed_in

router = APIRouter()
LOGIN_COOKIE = "hm_login"
MESSAGES = {
    "bad": "That e-mail and password do not match an active user.",
    "disabled": "That e-mail and password do not match an active user.",
    "wait": "Too many failed attempts: wait {n} seconds and try again.",
    "locked": "Too many failed attempts: this user is locked for {n} seconds, or until an "
    "administrator resets the password.",
    "address": "Too many failed sign-ins from your network: wait {n} seconds and try again.",
}


def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
    ctx = ctx_of(request)
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        message=message,
        sso=ctx.oidc is not None,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        secure=ctx.secure_cookies,
        samesite="strict",
        max_age=1800,
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not sessions.csrf_ok(expected, str(form.get("csrf") or "")):
        raise forbid(request, None, "sign-in without its CSRF token")
    username = str(form.get("username") or "").strip().lower()[:200]
    password = str(form.get("password") or "")[:1000]
    ip = request.client.host if request.client else None
    address = throttle.address_key(ip)
    now = ctx.now()
    wait, attempts = await run_in_threadpool(throttle.admit, ctx.sidecar, address, now)
    if wait:
        with transaction(ctx.sidecar) as con:
            detail = {"via": "password", "ip": ip, "address": address, "retry_after": wait}
            log_event(con, username or "-", "signin.address_wait", "user", username, detail)
        return _login_page(request, MESSAGES["address"].format(n=wait), 429)
    result = await run_in_threadpool(authenticate, ctx.sidecar, username, password, now)
    who = principal_for(ctx.config, result.user) if result.user else None
    if result.user is not None and who is None:
        result_reason = "bad"  # a user with no standing in district.yaml signs in nowhere
    else:
        result_reason = result.reason
    with transaction(ctx.sidecar) as con:
        action = "signin.ok" if who else f"signin.{result_reason}"
        log_event(con, username or "-", action, "user", username, {"via": "password", "ip": ip})
        if who is not None or result_reason != "bad":  # not a failed password: uncount it
            throttle.forgive(con, address)
        elif attempts == throttle.ADDRESS_BACKOFF_AFTER:
            detail = {"failures": attempts, "ip": ip}
            log_event(con, "hallmonitor", "address.throttled", "address", address, detail)
    if who is None:
        message = MESSAGES.get(result_reason, MESSAGES["bad"]).format(n=result.retry_after)
        status = 429 if result_reason in ("wait", "locked") else 401
        return _login_page(request, message, status)
    token, _ = sessions.start(ctx.sidecar, who.username, "password", ctx.now())
    response = see_other("/")
    set_session_cookie(response, ctx, token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    ctx = ctx_of(request)
    visitor = signed_in(request)
    form = await request.form()
    if not sessions.csrf_ok(visitor.session.csrf, str(form.get("csrf") or "")):
        raise forbid(request, visitor, "sign-out without its CSRF token")
    sessions.end(ctx.sidecar, visitor.token)
    with transaction(ctx.sidecar) as con:
        log_event(con, visitor.who.username, "signout", "user", visitor.who.username)
    response = see_other("/login")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request) -> Response:
    visitor = signed_in(request)
    if visitor.who.reviews:
        return see_other("/queue")
    if visitor.who.role == "superintendent":
        return see_other("/overview")
    return see_other("/admin/users")
