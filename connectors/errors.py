"""The three kinds of connector error (after the Singer SDK).

- RetriableError: a transient fault (429, 5xx, timeout). The HTTP layer retries these itself with
  back-off; one that escapes has exhausted its retries and is treated as skippable.
- SkippableError: this account cannot be completed this time (revoked token, unknown account,
  quota spent, malformed body). The audit records a coverage gap with `reason` and goes on.
- FatalError: the run itself cannot go on (a programming or configuration error).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class. `reason` is a short machine-readable code; str(self) is for people."""

    reason = "error"


class RetriableError(ConnectorError):
    reason = "transient"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SkippableError(ConnectorError):
    def __init__(self, message: str, reason: str = "platform_error") -> None:
        super().__init__(message)
        self.reason = reason


class DisallowedHost(SkippableError):
    """A request the access policy refused before sending it: a host outside the account's
    allow-list or resolving to a private address (SSRF guard), an unsafe URL, a page outside the
    account's scope (reason `out_of_scope`) or inside a non-permitted account's scope. Media
    pointing there is skipped; a crawl does not follow it."""

    def __init__(
        self,
        url: str,
        why: str = "host not allowed for this account",
        reason: str = "disallowed_host",
    ) -> None:
        super().__init__(f"{why}: {url}", reason=reason)


class RobotsDisallowed(SkippableError):
    """robots.txt disallows this URL (checked on every redirect hop, RFC 9309)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"robots.txt disallows {url}", reason="robots_disallowed")


class FatalError(ConnectorError):
    reason = "fatal"


class NotPermitted(FatalError):
    """A fetch was attempted for an account the permission gate refused. Must never happen."""

    reason = "not_permitted"
