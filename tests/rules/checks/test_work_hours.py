"""work_hours (Moorhead, Alexandria): personal posting during the instructional day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from flows.district import load_district
from rules.base import CheckContext, Target
from rules.checks.work_hours import WorkHours, WorkHoursParams
from tests.conftest import FIXTURES

CONFIG = load_district(FIXTURES / "corpus" / "text")  # America/Chicago, 08:10-15:20, Mon-Fri
CTX = CheckContext(CONFIG, datetime(2026, 11, 1, tzinfo=UTC))


def _post(at: datetime | None, account: str = "emp-novak") -> Target:
    return Target(
        post_id="p",
        version=1,
        account=CONFIG.account(account),
        platform="wordpress",
        kind="post",
        permalink="https://example.test/p",
        text="New blog post",
        published_at=at,
    )


@pytest.mark.parametrize(
    ("at", "flagged"),
    [
        (datetime(2026, 10, 6, 15, 0, tzinfo=UTC), True),  # Tue 10:00 CDT
        (datetime(2026, 10, 6, 13, 10, tzinfo=UTC), True),  # Tue 08:10 CDT, first minute
        (datetime(2026, 10, 6, 20, 19, tzinfo=UTC), True),  # Tue 15:19 CDT
        (datetime(2026, 12, 8, 20, 0, tzinfo=UTC), True),  # Tue 14:00 CST (winter offset)
        (datetime(2026, 10, 6, 20, 20, tzinfo=UTC), False),  # 15:20 CDT: the day has ended
        (datetime(2026, 10, 6, 13, 9, tzinfo=UTC), False),  # 08:09 CDT
        (datetime(2026, 12, 8, 14, 0, tzinfo=UTC), False),  # 08:00 CST: 14:00 UTC is before start
        (datetime(2026, 10, 10, 15, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2026, 7, 14, 15, 0, tzinfo=UTC), False),  # July: no school
        (datetime(2026, 10, 7, 2, 0, tzinfo=UTC), False),  # Tue 21:00 CDT
    ],
)
def test_posting_inside_the_local_instructional_day_is_flagged(at: datetime, flagged: bool) -> None:
    assert bool(WorkHours().run(_post(at), WorkHoursParams(), CTX)) is flagged


def test_sponsored_accounts_and_undated_posts_are_not_judged() -> None:
    at = datetime(2026, 10, 6, 15, 0, tzinfo=UTC)
    assert WorkHours().run(_post(at, account="plhs-activities"), WorkHoursParams(), CTX) == []
    assert WorkHours().run(_post(None), WorkHoursParams(), CTX) == []


def test_breaks_and_non_school_dates_are_excluded() -> None:
    lunch = datetime(2026, 10, 6, 16, 45, tzinfo=UTC)  # 11:45 CDT
    assert WorkHours().run(_post(lunch), WorkHoursParams(), CTX) != []
    assert WorkHours().run(_post(lunch), WorkHoursParams(breaks=["11:30-12:00"]), CTX) == []
    holiday = WorkHoursParams(non_school_dates=[date(2026, 10, 6)])
    assert WorkHours().run(_post(lunch), holiday, CTX) == []


def test_hit_shows_local_time_and_window() -> None:
    [hit] = WorkHours().run(_post(datetime(2026, 10, 6, 15, 0, tzinfo=UTC)), WorkHoursParams(), CTX)
    assert "Tue 10:00" in hit.summary and hit.details["instructional_day"] == "08:10-15:20"


def test_malformed_break_is_rejected_at_load() -> None:
    with pytest.raises(ValidationError):
        WorkHoursParams(breaks=["12:00-11:00"])


@pytest.mark.parametrize(
    ("local_day", "closed"),
    [
        (date(2026, 9, 7), True),  # Labor Day (first Monday of September)
        (date(2026, 11, 26), True),  # Thanksgiving (fourth Thursday)
        (date(2026, 11, 27), True),  # the day after
        (date(2027, 3, 26), True),  # Good Friday 2027 (Easter 28 March)
        (date(2026, 4, 3), True),  # Good Friday 2026 (Easter 5 April)
        (date(2027, 5, 31), True),  # Memorial Day (last Monday of May)
        (date(2026, 6, 9), True),  # summer, from 8 June by default
        (date(2026, 12, 29), True),  # winter break
        (date(2027, 1, 1), True),  # winter break wraps the year
        (date(2026, 11, 25), False),  # the Wednesday before Thanksgiving: a school day
        (date(2026, 9, 8), False),  # the Tuesday after Labor Day
        (date(2027, 1, 4), False),  # back after the break
        (date(2026, 6, 5), False),  # early June: school may still be in
    ],
)
def test_days_nearly_every_district_is_closed_are_not_school_days(
    local_day: date, closed: bool
) -> None:
    ten_am = datetime(local_day.year, local_day.month, local_day.day, 15, 0, tzinfo=UTC)
    assert local_day.weekday() < 5, "a weekday, so only the calendar decides"
    assert (WorkHours().run(_post(ten_am), WorkHoursParams(), CTX) == []) is closed


def test_a_district_sets_its_own_spans_or_switches_the_usual_closures_off() -> None:
    thanksgiving = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    own_calendar = WorkHoursParams(usual_closures=False, non_school_spans=["06-15..08-25"])
    assert WorkHours().run(_post(thanksgiving), own_calendar, CTX) != []
    june_tenth = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
    assert WorkHours().run(_post(june_tenth), own_calendar, CTX) != []
    assert WorkHours().run(_post(june_tenth), WorkHoursParams(), CTX) == []


def _said(text: str) -> Target:
    tuesday = _post(datetime(2026, 10, 6, 16, 0, tzinfo=UTC))  # Tue 11:00 CDT, a school day
    return replace(tuesday, text=text)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Snow day!! Cocoa and a puzzle with the kids", False),
        ("No school today, so pancakes for everyone", False),
        ("Taking a personal day to sit by the lake", False),
        ("Fall break road trip, first stop Duluth", False),
        ("Sick day. Soup and naps.", False),
        ("Winter break mornings: coffee and no alarm", False),
        ("Grabbing a coffee before my next class, what a morning", True),  # near miss
        ("Summer reading list for the book club, suggestions welcome", True),  # near miss
    ],
)
def test_a_post_that_says_its_day_was_off_is_not_flagged(text: str, flagged: bool) -> None:
    assert bool(WorkHours().run(_said(text), WorkHoursParams(), CTX)) is flagged


def test_malformed_span_is_rejected_at_load() -> None:
    with pytest.raises(ValidationError):
        WorkHoursParams(non_school_spans=["06-31..08-31"])
    with pytest.raises(ValidationError):
        WorkHoursParams(non_school_spans=["June..August"])
