"""The whole-response deadline is enforced while reading (issue 10, item 7): a body trickled one
byte at a time ends at the deadline, not after every byte has beaten the read timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from connectors.errors import SkippableError
from connectors.http import HttpClient, HttpSettings

BODY = 40  # bytes, one every DRIP seconds: 8 s in all, far past the deadline
DRIP = 0.2


class Trickle:
    """A loopback server that sends its headers at once, then one body byte every DRIP s."""

    def __init__(self, chunked: bool) -> None:
        self.chunked = chunked
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.host = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            framing = "Transfer-Encoding: chunked" if self.chunked else f"Content-Length: {BODY}"
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{framing}\r\n\r\n"
            try:
                conn.sendall(head.encode())
                for _ in range(BODY):
                    if self.stop.wait(DRIP):
                        return
                    conn.sendall(b"1\r\nx\r\n" if self.chunked else b"x")
                if self.chunked:
                    conn.sendall(b"0\r\n\r\n")
            except OSError:
                return  # the client hung up at its deadline

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture(params=[False, True], ids=["content-length", "chunked"])
def trickle(request: pytest.FixtureRequest) -> Iterator[Trickle]:
    server = Trickle(request.param)
    yield server
    server.close()


def test_a_trickled_body_ends_at_the_response_deadline(trickle: Trickle) -> None:
    settings = HttpSettings(read_timeout=1.0, response_deadline=1.0, max_attempts=3)
    http = HttpClient("a", "t", {trickle.host}, settings=settings, sleep=lambda s: None)
    started = time.monotonic()
    with pytest.raises(SkippableError) as caught:
        http.get(f"http://{trickle.host}/slow")
    elapsed = time.monotonic() - started
    assert caught.value.reason == "response_deadline"
    assert elapsed < 1.8, f"took {elapsed:.1f}s for a 1 s deadline"
    assert [r.outcome for r in http.records] == ["response_deadline"], "not retried"


def test_the_account_deadline_caps_a_response_deadline_further_away(trickle: Trickle) -> None:
    settings = HttpSettings(read_timeout=1.0, response_deadline=30.0)
    http = HttpClient(
        "a",
        "t",
        {trickle.host},
        settings=settings,
        deadlines=((time.monotonic() + 0.8, "account_deadline"),),
    )
    started = time.monotonic()
    with pytest.raises(SkippableError) as caught:
        http.get(f"http://{trickle.host}/slow")
    assert caught.value.reason == "account_deadline"
    assert time.monotonic() - started < 1.6
    with pytest.raises(SkippableError) as again:
        http.get(f"http://{trickle.host}/slow")
    assert again.value.reason == "account_deadline" and len(http.records) == 1, "nothing sent"
