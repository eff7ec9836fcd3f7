"""The permission gate: may the district fetch this account today, and on what basis?

Sponsored accounts are the district's own and are always audited. An employee's account is
fetched only while a recorded permission is in force (granted <= today <= expires, in the
district's time zone). The decision's `basis` is written with every request to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hallmonitor.config import Account


@dataclass(frozen=True)
class FetchDecision:
    account_id: str
    allowed: bool
    basis: str
    reason: str


def decide(account: Account, today: date) -> FetchDecision:
    if account.kind == "sponsored":
        return FetchDecision(
            account.id,
            True,
            "sponsored account registered by the district",
            "district-sponsored account",
        )
    permission = account.permission
    if permission is None:
        return FetchDecision(
            account.id, False, "none", "employee account with no recorded permission"
        )
    if today < permission.granted:
        return FetchDecision(
            account.id,
            False,
            "none",
            f"permission not yet in force (granted from {permission.granted})",
        )
    if today > permission.expires:
        return FetchDecision(
            account.id, False, "none", f"permission lapsed on {permission.expires}"
        )
    basis = (
        f"employee permission: {permission.basis} ({permission.granted} to {permission.expires})"
    )
    return FetchDecision(account.id, True, basis, f"permission in force until {permission.expires}")
