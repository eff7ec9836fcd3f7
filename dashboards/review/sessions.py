"""Server-side sessions: the cookie holds a random token, the store keeps only its SHA-256.

Why server-side rather than a signed cookie: sign-out, disabling a user and a password reset
must end a session at once, which a self-contained cookie cannot do. Each session carries its
own CSRF token, compared in constant time on every state-changing request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from dashboards.review.sidecar import open_sidecar, parse_time, transaction

IDLE = timedelta(minutes=60)
ABSOLUTE = timedelta(hours=10)
COOKIE = "hm_session"


@dataclass(frozen=True)
class Session:
    token_hash: str
    username: str
    csrf: str
    via: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(path: Path, username: str, via: str, now: datetime) -> tuple[str, Session]:
    """A new session; returns the cookie value (shown once) and the session."""
    token = secrets.token_urlsafe(32)
    session = Session(_hash(token), username, secrets.token_urlsafe(32), via)
    with transaction(path) as con:
        con.execute("DELETE FROM sessions WHERE expires_at < ?", [now.isoformat()])
        con.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                session.token_hash,
                username,
                session.csrf,
                via,
                now.isoformat(),
                now.isoformat(),
                (now + ABSOLUTE).isoformat(),
            ],
        )
    return token, session


def lookup(path: Path, token: str | None, now: datetime) -> Session | None:
    """The live session for a cookie value, sliding its idle timer; None if unknown or expired."""
    if not token or len(token) > 100:
        return None
    key = _hash(token)
    with open_sidecar(path) as con:
        row = con.execute("SELECT * FROM sessions WHERE token_hash = ?", [key]).fetchone()
    if row is None:
        return None
    seen = parse_time(row["seen_at"])
    if now > parse_time(row["expires_at"]) or now - seen > IDLE:
        end(path, token)
        return None
    if now - seen > timedelta(minutes=1):  # at most one write a minute per session
        with transaction(path) as con:
            con.execute(
                "UPDATE sessions SET seen_at = ? WHERE token_hash = ?", [now.isoformat(), key]
            )
    return Session(key, row["username"], row["csrf"], row["via"])


def end(path: Path, token: str | None) -> None:
    if not token:
        return
    with transaction(path) as con:
        con.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
