"""'Now' comes from here so tests and replays can freeze it. Always timezone-aware UTC."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Protocol


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


def clock_from(value: str | None = None) -> Clock:
    """A fixed clock from an ISO time (argument or HALLMONITOR_NOW), else the system clock."""
    value = value or os.environ.get("HALLMONITOR_NOW")
    if not value:
        return SystemClock()
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return FixedClock(parsed)
