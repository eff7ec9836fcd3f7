"""`work_hours`: a personal account posting during the district's instructional day."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from rules.base import Check, CheckContext, CheckParams, Hit, Target
from rules.detect.school_calendar import (
    DEFAULT_BREAKS,
    closed_days,
    in_ranges,
    says_no_school,
    valid_range,
)
from rules.registry import register

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkHoursParams(CheckParams):
    non_school_dates: list[date] = Field(default_factory=list)
    non_school_months: list[int] = Field(default_factory=lambda: [7, 8])
    # "MM-DD..MM-DD" spans without school every year (summer, winter break); a district with
    # its own calendar sets these and `non_school_dates`.
    non_school_spans: list[str] = Field(default_factory=lambda: list(DEFAULT_BREAKS))
    usual_closures: bool = True  # Labor Day, Thanksgiving and the day after, Good Friday, ...
    breaks: list[str] = Field(default_factory=list)  # local "HH:MM-HH:MM", e.g. lunch

    @field_validator("non_school_spans")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        for item in value:
            if not valid_range(item):
                raise ValueError(f"span {item!r} must be 'MM-DD..MM-DD'")
        return value

    @field_validator("breaks")
    @classmethod
    def _breaks(cls, value: list[str]) -> list[str]:
        for item in value:
            start, _, end = item.partition("-")
            if not (_minutes(start) < _minutes(end)):
                raise ValueError(f"break {item!r} must be 'HH:MM-HH:MM' with start before end")
        return value


@register
class WorkHours(Check[WorkHoursParams]):
    """A personal account posting during the instructional day (the district's school hours and
    weekdays, in its time zone).

    Example clause (Moorhead 447.1 III.B): "Use of social media for personal use during district
    time or on district equipment is prohibited. ... Social media published times during work day
    reflect negatively on the publisher ..."

    Advisory by nature: a published time shows when a post appeared, not that it was written on
    duty (scheduled posts, breaks). District-sponsored accounts are not judged. Days without
    school: `non_school_dates`, `non_school_months`, the `non_school_spans` (by default summer
    from 8 June and the winter break), the closures nearly every district keeps (Labor Day,
    Thanksgiving and the day after, Good Friday, Memorial Day), and a day the post itself says
    was off for its author (a snow day, a break, a sick day).
    """

    name = "work_hours"
    title = "Personal posting during the school day"
    subjects = ("post",)

    def run(self, target: Target, params: WorkHoursParams, ctx: CheckContext) -> list[Hit]:
        if target.account.kind != "employee" or target.published_at is None:
            return []
        district = ctx.config.district
        local = target.published_at.astimezone(district.tz)
        day = district.instructional_day
        if _DAYS[local.weekday()] not in day.weekdays or not self._school_day(local.date(), params):
            return []
        if not (day.start <= local.time() < day.end):
            return []
        minute = local.hour * 60 + local.minute
        for item in params.breaks:
            start, _, end = item.partition("-")
            if _minutes(start) <= minute < _minutes(end):
                return []
        if says_no_school(target.text):
            return []
        stamp = local.strftime("%a %H:%M")
        window = f"{day.start:%H:%M}-{day.end:%H:%M}"
        return [
            Hit(
                key="work_hours",
                summary=f"Posted on a personal account at {stamp} "
                f"({district.timezone}), during the instructional day {window}",
                category="personal posting during the instructional day",
                details={"local_time": local.isoformat(), "instructional_day": window},
                detector="published_at",
            )
        ]

    @staticmethod
    def _school_day(day: date, params: WorkHoursParams) -> bool:
        return not (
            day.month in params.non_school_months
            or day in params.non_school_dates
            or in_ranges(day, params.non_school_spans)
            or (params.usual_closures and day in closed_days(day.year))
        )


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.strip().partition(":")
    try:
        return int(hours) * 60 + int(minutes)
    except ValueError as exc:
        raise ValueError(f"not a time: {hhmm!r}") from exc
