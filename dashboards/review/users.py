"""Local users: Argon2id password hashes, disable, reset, and sign-in with back-off and lock-out.

A user's scope is never stored here: a monitor user points at a `monitors` entry of
district.yaml (by id), and its role and schools are read from the configuration at every request,
so a change to district.yaml takes effect without touching the user store.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboards.review.sidecar import log_event, now_text, open_sidecar, parse_time, transaction

ROLES = ("monitor", "superintendent", "admin")
MIN_PASSWORD = 12
# Back-off: after BACKOFF_AFTER failures in a row each try must wait 2**(n - BACKOFF_AFTER) s;
# after LOCK_AFTER the account is locked for LOCK_MINUTES (an admin's reset-password unlocks it).
BACKOFF_AFTER = 3
LOCK_AFTER = 6
LOCK_MINUTES = 15

_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile
# Verified against when the user does not exist, so timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password-for-timing")


class UserError(Exception):
    """A user-management request that cannot be done (the message says why)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    monitor_id: str | None
    disabled: bool
    locked_until: datetime | None
    has_password: bool


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password check: the user, or why not (and how long to wait)."""

    user: User | None
    reason: str = ""  # bad | locked | wait | disabled
    retry_after: int = 0


def _user(row: sqlite3.Row) -> User:
    locked = row["locked_until"]
    return User(
        row["username"],
        row["role"],
        row["monitor_id"],
        bool(row["disabled"]),
        parse_time(locked) if locked else None,
        row["password_hash"] is not None,
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


def add_user(
    path: Path,
    username: str,
    role: str,
    monitor_id: str | None,
    password: str | None,
    actor: str = "cli",
) -> User:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if password is not None:
        _check_password(password)
    username = username.strip().lower()
    hashed = _HASHER.hash(password) if password is not None else None
    with transaction(path) as con:
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError(f"user {username} exists")
        now = now_text()
        con.execute(
            "INSERT INTO users (username, password_hash, role, monitor_id, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [username, hashed, role, monitor_id, now, now],
        )
        log_event(con, actor, "user.added", "user", username, {"role": role})
    found = get_user(path, username)
    assert found is not None
    return found


def get_user(path: Path, username: str) -> User | None:
    with open_sidecar(path) as con:
        row = con.execute(
            "SELECT * FROM users WHERE username = ?", [username.strip().lower()]
        ).fetchone()
    return _user(row) if row else None


def list_users(path: Path) -> list[User]:
    with open_sidecar(path) as con:
        rows = con.execute("SELECT * FROM users ORDER BY username").fetchall()
    return [_user(row) for row in rows]


def set_disabled(path: Path, username: str, disabled: bool, actor: str) -> None:
    with transaction(path) as con:
        changed = con.execute(
            "UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?",
            [int(disabled), now_text(), username.strip().lower()],
        ).rowcount
        if not changed:
            raise UserError(f"no user {username}")
        # A disabled user's sessions end now, not when they expire.
        if disabled:
            con.execute("DELETE FROM sessions WHERE username = ?", [username.strip().lower()])
        log_event(con, actor, "user.disabled" if disabled else "user.enabled", "user", username)


def reset_password(path: Path, username: str, password: str, actor: str) -> None:
    """New password, failures forgotten, lock lifted, every session of the user ended."""
    _check_password(password)
    hashed = _HASHER.hash(password)
    name = username.strip().lower()
    with transaction(path) as con:
        changed = con.execute(
            "UPDATE users SET password_hash = ?, failures = 0, locked_until = NULL, "
            "updated_at = ? WHERE username = ?",
            [hashed, now_text(), name],
        ).rowcount
        if not changed:
            raise UserError(f"no user {username}")
        con.execute("DELETE FROM sessions WHERE username = ?", [name])
        log_event(con, actor, "user.password_reset", "user", name)


def authenticate(path: Path, username: str, password: str, now: datetime) -> SignIn:
    """Check a password, applying back-off and lock-out before Argon2 is even run.

    The attempt is counted as a failure in the transaction that checked the back-off, before
    the (slow) password check, so a burst of parallel guesses cannot all pass the check before
    any failure is recorded; a right password then clears the count."""
    name = username.strip().lower()
    with transaction(path) as con:
        row = con.execute("SELECT * FROM users WHERE username = ?", [name]).fetchone()
        if row is not None and row["password_hash"] is not None:
            user = _user(row)
            if user.locked_until and user.locked_until > now:
                return SignIn(None, "locked", int((user.locked_until - now).total_seconds()) + 1)
            wait = _backoff_wait(row, now)
            if wait > 0:
                return SignIn(None, "wait", wait)
            con.execute(
                "UPDATE users SET failures = failures + 1, last_failure = ? WHERE username = ?",
                [now_text(now), name],
            )
    if row is None or row["password_hash"] is None:
        _verify(_DUMMY_HASH, password)
        return SignIn(None, "bad")
    ok = _verify(row["password_hash"], password)
    with transaction(path) as con:
        if ok and not user.disabled:
            con.execute(
                "UPDATE users SET failures = 0, locked_until = NULL WHERE username = ?", [name]
            )
            return SignIn(user)
        if ok:  # the right password of a disabled user: not a failed guess
            con.execute(
                "UPDATE users SET failures = max(0, failures - 1) WHERE username = ?", [name]
            )
            return SignIn(None, "disabled")
        failures = con.execute("SELECT failures FROM users WHERE username = ?", [name]).fetchone()
        if failures and int(failures[0]) >= LOCK_AFTER:
            locked = now + timedelta(minutes=LOCK_MINUTES)
            con.execute(
                "UPDATE users SET locked_until = ? WHERE username = ?", [now_text(locked), name]
            )
            log_event(con, name, "user.locked", "user", name, {"failures": int(failures[0])})
    return SignIn(None, "bad")


def _backoff_wait(row: sqlite3.Row, now: datetime) -> int:
    failures = int(row["failures"])
    if failures < BACKOFF_AFTER or not row["last_failure"]:
        return 0
    allowed_at = parse_time(row["last_failure"]) + timedelta(
        seconds=2 ** (failures - BACKOFF_AFTER)
    )
    return max(0, int((allowed_at - now).total_seconds() + 0.999))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
