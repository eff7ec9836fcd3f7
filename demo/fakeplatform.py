"""A small HTTP server on 127.0.0.1 that plays a platform's API from a route table.

Used by the test suite (every connector is tested against one) and by the demo's sample server.
Routes map a path to a handler returning (status, headers, body). Every request is logged so tests
can assert what was (and was not) asked for, e.g. that a lapsed permission sent nothing.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Body = bytes | str | dict[str, Any] | list[Any]
Response = tuple[int, dict[str, str], Body]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


Handler = Callable[[Request], Response]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a deadline, a byte cap) is expected here, not an error
    worth a traceback on the console."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@dataclass
class FakePlatform:
    """Register handlers with `route(path)`; unknown paths answer 404 JSON."""

    routes: dict[str, Handler] = field(default_factory=dict)
    prefix_routes: list[tuple[str, Handler]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def route_prefix(self, prefix: str, handler: Handler) -> None:
        self.prefix_routes.append((prefix, handler))

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[1]

    def requests_to(self, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def start(self, port: int = 0) -> FakePlatform:
        """Listen on 127.0.0.1 (`port` 0: any free port)."""
        platform = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, keep-alive clients wait
            # ~40 ms for the delayed ACK on every request.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                request = Request(
                    "GET",
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k: v for k, v in self.headers.items()},
                )
                platform.requests.append(request)
                status, headers, body = platform.dispatch(request)
                payload = _encode(body)
                self.send_response(status)
                if not any(k.lower() == "content-type" for k in headers):
                    headers = {**headers, "Content-Type": _content_type(body)}
                for key, value in headers.items():
                    self.send_header(key, value)
                if not any(k.lower() == "content-length" for k in headers):
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = _QuietServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, and tests stop many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def dispatch(self, request: Request) -> Response:
        handler = self.routes.get(request.path)
        if handler is None:
            for prefix, candidate in self.prefix_routes:
                if request.path.startswith(prefix):
                    handler = candidate
                    break
        if handler is None:
            return 404, {}, {"error": "Record not found"}
        return handler(request)


def _encode(body: Body) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _content_type(body: Body) -> str:
    if isinstance(body, (dict, list)):
        return "application/json; charset=utf-8"
    if isinstance(body, str):
        return "text/html; charset=utf-8"
    return "application/octet-stream"
