"""Asking the platform whether an item we no longer see is gone.

A feed or a crawl is never evidence of deletion on its own: feeds keep only their newest (or
"top") items and drop the rest, and a page can lose every link to it and still be online. So a
connector that lists without dates remembers, in its cursor, the items it saw last time with
their permalinks; an item missing now is re-checked at its permalink, and only a 404 or 410 there
is the platform saying it is gone. The answer is recorded with the item, so a monitor can see how
the deletion was established.

A 200 means the item rotated out of the listing: it is forgotten (no claim either way). Any other
answer (a redirect off the site, 403, 5xx, a host we may not ask) proves nothing: it is forgotten
too, with a note. At most `limit` permalinks are asked per fetch; the rest wait for the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.errors import ConnectorError
from connectors.http import HttpClient

GONE_STATUSES = (404, 410)
RECHECK_LIMIT = 25


@dataclass
class Recheck:
    gone: dict[str, str] = field(default_factory=dict)  # native id -> how it was established
    pending: dict[str, str] = field(default_factory=dict)  # not asked yet: native id -> permalink
    notes: list[str] = field(default_factory=list)


def recheck_missing(
    http: HttpClient,
    remembered: dict[str, str],
    present: set[str],
    now: datetime,
    *,
    limit: int = RECHECK_LIMIT,
    may_fetch: Callable[[str], bool] = lambda url: True,
    locate: Callable[[str], str] = lambda url: url,
) -> Recheck:
    """Re-check the permalink of every remembered item (native id -> permalink) not `present`.
    `may_fetch` refuses a URL we must not request (robots.txt); `locate` maps a permalink to the
    host that serves it here (a mirror or test server standing in for the site)."""
    result = Recheck()
    missing = [(nid, url) for nid, url in remembered.items() if nid not in present]
    for asked, (native_id, permalink) in enumerate(missing):
        if asked >= limit:
            result.pending[native_id] = permalink
            continue
        url = locate(permalink)
        if not may_fetch(url):
            result.notes.append(f"{permalink}: not re-checked (not allowed to fetch it)")
            continue
        try:
            response = http.get(url, ok_statuses=(200, *GONE_STATUSES))
        except ConnectorError as exc:
            result.notes.append(f"{permalink}: not re-checked ({exc.reason}): {exc}")
            continue
        if response.status_code in GONE_STATUSES:
            result.gone[native_id] = (
                f"permalink {permalink} answered HTTP {response.status_code} when re-checked "
                f"at {now.isoformat()}"
            )
    return result
