"""The one HTTP client every connector uses: timeouts, retries with back-off, the access policy
(SSRF allow-list and the permission gate, on every request and redirect hop), byte ceilings,
deadlines and an access log entry for every request and refusal, with secrets redacted.

Every URL is parsed once (`connectors.urlsafety.parse_target`), judged on that parse by the
account's `AccessPolicy` (connectors.scope) and sent as rebuilt from it; the connection checks the
address the host resolved to. Credentials (Authorization, Cookie) are dropped once a redirect
leaves the first request's host, as requests itself does. Every error this client raises has
passed through `hallmonitor.redaction.redact`.

Deadlines: a whole response (headers and body) must arrive within `response_deadline` seconds,
enforced while reading (the socket timeout shrinks to what is left, so a body trickled one byte at
a time ends at the deadline); `deadlines` adds the account's and the run's, after which nothing
more is sent. Each is a SkippableError whose reason names it (a coverage reason).

Retries use tenacity. Transient faults (429, 5xx, timeouts, dropped connections, and whatever a
platform's `classify` hook calls throttling) are retried with exponential back-off, honouring
`Retry-After` up to `max_wait`; when a platform asks us to wait longer than that, or retries run
out, the request fails with SkippableError so the account becomes a coverage gap and the run
goes on.
"""

from __future__ import annotations

import email.utils
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from connectors.errors import (
    ConnectorError,
    DisallowedHost,
    NotPermitted,
    RetriableError,
    RobotsDisallowed,
    SkippableError,
)
from connectors.scope import AccessPolicy, Purpose, host_allowed
from connectors.urlsafety import (
    BlockedAddress,
    IPAddress,
    Target,
    UnsafeUrl,
    guarded_session,
    is_public,
    parse_target,
)
from hallmonitor.redaction import SECRET_PARAMS, redact

USER_AGENT = "Hallmonitor/0.1 (school district social media policy audit)"
RETRY_STATUS = {429, 500, 502, 503, 504}
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}
READ_SIZE = 64 * 1024
# (monotonic time, coverage reason): after that time this client sends nothing more.
Deadline = tuple[float, str]
# Called with every URL about to be requested (each redirect hop too): None, or why not.
HopCheck = Callable[[str], str | None]
__all__ = ["SECRET_PARAMS", "USER_AGENT", "AccessRecord", "HttpClient", "HttpSettings"]


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_wait: float = 120.0  # longest Retry-After we are willing to sit out
    max_redirects: int = 5
    max_json_bytes: int = 20_000_000
    max_media_bytes: int = 15_000_000
    response_deadline: float = 60.0  # one whole response, headers to last byte
    account_deadline: float = 1800.0  # everything one account's fetch may take
    run_budget: float = 6 * 3600.0  # everything one night's fetching may take


@dataclass(frozen=True)
class AccessRecord:
    account_id: str
    at: datetime
    basis: str
    method: str
    url: str  # redacted
    status: int | None
    outcome: str
    bytes: int
    elapsed_ms: int


# A platform hook: look at a response and say it is fine (None), transient (RetriableError) or
# an account-level failure (SkippableError). Used for e.g. Graph API throttling codes in 400s.
Classifier = Callable[[requests.Response], "ConnectorProblem | None"]
ConnectorProblem = RetriableError | SkippableError


@dataclass
class HttpClient:
    account_id: str
    basis: str
    allowed_hosts: set[str]
    allowed: bool = True  # the permission gate's decision; False refuses every request
    secrets: list[str] = field(default_factory=list)
    settings: HttpSettings = field(default_factory=HttpSettings)
    on_access: Callable[[AccessRecord], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    # None: a session whose connections check the resolved address against `policy`.
    session: requests.Session | None = None
    records: list[AccessRecord] = field(default_factory=list)
    # None: `allowed_hosts` for every purpose, private addresses only on exactly listed hosts.
    policy: AccessPolicy | None = None
    deadlines: tuple[Deadline, ...] = ()

    def __post_init__(self) -> None:
        self.allowed_hosts = {h.lower() for h in self.allowed_hosts}
        self._policy = self.policy or AccessPolicy.simple(self.allowed_hosts)
        self._session = self.session or guarded_session(self._address_ok)
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.trust_env = False  # no proxies or .netrc credentials picked up implicitly

    # -- public API -------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        classify: Classifier | None = None,
        ok_statuses: tuple[int, ...] = (200,),
        max_bytes: int | None = None,
        purpose: Purpose = "page",
        hop_check: HopCheck | None = None,
    ) -> requests.Response:
        """GET with retries. Returns the response when its status is in `ok_statuses`; other
        statuses raise SkippableError (4xx) after `classify` had its say. `max_bytes` overrides
        the body ceiling (default: max_media_bytes for images, max_json_bytes otherwise).
        `purpose` picks the access policy's rule; `hop_check` vets every hop (robots.txt)."""
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetriableError),
            sleep=self.sleep,
            reraise=True,
        )
        request = (params, headers, classify, ok_statuses, max_bytes, purpose, hop_check)
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(url, *request)
        except RetriableError as exc:
            raise self._scrubbed(
                SkippableError(
                    f"gave up after {self.settings.max_attempts} attempts: {exc}",
                    reason="transient_exhausted",
                )
            ) from None
        except ConnectorError as exc:
            raise self._scrubbed(exc) from None
        raise AssertionError("unreachable")

    def get_json(self, url: str, **kwargs: Any) -> tuple[Any, requests.Response]:
        response = self.get(url, **kwargs)
        try:
            return json.loads(response.content), response
        except ValueError as exc:
            raise self._scrubbed(
                SkippableError(f"malformed JSON from {self.redact(url)}: {exc}", reason="malformed")
            ) from None

    def get_bytes(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        content_types: tuple[str, ...] = ("image/",),
    ) -> tuple[bytes, str]:
        """Download a media file: media hosts only, content type checked, size capped."""
        response = self.get(url, max_bytes=max_bytes, purpose="media")
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_types and not ctype.startswith(content_types):
            raise SkippableError(
                f"unexpected content type {ctype!r} for {self.redact(url)}",
                reason="bad_content_type",
            )
        return response.content, ctype

    def check_host(self, url: str) -> None:
        """Allowed: a host listed exactly, or a subdomain of an entry written with a leading dot
        (".fbcdn.net" allows "scontent-iad3-1.xx.fbcdn.net", never "fbcdn.net.evil.example"),
        read with the same parse the request is sent from."""
        try:
            target = parse_target(url)
        except UnsafeUrl:
            raise DisallowedHost(self.redact(url)) from None
        if not host_allowed(target, self._policy.media_hosts):
            raise DisallowedHost(self.redact(url))

    def permits(self, url: str, purpose: Purpose = "page") -> bool:
        """Would a request to `url` for `purpose` be sent (ignoring deadlines)?"""
        try:
            return self._refusal(parse_target(url), purpose) is None
        except UnsafeUrl:
            return False

    def redact(self, url: str) -> str:
        """A URL for the log: secret parameters and secrets masked, fragment dropped."""
        parts = urlsplit(url)
        return self.redact_text(urlunsplit((*parts[:4], "")))

    def redact_text(self, text: str) -> str:
        """`hallmonitor.redaction.redact` with this account's secrets."""
        return redact(text, self.secrets)

    # -- internals ----------------------------------------------------------------------------
    def _attempt(
        self,
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        classify: Classifier | None,
        ok_statuses: tuple[int, ...],
        max_bytes: int | None,
        purpose: Purpose,
        hop_check: HopCheck | None,
    ) -> requests.Response:
        if not self.allowed:
            raise NotPermitted(f"account {self.account_id} may not be fetched")
        self._check_deadlines()
        location = _with_params(url, params) if params else url
        sent = dict(headers or {})
        first: Target | None = None
        for _ in range(self.settings.max_redirects + 1):
            target = self._admit(location, purpose, hop_check)
            first = first or target
            if _leaves_origin(first, target):
                sent = {k: v for k, v in sent.items() if k.lower() not in CREDENTIAL_HEADERS}
            response = self._send(target, sent, max_bytes)
            if response.is_redirect and "Location" in response.headers:
                location = urljoin(target.url, response.headers["Location"])
                continue
            return self._judge(target.url, response, classify, ok_statuses)
        raise SkippableError(f"too many redirects from {self.redact(url)}", reason="redirects")

    def _admit(self, url: str, purpose: Purpose, hop_check: HopCheck | None) -> Target:
        """Parse once and judge that parse; a refusal is logged and raised, nothing is sent."""
        try:
            target = parse_target(url)
        except UnsafeUrl as exc:
            self._log(url, None, f"refused: unsafe URL ({exc})", 0, time.monotonic())
            raise DisallowedHost(self.redact(url), why=f"unsafe URL ({exc})") from None
        why = self._refusal(target, purpose)
        if why is not None:
            self._log(target.url, None, f"refused: {why}", 0, time.monotonic())
            reason = "disallowed_host" if why.startswith(("host", "address")) else "out_of_scope"
            raise DisallowedHost(self.redact(target.url), why=why, reason=reason)
        if hop_check is not None and (why := hop_check(target.url)) is not None:
            self._log(target.url, None, f"refused: {why}", 0, time.monotonic())
            raise RobotsDisallowed(self.redact(target.url))
        return target

    def _refusal(self, target: Target, purpose: Purpose) -> str | None:
        why = self._policy.refusal(target, purpose)
        ip = target.ip
        if why is None and ip is not None:
            if not self._address_ok(target.scheme, target.host, target.port, ip):
                return f"address {ip} is private, loopback or link-local"
        return why

    def _address_ok(self, scheme: str, host: str, port: int, ip: IPAddress) -> bool:
        return is_public(ip) or self._policy.private_ok(scheme, host, port)

    def _send(
        self, target: Target, headers: dict[str, str], max_bytes: int | None
    ) -> requests.Response:
        # Exceptions from requests carry the raw URL (tokens included) in their text, so none is
        # chained (`from None`): only redacted URLs may reach logs and tracebacks.
        url = target.url
        started = time.monotonic()
        cutoff, cut_reason = self._cutoff(started)
        left = max(0.01, cutoff - started)
        timeout = (min(self.settings.connect_timeout, left), min(self.settings.read_timeout, left))
        status: int | None = None
        try:
            response = self._session.get(
                url, headers=headers, timeout=timeout, allow_redirects=False, stream=True
            )
            status = response.status_code
            body = self._read_capped(response, cutoff, cut_reason, max_bytes)
        except BlockedAddress as exc:
            self._log(url, None, f"refused: {exc}", 0, started)
            raise DisallowedHost(self.redact(url), why="address not allowed") from None
        except SkippableError as exc:  # over the byte ceiling or past a deadline
            self._log(url, status, exc.reason, 0, started)
            raise
        except requests.Timeout:
            if time.monotonic() >= cutoff:
                self._log(url, status, cut_reason, 0, started)
                raise _deadline_error(cut_reason, self.redact(url)) from None
            self._log(url, status, "timeout", 0, started)
            raise RetriableError(f"timed out: {self.redact(url)}") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            self._log(url, status, "connection error", 0, started)
            raise RetriableError(
                f"connection failed ({type(exc).__name__}): {self.redact(url)}"
            ) from None
        except requests.RequestException as exc:
            self._log(url, status, "request error", 0, started)
            raise SkippableError(
                f"request failed ({type(exc).__name__}): {self.redact(url)}", reason="request_error"
            ) from None
        response._content = body  # noqa: SLF001 - body read under our own byte ceiling
        self._log(
            url,
            response.status_code,
            "ok" if response.ok else f"http {response.status_code}",
            len(body),
            started,
        )
        return response

    def _read_capped(
        self, response: requests.Response, cutoff: float, cut_reason: str, max_bytes: int | None
    ) -> bytes:
        """Read the body under the byte ceiling and the cutoff. Each read waits at most for what
        is left before the cutoff, so a trickled body cannot outlive it."""
        limit = self.settings.max_media_bytes
        if not response.headers.get("Content-Type", "").startswith("image/"):
            limit = self.settings.max_json_bytes
        if max_bytes is not None:
            limit = max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            response.close()
            raise SkippableError(
                f"response of {declared} bytes exceeds the {limit}-byte ceiling", reason="too_large"
            )
        sock = _socket_of(response)
        chunks: list[bytes] = []
        total = 0
        while True:
            left = cutoff - time.monotonic()
            if left <= 0:
                response.close()
                raise _deadline_error(cut_reason, self.redact(response.url or ""))
            if sock is not None:
                sock.settimeout(min(self.settings.read_timeout, left))
            try:
                chunk = response.raw.read1(READ_SIZE, decode_content=True)
            except ReadTimeoutError:
                response.close()
                if time.monotonic() >= cutoff:
                    raise _deadline_error(cut_reason, self.redact(response.url or "")) from None
                raise requests.Timeout("body stalled") from None
            except ProtocolError as exc:
                response.close()
                raise requests.exceptions.ChunkedEncodingError(str(exc)) from None
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:
                response.close()
                raise SkippableError(
                    f"response exceeds the {limit}-byte ceiling", reason="too_large"
                )
            chunks.append(chunk)

    def _cutoff(self, started: float) -> Deadline:
        """When the response now being sent must be complete, and the reason if it is not."""
        return min(
            [(started + self.settings.response_deadline, "response_deadline"), *self.deadlines]
        )

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for when, reason in sorted(self.deadlines):
            if now >= when:
                raise _deadline_error(reason, f"account {self.account_id}")

    def _scrubbed(self, exc: ConnectorError) -> ConnectorError:
        """The same error with secrets masked in its message (error bodies echo tokens)."""
        exc.args = (self.redact_text(str(exc)),)
        return exc

    def _judge(
        self,
        url: str,
        response: requests.Response,
        classify: Classifier | None,
        ok_statuses: tuple[int, ...],
    ) -> requests.Response:
        if classify is not None:
            problem = classify(response)
            if problem is not None:
                raise problem
        if response.status_code in ok_statuses:
            return response
        if response.status_code in RETRY_STATUS:
            raise RetriableError(
                f"HTTP {response.status_code} from {self.redact(url)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        reason = {401: "auth", 403: "forbidden", 404: "not_found", 410: "gone"}.get(
            response.status_code, "http_error"
        )
        raise SkippableError(f"HTTP {response.status_code} from {self.redact(url)}", reason=reason)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            if hinted > self.settings.max_wait:
                raise SkippableError(
                    f"rate limited: asked to wait {hinted:.0f}s "
                    f"(more than {self.settings.max_wait:.0f}s)",
                    reason="rate_limited",
                )
            wait = float(hinted)
        else:
            backoff = self.settings.backoff_base * (2 ** (state.attempt_number - 1))
            wait = float(min(backoff, self.settings.backoff_cap))
        for when, reason in sorted(self.deadlines):
            if time.monotonic() + wait >= when:  # the retry would start after the deadline
                raise _deadline_error(reason, f"account {self.account_id}")
        return wait

    def _log(self, url: str, status: int | None, outcome: str, size: int, started: float) -> None:
        record = AccessRecord(
            self.account_id,
            datetime.now(UTC),
            self.basis,
            "GET",
            self.redact(url),
            status,
            self.redact_text(outcome),
            size,
            int((time.monotonic() - started) * 1000),
        )
        self.records.append(record)
        if self.on_access is not None:
            self.on_access(record)


DEADLINE_TEXT = {
    "response_deadline": "response not complete within its deadline",
    "account_deadline": "the account's time budget is spent",
    "run_budget": "the run's time budget is spent",
}


def _deadline_error(reason: str, where: str) -> SkippableError:
    return SkippableError(f"{DEADLINE_TEXT.get(reason, reason)}: {where}", reason=reason)


def _leaves_origin(first: Target, hop: Target) -> bool:
    """requests' rule (Session.should_strip_auth): another host, or another scheme or port,
    except the upgrade from http on port 80 to https on 443."""
    if hop.host != first.host:
        return True
    upgrade = (first.scheme, first.port, hop.scheme, hop.port) == ("http", 80, "https", 443)
    return not upgrade and (hop.scheme, hop.port) != (first.scheme, first.port)


def _socket_of(response: requests.Response) -> socket.socket | None:
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _with_params(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
