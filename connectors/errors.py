"""The three kinds of connector error (after the Singer SDK).

- RetriableError: a transient fault (429, 5xx, timeout). The HTTP layer retries these itself with
  back-off; one that escapes has exhausted its retries and is treated as skippable.
- SkippableError: this account cannot be completed this time (revoked token, unknown account,
  quota spent, malformed body). The audit records a coverage gap with `reason` and goes on.
- FatalError: the run itself cannot go on (a programming or configuration error).

Anything else raised inside a connector (KeyError, TypeError, ...) is a bug in our code: the
audit lets it propagate and records the run as failed, rather than blaming the platform.

Every reason is a member of `Reason`, the one list of machine codes stored in `coverage.reason`
and `access_log.outcome`; the values are the strings stored before the enumeration existed.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why an account, a request or a media file could not be completed (stored values)."""

    ERROR = "error"
    FATAL = "fatal"
    # retriable, and what is left when the retries are spent
    TRANSIENT = "transient"
    TRANSIENT_EXHAUSTED = "transient_exhausted"
    REQUEST_ERROR = "request_error"
    RATE_LIMITED = "rate_limited"
    QUOTA = "quota"
    # the platform refused or does not have it
    AUTH = "auth"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    GONE = "gone"
    BAD_REQUEST = "bad_request"
    HTTP_ERROR = "http_error"
    PLATFORM_ERROR = "platform_error"
    # the answer could not be read
    MALFORMED = "malformed"
    BAD_CONTENT_TYPE = "bad_content_type"
    TOO_LARGE = "too_large"
    REDIRECTS = "redirects"
    # our own rules refused the request
    BAD_LOCATOR = "bad_locator"
    DISALLOWED_HOST = "disallowed_host"
    ROBOTS_DISALLOWED = "robots_disallowed"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_PERMITTED = "not_permitted"
    NO_PERMISSION = "no_permission"
    # a deadline ran out: the response's, the account's or the whole run's
    RESPONSE_DEADLINE = "response_deadline"
    ACCOUNT_DEADLINE = "account_deadline"
    RUN_BUDGET = "run_budget"
    # the audit's own verdicts on a batch
    DATA_QUALITY = "data_quality"


class ConnectorError(Exception):
    """Base class. `reason` is a `Reason`; str(self) is for people."""

    reason: Reason = Reason.ERROR


class RetriableError(ConnectorError):
    reason = Reason.TRANSIENT

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SkippableError(ConnectorError):
    def __init__(self, message: str, reason: Reason | str = Reason.PLATFORM_ERROR) -> None:
        super().__init__(message)
        # A string not in the enumeration is our bug: Reason() raises ValueError, loudly.
        self.reason = Reason(reason)


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
    reason = Reason.FATAL


class NotPermitted(FatalError):
    """A fetch was attempted for an account the permission gate refused. Must never happen."""

    reason = Reason.NOT_PERMITTED
