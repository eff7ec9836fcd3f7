"""The permission gate, day by day."""

from __future__ import annotations

from datetime import date

import pytest

from hallmonitor.config import Account, Permission
from hallmonitor.permissions import decide

TODAY = date(2026, 11, 21)


def _employee(permission: Permission | None) -> Account:
    return Account(
        id="e",
        kind="employee",
        platform="rss",
        locator="http://x/feed",
        owner="E1",
        permission=permission,
    )


@pytest.mark.parametrize(
    ("granted", "expires", "allowed", "why"),
    [
        (date(2026, 9, 1), date(2027, 6, 30), True, "in force"),
        (TODAY, TODAY, True, "in force"),  # both ends inclusive
        (date(2026, 1, 1), date(2026, 11, 20), False, "lapsed on 2026-11-20"),
        (date(2026, 11, 22), date(2027, 1, 1), False, "not yet in force"),
    ],
)
def test_employee_fetch_only_while_permission_in_force(
    granted: date, expires: date, allowed: bool, why: str
) -> None:
    decision = decide(
        _employee(Permission(basis="signed form", granted=granted, expires=expires)), TODAY
    )
    assert decision.allowed is allowed
    assert why in decision.reason
    if allowed:
        assert "signed form" in decision.basis


def test_employee_without_permission_is_not_fetched() -> None:
    decision = decide(_employee(None), TODAY)
    assert not decision.allowed
    assert decision.reason == "employee account with no recorded permission"


def test_sponsored_accounts_are_always_fetched_on_the_district_basis() -> None:
    account = Account(id="s", kind="sponsored", platform="rss", locator="http://x/feed")
    decision = decide(account, TODAY)
    assert decision.allowed and "sponsored" in decision.basis
