"""Sign-in back-off per client address, beside the per-user back-off and lock-out of users.py.

Why both: the per-user counters stop guessing one user's password, but password spraying tries
one or two common passwords against many users (and against names that do not exist, which have
no counter at all), so no user ever reaches its limit. Counting failures per address catches
that: after ADDRESS_BACKOFF_AFTER failed sign-ins from one address, each further try from it
must wait 2, 4, 8 ... seconds (at most ADDRESS_MAX_WAIT), and the refusals are logged.

- An IPv6 address counts as its /64: one host commonly holds a whole /64 and could rotate.
- The count lapses after ADDRESS_WINDOW without a failure, so a school's shared address is not
  slowed for long by a few people's typos, while an attack that keeps going keeps its count.
- A successful sign-in does not clear the count: an attacker who owns one account must not be
  able to reset the back-off for the others.
- Behind a reverse proxy every request comes from the proxy's address: start the app with
  `--trusted-proxy` so the browser's address is taken from X-Forwarded-For (see docs/security.md).
"""

from __future__ import annotations

import ipaddress
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from dashboards.review.sidecar import now_text, parse_time, transaction

ADDRESS_BACKOFF_AFTER = 10
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_MAX_WAIT = timedelta(minutes=15)


def address_key(host: str | None) -> str:
    """The counter's key for a client address: IPv4 as is, IPv6 by its /64."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _wait(failures: int, last: datetime, now: datetime) -> int:
    if failures < ADDRESS_BACKOFF_AFTER:
        return 0
    step = timedelta(seconds=2 ** min(20, failures - ADDRESS_BACKOFF_AFTER + 1))
    allowed_at = last + min(step, ADDRESS_MAX_WAIT)
    return max(0, int((allowed_at - now).total_seconds() + 0.999))


def _live(row: sqlite3.Row | None, now: datetime) -> tuple[int, datetime | None]:
    """(failures, last failure) still counting at `now`; (0, None) once the window lapsed."""
    if row is None:
        return 0, None
    last = parse_time(row["last_failure"])
    if now - last > ADDRESS_WINDOW:
        return 0, None
    return int(row["failures"]), last


def admit(path: Path, key: str, now: datetime) -> tuple[int, int]:
    """(seconds to wait, 0) if this address must wait; else (0, attempts) with this attempt
    already counted as a failure. Counting before the password is checked, in the transaction
    that checked the wait, is what stops a burst of parallel tries from all passing the check
    before any failure is recorded; `forgive` takes the count back when it was not a failure."""
    with transaction(path) as con:
        row = con.execute("SELECT * FROM address_failures WHERE address = ?", [key]).fetchone()
        failures, last = _live(row, now)
        wait = _wait(failures, last, now) if last else 0
        if wait:
            return wait, 0
        con.execute(
            "INSERT INTO address_failures (address, failures, last_failure) VALUES (?, ?, ?) "
            "ON CONFLICT (address) DO UPDATE SET failures = excluded.failures, "
            "last_failure = excluded.last_failure",
            [key, failures + 1, now_text(now)],
        )
        return 0, failures + 1


def forgive(con: sqlite3.Connection, key: str) -> None:
    """The admitted attempt was not a failed password (inside the caller's transaction)."""
    con.execute(
        "UPDATE address_failures SET failures = max(0, failures - 1) WHERE address = ?", [key]
    )
