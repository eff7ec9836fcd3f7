"""ISO 8601 times as platforms write them, made timezone-aware UTC.

Platforms differ only in what a time without an offset means: WordPress `*_gmt` fields, AT
Protocol records and web pages write UTC without saying so (read as UTC); Graph API times always
carry an offset, so one without is not a time we trust (rejected). Unparseable values give None:
a post with a junk time is stored undated rather than ending the account's fetch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_utc(value: Any, *, naive_is_utc: bool = True) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        # "Z" for 3.11's fromisoformat; "+0000" (Graph API) is accepted as it is.
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            return None
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
