"""`hallmonitor review` (serve the app) and `hallmonitor users ...` (manage local users).

Imports of the web stack stay inside the commands so the rest of the CLI starts as fast as
before.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dashboards.review.sidecar import ensure_schema, sidecar_path
from dashboards.review.users import UserError, add_user, list_users, reset_password, set_disabled

SECRET_ENV = "HALLMONITOR_OIDC_CLIENT_SECRET"


@click.command("review")
@click.option(
    "--config",
    "config_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="The district configuration directory.",
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The warehouse (DuckDB file); the app's own store is created beside it.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Send the session cookie over plain http (a trial on this machine only).",
)
@click.option(
    "--refresh-seconds",
    default=30.0,
    show_default=True,
    type=float,
    help="How often the app looks for a newer warehouse to copy.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address of the reverse proxy in front of the app (repeatable): its X-Forwarded-For "
    "then gives the browser's address, which sign-in back-off counts per address.",
)
@click.option("--oidc-issuer", default=None, help="OpenID provider for single sign-on.")
@click.option("--oidc-client-id", default=None, help=f"Client id (secret in ${SECRET_ENV}).")
@click.option(
    "--public-url",
    default=None,
    help="The app's address as browsers reach it (for the SSO redirect URI).",
)
def review(
    config_dir: str,
    db_path: str,
    host: str,
    port: int,
    insecure_cookies: bool,
    refresh_seconds: float,
    trusted_proxies: tuple[str, ...],
    oidc_issuer: str | None,
    oidc_client_id: str | None,
    public_url: str | None,
) -> None:
    """Serve the monitors' review app."""
    import uvicorn

    from dashboards.review.app import create_app
    from flows.district import load_district
    from hallmonitor.config import ConfigError

    if not Path(db_path).is_file():
        raise click.ClickException(f"no warehouse at {db_path}: run `hallmonitor audit` first")
    try:
        config = load_district(config_dir)
    except ConfigError as exc:
        raise click.ClickException(f"configuration problems:\n{exc}") from exc
    oidc = None
    if oidc_issuer:
        from dashboards.review.oidc import OidcClient

        if not oidc_client_id:
            raise click.UsageError("--oidc-client-id is needed with --oidc-issuer")
        base = (public_url or f"http://{host}:{port}").rstrip("/")
        oidc = OidcClient(
            oidc_issuer, oidc_client_id, os.environ.get(SECRET_ENV), f"{base}/oidc/callback"
        )
    app = create_app(
        config,
        db_path,
        secure_cookies=not insecure_cookies,
        refresh_seconds=refresh_seconds,
        oidc=oidc,
        reload_config=lambda: load_district(config_dir),
    )
    # X-Forwarded-For is believed only from the proxies named: anyone else could forge it to
    # dodge the per-address sign-in back-off.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies) or None,
    )


@click.group("users")
def users() -> None:
    """Manage the review app's local users (kept beside the warehouse)."""


def _store(db_path: str) -> Path:
    path = sidecar_path(db_path)
    ensure_schema(path)
    return path


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users.command("add")
@click.argument("email")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--config",
    "config_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="district.yaml says which monitor the e-mail is, and its role and schools.",
)
@click.option("--admin", is_flag=True, help="An administrator (manages users; no post content).")
@click.option("--sso-only", is_flag=True, help="No password: signs in with single sign-on only.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(
    email: str, db_path: str, config_dir: str, admin: bool, sso_only: bool, password_stdin: bool
) -> None:
    """Add a user: a monitor of district.yaml (by e-mail), or an admin."""
    from dashboards.review.scope import monitor_by_email
    from flows.district import load_district

    config = load_district(config_dir)
    monitor = monitor_by_email(config, email)
    if not admin and monitor is None:
        raise click.ClickException(f"{email} is not a monitor in district.yaml (or use --admin)")
    role = "admin" if admin else monitor.role if monitor else "admin"
    password = None if sso_only else _password(password_stdin)
    try:
        user = add_user(
            _store(db_path), email, role, None if admin or not monitor else monitor.id, password
        )
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"added {user.username} ({user.role})")


@users.command("list")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False))
def users_list(db_path: str) -> None:
    """List users with their role and state."""
    for user in list_users(_store(db_path)):
        state = "disabled" if user.disabled else "locked" if user.locked_until else "active"
        click.echo(f"{user.username}\t{user.role}\t{user.monitor_id or '-'}\t{state}")


@users.command("disable")
@click.argument("email")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False))
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
def users_disable(email: str, db_path: str, enable: bool) -> None:
    """Disable a user (their sessions end at once), or --enable them again."""
    try:
        set_disabled(_store(db_path), email, not enable, "cli")
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'enabled' if enable else 'disabled'} {email}")


@users.command("reset-password")
@click.argument("email")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_reset_password(email: str, db_path: str, password_stdin: bool) -> None:
    """Set a new password, lift a lock-out and end the user's sessions."""
    try:
        reset_password(_store(db_path), email, _password(password_stdin), "cli")
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"password reset for {email}")


COMMANDS = [review, users]


COMMANDS = [review, users]
