"""Who is asking, and what they may see: role and scope from district.yaml, checked on the server.

- monitor: reviews findings, but only of accounts whose school is one of theirs (a monitor with
  no schools covers the whole district, including accounts that belong to no school);
- superintendent: district-wide counts and the monthly summary, never post content;
- admin: manages users and reads the live precision page; no post content either.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.review.users import User
from hallmonitor.config import DistrictConfig, Monitor


@dataclass(frozen=True)
class Principal:
    username: str
    name: str
    role: str  # monitor | superintendent | admin
    monitor_id: str | None
    schools: tuple[str, ...] | None  # None: the whole district
    accounts: tuple[str, ...]  # account ids whose findings this principal may review

    @property
    def reviews(self) -> bool:
        return self.role == "monitor"

    @property
    def sees_counts(self) -> bool:
        return self.role in ("superintendent", "admin")

    @property
    def manages_users(self) -> bool:
        return self.role == "admin"

    def may_see_account(self, account_id: str) -> bool:
        return self.reviews and account_id in self.accounts


def monitor_for(config: DistrictConfig, user: User) -> Monitor | None:
    """The district.yaml monitor a user stands for: by id, else by e-mail."""
    for monitor in config.district.monitors:
        if user.monitor_id and monitor.id == user.monitor_id:
            return monitor
    if user.monitor_id:
        return None
    for monitor in config.district.monitors:
        if monitor.email.lower() == user.username.lower():
            return monitor
    return None


def monitor_by_email(config: DistrictConfig, email: str) -> Monitor | None:
    for monitor in config.district.monitors:
        if monitor.email.lower() == email.strip().lower():
            return monitor
    return None


def principal_for(config: DistrictConfig, user: User) -> Principal | None:
    """None when the user has no standing: disabled, or no longer a monitor in district.yaml."""
    if user.disabled:
        return None
    if user.role == "admin":
        return Principal(user.username, user.username, "admin", None, (), ())
    monitor = monitor_for(config, user)
    if monitor is None:
        return None
    return principal_from_monitor(config, monitor, user.username)


def principal_from_monitor(config: DistrictConfig, monitor: Monitor, username: str) -> Principal:
    schools = tuple(monitor.schools) if monitor.schools else None
    if monitor.role != "monitor":
        accounts: tuple[str, ...] = ()
    elif schools is None:
        accounts = tuple(a.id for a in config.accounts)
    else:
        accounts = tuple(a.id for a in config.accounts if a.school in schools)
    return Principal(username, monitor.name, monitor.role, monitor.id, schools, accounts)
