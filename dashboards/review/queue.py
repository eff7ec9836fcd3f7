"""The queue: findings in a principal's scope, most severe and oldest first, filtered and paged.

Paging is by key (severity rank, first seen, id) rather than OFFSET, so the hundredth page costs
what the first does even at 100,000 findings. Filters come from the URL and go back into it.

A text search is resolved once per request into a temporary table of the matching findings' row
ids (private to the request's cursor), which the page query and the four count queries then
semi-join: before, each of the five queries scanned every post's text again. Row ids rather
than the rows themselves: materialising 50,000 matching rows cost more than the five joins on
integers (measured; see the README's speed table).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import duckdb

from dashboards.review.scope import Principal
from hallmonitor.config import DistrictConfig

PAGE = 50
HITS = "queue_search_hits"  # a text search's matches, per cursor (prepare_search)
STATUSES = ("open", "escalated", "confirmed", "dismissed", "superseded", "all")
LEVELS = ("violation", "advisory")
SEVERITY_RANK = (
    "CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END"
)


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    check: str = ""
    school: str = ""
    account: str = ""
    level: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""
    after: str = ""  # the keyset cursor of the previous page's last row

    @classmethod
    def from_query(cls, params: dict[str, str]) -> Filters:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        status = params.get("status", "open")
        level = params.get("level", "")
        return cls(
            status=status if status in STATUSES else "open",
            check=params.get("check", "")[:80],
            school=params.get("school", "")[:80],
            account=params.get("account", "")[:120],
            level=level if level in LEVELS else "",
            since=day("since"),
            until=day("until"),
            q=params.get("q", "")[:200],
            after=params.get("after", "")[:300],
        )

    def query(self, **changes: Any) -> str:
        """This filter set as a URL query string (empty values left out)."""
        values = replace(self, **changes)
        pairs = {
            "status": values.status,
            "check": values.check,
            "school": values.school,
            "account": values.account,
            "level": values.level,
            "since": values.since.isoformat() if values.since else "",
            "until": values.until.isoformat() if values.until else "",
            "q": values.q,
            "after": values.after,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


@dataclass
class Row:
    finding_id: str
    severity: str
    level: str
    check_name: str
    rule_id: str
    summary: str
    status: str
    first_seen: datetime
    account_id: str
    account_name: str
    school: str
    claimed_by: str | None = None


@dataclass
class Page:
    rows: list[Row]
    next_after: str | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def encode_cursor(rank: int, seen: datetime, finding_id: str) -> str:
    raw = json.dumps([rank, seen.isoformat(), finding_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[int, datetime, str] | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        rank, seen, finding_id = json.loads(raw)
        return int(rank), datetime.fromisoformat(seen), str(finding_id)
    except (ValueError, TypeError):
        return None


def accounts_for(config: DistrictConfig, who: Principal, filters: Filters) -> list[str]:
    """The accounts the page may list: the principal's scope narrowed by school and account."""
    schools = {a.id: a.school for a in config.accounts}
    found = []
    for account_id in who.accounts:
        if filters.school and schools.get(account_id) != filters.school:
            continue
        if filters.account and account_id != filters.account:
            continue
        found.append(account_id)
    return found


def _where(
    config: DistrictConfig, filters: Filters, accounts: list[str], skip: str = ""
) -> tuple[str, list[Any]]:
    tz = config.district.tz
    clauses = ["f.district_id = ?", "f.account_id IN (SELECT unnest(?::VARCHAR[]))"]
    args: list[Any] = [config.district.id, accounts]
    if filters.status != "all" and skip != "status":
        clauses.append("f.status = ?")
        args.append(filters.status)
    if filters.check and skip != "check":
        clauses.append("f.check_name = ?")
        args.append(filters.check)
    if filters.level and skip != "level":
        clauses.append("f.level = ?")
        args.append(filters.level)
    if filters.since:
        clauses.append("f.first_seen >= ?")
        args.append(datetime.combine(filters.since, time(0), tzinfo=tz))
    if filters.until:
        clauses.append("f.first_seen < ?")
        args.append(datetime.combine(filters.until + timedelta(days=1), time(0), tzinfo=tz))
    if filters.q:  # prepare_search has filled the table on this cursor
        clauses.append(f"f.rowid IN (SELECT r FROM {HITS})")
    return " AND ".join(clauses), args


def prepare_search(
    con: duckdb.DuckDBPyConnection,
    config: DistrictConfig,
    filters: Filters,
    scope: tuple[str, ...],
) -> None:
    """Run the text search once, into a temporary table of this cursor holding the row ids of
    the matching findings of `scope`'s accounts, which `_where` then joins (no-op without one)."""
    if not filters.q:
        return
    like = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {HITS} AS SELECT f.rowid AS r FROM findings f "
        "WHERE f.district_id = ? AND f.account_id IN (SELECT unnest(?::VARCHAR[])) "
        "AND (f.summary ILIKE ? ESCAPE '\\' OR f.post_id IN (SELECT post_id FROM posts "
        "WHERE district_id = ? AND text ILIKE ? ESCAPE '\\'))",
        [config.district.id, list(scope), like, config.district.id, like],
    )


def load_page(
    con: duckdb.DuckDBPyConnection, config: DistrictConfig, who: Principal, filters: Filters
) -> Page:
    accounts = accounts_for(config, who, filters)
    prepare_search(con, config, filters, who.accounts)
    where, args = _where(config, filters, accounts)
    cursor = decode_cursor(filters.after) if filters.after else None
    if cursor:
        where += (
            f" AND ({SEVERITY_RANK} < ? OR ({SEVERITY_RANK} = ? AND (f.first_seen > ? OR "
            "(f.first_seen = ? AND f.finding_id > ?))))"
        )
        rank, seen, last_id = cursor
        args += [rank, rank, seen, seen, last_id]
    rows = con.execute(
        f"SELECT f.finding_id, f.severity, f.level, f.check_name, f.rule_id, f.summary, "
        f"f.status, f.first_seen, f.account_id, {SEVERITY_RANK} AS rank FROM findings f "
        f"WHERE {where} ORDER BY rank DESC, f.first_seen, f.finding_id LIMIT {PAGE + 1}",
        args,
    ).fetchall()
    names = {a.id: (a.name or a.id, a.school or "") for a in config.accounts}
    page = [
        Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], *names.get(r[8], (r[8], "")))
        for r in rows[:PAGE]
    ]
    more = len(rows) > PAGE
    last = rows[PAGE - 1] if more else None
    next_after = encode_cursor(last[9], last[7], last[0]) if last else None
    return Page(page, next_after, counts(con, config, filters, accounts, who))


def counts(
    con: duckdb.DuckDBPyConnection,
    config: DistrictConfig,
    filters: Filters,
    accounts: list[str],
    who: Principal,
) -> dict[str, dict[str, int]]:
    """For each filter, how many findings each of its values would show with the others kept."""
    found: dict[str, dict[str, int]] = {}
    for name, column in (("status", "f.status"), ("check", "f.check_name"), ("level", "f.level")):
        where, args = _where(config, filters, accounts, skip=name)
        rows = con.execute(
            f"SELECT {column}, count(*) FROM findings f WHERE {where} GROUP BY 1 ORDER BY 1", args
        ).fetchall()
        found[name] = {str(k): int(n) for k, n in rows}
    found["status"]["all"] = sum(found["status"].values())
    # Schools and accounts: the same query over the whole scope, summed per school in Python.
    wide = accounts_for(config, who, replace(filters, school="", account=""))
    where, args = _where(config, filters, wide)
    per_account = dict(
        con.execute(
            f"SELECT f.account_id, count(*) FROM findings f WHERE {where} GROUP BY 1", args
        ).fetchall()
    )
    schools: dict[str, int] = {}
    for account in config.accounts:
        if account.id in per_account:
            key = account.school or ""
            schools[key] = schools.get(key, 0) + int(per_account[account.id])
    found["school"] = schools
    found["account"] = {k: int(v) for k, v in per_account.items()}
    return found


def neighbours(
    con: duckdb.DuckDBPyConnection,
    config: DistrictConfig,
    who: Principal,
    filters: Filters,
    finding: dict[str, Any],
) -> tuple[str | None, str | None]:
    """The findings before and after this one in the queue it was opened from (keys n and p)."""
    accounts = accounts_for(config, who, filters)
    prepare_search(con, config, filters, who.accounts)
    where, args = _where(config, filters, accounts)
    rank = {"critical": 4, "high": 3, "medium": 2}.get(finding["severity"], 1)
    seen, fid = finding["first_seen"], finding["finding_id"]
    found: list[str | None] = []
    for op, order in (
        (">", "rank DESC, f.first_seen, f.finding_id"),
        ("<", "rank, f.first_seen DESC, f.finding_id DESC"),
    ):
        later = "<" if op == ">" else ">"
        row = con.execute(
            f"SELECT f.finding_id, {SEVERITY_RANK} AS rank FROM findings f WHERE {where} AND "
            f"({SEVERITY_RANK} {later} ? OR ({SEVERITY_RANK} = ? AND (f.first_seen {op} ? OR "
            f"(f.first_seen = ? AND f.finding_id {op} ?)))) ORDER BY {order} LIMIT 1",
            [*args, rank, rank, seen, seen, fid],
        ).fetchone()
        found.append(row[0] if row else None)
    return found[1], found[0]
