"""The review app: a FastAPI server rendering Jinja2 pages (autoescaped), no build step.

`create_app` wires the context (configuration, the sidecar store, the warehouse snapshot), the
routes, the error pages and the security headers. Pages never load anything from another origin:
the style sheet and the small keyboard script are served from /static.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from dashboards.review import routes_admin, routes_auth, routes_review
from dashboards.review.config_watch import ConfigWatch
from dashboards.review.sidecar import ensure_schema, sidecar_path
from dashboards.review.snapshot import Refresher, Snapshot, SnapshotUnavailable
from dashboards.review.web import Context, Redirect, Refused, render, see_other
from hallmonitor.config import DistrictConfig

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(
    config: DistrictConfig,
    db_path: str | Path,
    *,
    secure_cookies: bool = True,
    refresh_seconds: float = 30.0,
    oidc: Any = None,
    reload_config: Callable[[], DistrictConfig] | None = None,
    config_check_seconds: float = 1.0,
) -> FastAPI:
    """The app. `reload_config` loads the district directory again (flows.district.load_district
    bound to it): given, a change to its files applies from the next request (config_watch.py)."""
    db = Path(db_path)
    sidecar = sidecar_path(db)
    ensure_schema(sidecar)
    snapshot = Snapshot(db, sidecar)
    watch = ConfigWatch(config, reload_config, sidecar, config_check_seconds)
    ctx = Context(watch, db, sidecar, snapshot, secure_cookies, oidc)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        snapshot.refresh()
        refresher = Refresher(snapshot, refresh_seconds)
        refresher.start()
        try:
            yield
        finally:
            refresher.stop()
            snapshot.close()

    app = FastAPI(
        title="Hallmonitor review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    static = resources.files("dashboards.review") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(routes_auth.router)
    app.include_router(routes_review.router)
    app.include_router(routes_admin.router)
    if oidc is not None:
        from dashboards.review import routes_oidc

        app.include_router(routes_oidc.router)

    @app.exception_handler(Redirect)
    async def _redirect(request: Request, exc: Redirect) -> Response:
        return see_other(exc.url)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return render(
            request, "error.html", status=exc.status, status_code=exc.status, message=exc.message
        )

    @app.exception_handler(SnapshotUnavailable)
    async def _unavailable(request: Request, exc: SnapshotUnavailable) -> Response:
        response = render(
            request,
            "error.html",
            status=503,
            status_code=503,
            message="The nightly audit holds the warehouse and this app has no "
            "copy of it yet. This page reloads itself in a minute.",
        )
        response.headers["Retry-After"] = "60"
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        current = snapshot.current
        return {
            "snapshot_at": current.taken_at.isoformat() if current else None,
            "audit_running": snapshot.busy_since is not None,
            "copies_put_off": snapshot.busy_count,
            "copies": snapshot.copies,
            "last_copy_ms": round(snapshot.last_copy_ms, 1),
            "last_refresh_ms": round(snapshot.last_refresh_ms, 1),
            "config_reloads": watch.reloads,
            "config_error": watch.error is not None,
        }

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        await run_in_threadpool(watch.check)  # a few stat calls; reloads if the files changed
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith("/static"):  # media routes set their own
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
