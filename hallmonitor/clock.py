"""'Now' comes from here so tests and replays can freeze it. Always timezone-aware UTC."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, tzinfo
from typing import Protocol

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at


def clock_from(value: str | None = None, tz: tzinfo | None = None) -> Clock:
    """A fixed clock from an ISO time (argument or HALLMONITOR_NOW), else the system clock.

    A bare date (`2027-10-01`) means noon of that day in the district's time zone `tz` (UTC
    when none is given): read as UTC midnight it would be the evening before in America, and
    permissions and school days would be judged for the wrong day. A time without an offset
    is UTC, as before."""
    value = value or os.environ.get("HALLMONITOR_NOW")
    if not value:
        return SystemClock()
    if _BARE_DATE.match(value.strip()):
        day = date.fromisoformat(value.strip())
        return FixedClock(datetime.combine(day, time(12, 0), tzinfo=tz or UTC))
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return FixedClock(parsed)
