"""ISO times as platforms write them, to aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.timeparse import parse_utc

T = datetime(2021, 7, 9, 19, 9, 52, tzinfo=UTC)


@pytest.mark.parametrize(("value", "naive_is_utc", "expected"), [
    ("2021-07-09T19:09:52+0000", False, T),            # Graph API: offset without colon
    ("2021-07-09T19:09:52Z", True, T),                 # Mastodon, Bluesky
    ("2021-07-09T14:09:52-05:00", True, T),            # an offset is converted to UTC
    ("2021-07-09T19:09:52", True, T),                  # WordPress *_gmt: UTC without saying so
    ("2021-07-09T19:09:52", False, None),              # ...but not a Graph time
    (" 2021-07-09T19:09:52Z ", True, T),               # web pages pad attributes
    ("last Tuesday", True, None),                      # junk is undated, not an error
    ("", True, None),
    (None, True, None),
    (1625857792, True, None),                          # not a string
])
def test_platform_times_become_aware_utc(value: object, naive_is_utc: bool,
                                         expected: datetime | None) -> None:
    assert parse_utc(value, naive_is_utc=naive_is_utc) == expected
