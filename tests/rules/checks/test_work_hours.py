"""work_hours (Moorhead, Alexandria): personal posting during the instructional day."""

from __future__ import annotations

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
    [hit] = WorkHours().run(
        _post(datetime(2026, 10, 6, 15, 0, tzinfo=UTC)), WorkHoursParams(), CTX
    )
    assert "Tue 10:00" in hit.summary and hit.details["instructional_day"] == "08:10-15:20"


def test_malformed_break_is_rejected_at_load() -> None:
    with pytest.raises(ValidationError):
        WorkHoursParams(breaks=["12:00-11:00"])
