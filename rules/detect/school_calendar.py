"""Days a US school district is closed whatever its own calendar says, and words by which a post
says the day it was published was not a school day for its author.

A post's time stamp inside the instructional hours shows district time only on a school day. A
district's calendar is its own (`non_school_dates`), but some days are off almost everywhere:
Labor Day, Thanksgiving and the day after, Good Friday, Memorial Day, the winter break between
Christmas Eve and New Year's Day, and summer. The post's words say the rest: a snow day, a break, a
day off, a sick or personal day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

# (month, day) inclusive ranges, a range may wrap the year end.
DEFAULT_BREAKS = ("06-08..08-31", "12-23..01-01")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=8)
def closed_days(year: int) -> frozenset[date]:
    """The days of `year` nearly every US district is closed (beyond summer and winter break);
    worked out once a year, not once a post."""
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return frozenset(
        {
            _nth_weekday(year, 9, 0, 1),  # Labor Day
            thanksgiving,
            thanksgiving + timedelta(days=1),
            _easter(year) - timedelta(days=2),  # Good Friday
            _last_weekday(year, 5, 0),  # Memorial Day
        }
    )


def in_ranges(day: date, ranges: tuple[str, ...] | list[str]) -> bool:
    """Whether `day` falls in one of the "MM-DD..MM-DD" ranges (inclusive, may wrap the year)."""
    key = (day.month, day.day)
    for item in ranges:
        start, end = (tuple(int(x) for x in part.split("-")) for part in item.split(".."))
        if start <= end:
            if start <= key <= end:
                return True
        elif key >= start or key <= end:
            return True
    return False


def valid_range(item: str) -> bool:
    """A "MM-DD..MM-DD" range whose ends are real days of a leap year."""
    try:
        for part in item.split(".."):
            month, day = (int(x) for x in part.split("-"))
            date(2024, month, day)
    except ValueError:
        return False
    return item.count("..") == 1


_OFF = (
    r"no\s+school|no\s+classes|school(?:'s|\s+is|\s+was)?\s+(?:closed|cancell?ed)"
    r"|snow\s+day|cold\s+day|storm\s+day|day\s+off|days\s+off|off\s+today|sick\s+day"
    r"|personal\s+day|pto|on\s+leave|on\s+vacation|vacation\s+day|staycation"
    r"|(?:fall|winter|spring|summer|christmas|holiday|thanksgiving|mea|easter)\s+break"
    r"|summer\s+(?:vacation|mornings?|is\s+here|has\s+(?:officially\s+)?(?:started|begun))"
    r"|happy\s+(?:thanksgiving|easter|labor\s+day|memorial\s+day|new\s+year)"
)
_OFF_WORDS = re.compile(rf"\b(?:{_OFF})\b", re.IGNORECASE)


def says_no_school(text: str) -> str | None:
    """The words by which a post says its day was off for its author, if it says so."""
    match = _OFF_WORDS.search(text)
    return match.group(0) if match else None
