"""The one HTTP client every connector uses: timeouts, retries with back-off, an SSRF allow-list,
byte ceilings and an access log entry for every request, with secrets redacted.

Retries use tenacity. Transient faults (429, 5xx, timeouts, dropped connections, and whatever a
platform's `classify` hook calls throttling) are retried with exponential back-off, honouring
`Retry-After` up to `max_wait`; when a platform asks us to wait longer than that, or retries run
out, the request fails with SkippableError: the account becomes a coverage gap, the run goes on.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connectors.errors import DisallowedHost, NotPermitted, RetriableError, SkippableError

USER_AGENT = "Hallmonitor/0.1 (school district social media policy audit)"
SECRET_PARAMS = {"access_token", "key", "api_key", "token", "client_secret", "appsecret_proof"}
RETRY_STATUS = {429, 500, 502, 503, 504}


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
    session: requests.Session = field(default_factory=requests.Session)
    records: list[AccessRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.allowed_hosts = {h.lower() for h in self.allowed_hosts}
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = False  # no proxies or .netrc credentials picked up implicitly

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
    ) -> requests.Response:
        """GET with retries. Returns the response when its status is in `ok_statuses`; other
        statuses raise SkippableError (4xx) after `classify` had its say. `max_bytes` overrides
        the body ceiling (default: max_media_bytes for images, max_json_bytes otherwise)."""
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetriableError),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(url, params, headers, classify, ok_statuses, max_bytes)
        except RetriableError as exc:
            raise SkippableError(
                f"gave up after {self.settings.max_attempts} attempts: {exc}",
                reason="transient_exhausted",
            ) from None
        raise AssertionError("unreachable")

    def get_json(self, url: str, **kwargs: Any) -> tuple[Any, requests.Response]:
        response = self.get(url, **kwargs)
        try:
            return json.loads(response.content), response
        except ValueError as exc:
            raise SkippableError(
                f"malformed JSON from {self.redact(url)}: {exc}", reason="malformed"
            ) from None

    def get_bytes(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        content_types: tuple[str, ...] = ("image/",),
    ) -> tuple[bytes, str]:
        """Download a media file: allowed host only, content type checked, size capped."""
        response = self.get(url, max_bytes=max_bytes)
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_types and not ctype.startswith(content_types):
            raise SkippableError(
                f"unexpected content type {ctype!r} for {self.redact(url)}",
                reason="bad_content_type",
            )
        return response.content, ctype

    def check_host(self, url: str) -> None:
        """Allowed: a host listed exactly, or a subdomain of an entry written with a leading dot
        (".fbcdn.net" allows "scontent-iad3-1.xx.fbcdn.net", never "fbcdn.net.evil.example")."""
        parts = urlsplit(url)
        host = parts.netloc.lower()
        suffixes = tuple(h for h in self.allowed_hosts if h.startswith("."))
        allowed = host in self.allowed_hosts or (
            suffixes and host.endswith(suffixes) and ":" not in host
        )
        if parts.scheme not in ("http", "https") or not allowed:
            raise DisallowedHost(self.redact(url))

    def redact(self, url: str) -> str:
        parts = urlsplit(url)
        query = [
            (k, "***" if k.lower() in SECRET_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="*"), ""))
        return self.redact_text(clean)

    def redact_text(self, text: str) -> str:
        """Replace every secret, also in its percent-encoded forms (as it appears inside URLs)."""
        for secret in self.secrets:
            if secret:
                for form in {secret, quote(secret, safe=""), quote_plus(secret, safe="")}:
                    text = text.replace(form, "***")
        return text

    # -- internals ----------------------------------------------------------------------------
    def _attempt(
        self,
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        classify: Classifier | None,
        ok_statuses: tuple[int, ...],
        max_bytes: int | None,
    ) -> requests.Response:
        if not self.allowed:
            raise NotPermitted(f"account {self.account_id} may not be fetched")
        target = url
        if params:
            target = _with_params(url, params)
        for _ in range(self.settings.max_redirects + 1):
            self.check_host(target)
            response = self._send(target, headers, max_bytes)
            if response.is_redirect and "Location" in response.headers:
                target = urljoin(target, response.headers["Location"])
                continue
            return self._judge(target, response, classify, ok_statuses)
        raise SkippableError(f"too many redirects from {self.redact(url)}", reason="redirects")

    def _send(
        self, url: str, headers: dict[str, str] | None, max_bytes: int | None
    ) -> requests.Response:
        # Exceptions from requests carry the raw URL (tokens included) in their text, so none is
        # chained (`from None`): only redacted URLs may reach logs and tracebacks.
        started = time.monotonic()
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        status: int | None = None
        try:
            response = self.session.get(
                url, headers=headers, timeout=timeout, allow_redirects=False, stream=True
            )
            status = response.status_code
            body = self._read_capped(response, started, max_bytes)
        except SkippableError as exc:  # over the byte ceiling
            self._log(url, status, exc.reason, 0, started)
            raise
        except requests.Timeout:
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
        self, response: requests.Response, started: float, max_bytes: int | None
    ) -> bytes:
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
        chunks, total = [], 0
        deadline = started + self.settings.read_timeout * 3
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > limit:
                response.close()
                raise SkippableError(
                    f"response exceeds the {limit}-byte ceiling", reason="too_large"
                )
            if time.monotonic() > deadline:
                response.close()
                raise requests.Timeout("body took too long")
            chunks.append(chunk)
        return b"".join(chunks)

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
            return float(hinted)
        backoff = self.settings.backoff_base * (2 ** (state.attempt_number - 1))
        return float(min(backoff, self.settings.backoff_cap))

    def _log(self, url: str, status: int | None, outcome: str, size: int, started: float) -> None:
        record = AccessRecord(
            self.account_id,
            datetime.now(UTC),
            self.basis,
            "GET",
            self.redact(url),
            status,
            outcome,
            size,
            int((time.monotonic() - started) * 1000),
        )
        self.records.append(record)
        if self.on_access is not None:
            self.on_access(record)


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
