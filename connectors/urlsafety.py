"""One parse of a URL for deciding and for sending, and a connection that checks where it lands.

Why: the allow-list used to read a URL with `urlsplit` while requests/urllib3 read it again their
own way, and the two disagree on hostile input (`http://127.0.0.1\\.wp.com/` is host
`127.0.0.1\\.wp.com` to one and `127.0.0.1` to the other). Here a URL is parsed once into a
`Target`; anything two parsers could read differently is refused (backslashes, whitespace and
control characters anywhere, user info, percent signs or non-hostname characters in the host,
IPv6 zone ids), numeric IPv4 spellings (`2130706433`, `0x7f.1`, `0177.0.0.1`, as WHATWG and
`inet_aton` read them) are rewritten to the dotted quad they mean, a trailing dot is dropped, and
the URL that is sent is rebuilt from the parts that were judged. `parse_target` then re-reads that
URL with the sending library's own parser and refuses it unless both agree.

The resolved address is checked where the socket is opened (`guarded_session`): the connection
resolves the host itself, refuses private, loopback, link-local and other non-global addresses
unless the caller's check allows that host, and connects to an address it checked, so a second
DNS answer cannot differ from the one judged.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as u3_connection
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}
# Anywhere in the URL: ASCII controls, space, DEL and the backslash (WHATWG treats "\" as "/" in
# the authority, RFC 3986 parsers do not).
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class UnsafeUrl(ValueError):
    """A URL that is not http(s), or that two URL parsers could read as different hosts."""


@dataclass(frozen=True)
class Target:
    """A URL parsed once. `host` is lower-case ASCII without a trailing dot (IPv6 without
    brackets); `url` is what is sent, rebuilt from these parts."""

    scheme: str
    host: str
    port: int
    path: str
    query: str

    @property
    def netloc(self) -> str:
        """host[:port], the default port of the scheme left out (the allow-list's spelling)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return urlunsplit((self.scheme, self.netloc, self.path, self.query, ""))

    @property
    def ip(self) -> IPAddress | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def parse_target(raw: str) -> Target:
    """Parse `raw` for sending; raise UnsafeUrl for anything ambiguous or not http(s)."""
    if _AMBIGUOUS.search(raw):
        raise UnsafeUrl("control character, whitespace or backslash in URL")
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise UnsafeUrl(str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl(f"scheme {scheme or '(none)'!r} is not http(s)")
    if "@" in parts.netloc:
        raise UnsafeUrl("user information in URL")
    if "%" in parts.netloc:
        raise UnsafeUrl("percent-encoding in host")
    host, port = _host_port(parts.netloc, DEFAULT_PORTS[scheme])
    target = Target(scheme, host, port, remove_dot_segments(parts.path) or "/", parts.query)
    _agrees_with_sender(target)
    return target


def _host_port(netloc: str, default: int) -> tuple[str, int]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end == -1:
            raise UnsafeUrl("unterminated IPv6 literal")
        literal, rest = netloc[1:end], netloc[end + 1 :]
        try:
            host = ipaddress.IPv6Address(literal).compressed
        except ValueError:
            raise UnsafeUrl(f"invalid IPv6 literal {literal!r}") from None
    else:
        literal, sep, rest = netloc.partition(":")
        rest = sep + rest
        host = _hostname(literal)
    if not rest:
        return host, default
    digits = rest[1:] if rest.startswith(":") else "x"
    if not digits.isdigit() or not 0 < int(digits) < 65536:
        raise UnsafeUrl(f"invalid port {rest!r}")
    return host, int(digits)


def _hostname(name: str) -> str:
    name = name.lower()
    if name.endswith("."):  # "example.org." is example.org; one dot only
        name = name[:-1]
    if not name:
        raise UnsafeUrl("empty host")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeUrl("host is not a valid international domain name") from None
    labels = name.split(".")
    if _NUMBER.match(labels[-1]):  # WHATWG: a numeric last label makes the host IPv4
        return _ipv4(labels)
    if not all(_LABEL.match(label) and len(label) <= 63 for label in labels):
        raise UnsafeUrl(f"invalid host name {name!r}")
    return name


def _ipv4(labels: list[str]) -> str:
    """Decimal, 0x-hex and 0-octal parts, 1 to 4 of them, as WHATWG and inet_aton read them."""
    if len(labels) > 4 or not all(_NUMBER.match(x) for x in labels):
        raise UnsafeUrl(f"ambiguous numeric host {'.'.join(labels)!r}")
    numbers = []
    for label in labels:
        if label.startswith("0x"):
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if not set(label) <= set("01234567"):
                raise UnsafeUrl(f"invalid octal part {label!r}")
            numbers.append(int(label, 8))
        else:
            numbers.append(int(label))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise UnsafeUrl(f"IPv4 part out of range in {'.'.join(labels)!r}")
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return str(ipaddress.IPv4Address(value))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as urllib3 applies it before sending (so we judge the path it sends)."""
    segments = path.split("/")
    output: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")
    return "/".join(output)


def _agrees_with_sender(target: Target) -> None:
    """Re-read the URL requests would send with urllib3's parser: same host and port. (It may
    percent-encode the path differently; that never moves a request to another server.)"""
    prepared = requests.Request("GET", target.url).prepare().url or ""
    sent = parse_url(prepared)
    host = (sent.host or "").strip("[]").lower()
    port = sent.port or DEFAULT_PORTS[target.scheme]
    if (host, port) != (target.host, target.port):
        raise UnsafeUrl("URL parsers disagree on where this URL goes")


def is_public(ip: IPAddress) -> bool:
    """Globally routable unicast; IPv4 embedded in IPv6 (mapped, 6to4, Teredo) judged as IPv4."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public(embedded)
    return ip.is_global and not ip.is_multicast


# -- the connection side ---------------------------------------------------------------------
# (scheme, host, port, resolved address) -> may we connect there?
AddressCheck = Callable[[str, str, int, IPAddress], bool]


class BlockedAddress(Exception):  # noqa: N818 - deliberately not an OSError, so urllib3 re-raises
    """Every address the host resolved to was refused (private, loopback, link-local...)."""


def guarded_session(check: AddressCheck) -> requests.Session:
    """A Session whose connections resolve, check and connect to the checked address."""
    session = requests.Session()
    adapter = _GuardedAdapter(check)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, check: AddressCheck) -> None:
        self._check = check
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        pools = {}
        for scheme, pool, conn in (
            ("http", HTTPConnectionPool, HTTPConnection),
            ("https", HTTPSConnectionPool, HTTPSConnection),
        ):
            guarded = type(f"Guarded{conn.__name__}", (conn,), {"_new_conn": _new_conn})
            guarded._address_check = self._check  # type: ignore[attr-defined]
            guarded._scheme = scheme  # type: ignore[attr-defined]
            pools[scheme] = type(f"Guarded{pool.__name__}", (pool,), {"ConnectionCls": guarded})
        self.poolmanager.pool_classes_by_scheme = pools


def _new_conn(self: Any) -> socket.socket:
    """urllib3's HTTPConnection._new_conn, resolving first and connecting only to addresses the
    check allows (one resolution: the address judged is the address used)."""
    host, port = self._dns_host.rstrip("."), self.port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(self.host, self, exc) from exc
    refused, last_error = [], None
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%")[0]
        if not self._address_check(self._scheme, host, port, ipaddress.ip_address(address)):
            refused.append(address)
            continue
        try:
            return u3_connection.create_connection(
                (address, port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"connection to {host} timed out") from exc
        except OSError as exc:
            last_error = exc
    if last_error is None:
        raise BlockedAddress(f"{host} resolves to refused address(es) {', '.join(refused)}")
    raise NewConnectionError(self, f"failed to connect: {last_error}") from last_error
