"""Fixtures for the report tests: the fictional district, warehouses per scenario, a local SMTP
server on 127.0.0.1, and helpers that read a PDF back as text."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reports import scenarios
from tests.reports.builders import STUDENTS, write_config


@pytest.fixture(autouse=True)
def _no_smtp_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "FROM"):
        monkeypatch.delenv(f"HALLMONITOR_SMTP_{name}", raising=False)
    monkeypatch.delenv("RIVERBEND_TEST_FB_TOKEN", raising=False)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return write_config(tmp_path / "district")


@pytest.fixture(scope="session")
def shared_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The district config for read-only use by module-scoped fixtures."""
    return write_config(tmp_path_factory.mktemp("shared") / "district")


@pytest.fixture(scope="session")
def shared_demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo-like October, built once: for tests that only read it (or add archive rows)."""
    return _db(tmp_path_factory.mktemp("demo"), "demo_month")


def _db(tmp_path: Path, build: str) -> Path:
    path = tmp_path / f"{build}.duckdb"
    getattr(scenarios, build)(path)
    return path


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    return _db(tmp_path, "demo_month")


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    return _db(tmp_path, "empty_month")


@pytest.fixture
def busy_db(tmp_path: Path) -> Path:
    return _db(tmp_path, "busy_month")


@pytest.fixture
def failed_db(tmp_path: Path) -> Path:
    return _db(tmp_path, "failed_month")


def pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext lays it out (poppler-utils)."""
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                            check=True, text=True, timeout=60)
    return result.stdout


def roster_strings() -> list[str]:
    """Every name and identifier of every roster student: none may appear in a report."""
    found = []
    for sid, first, last, preferred in STUDENTS:
        found += [sid, first, last, preferred, f"{first} {last}"]
    return found


def leaked(text: str) -> list[str]:
    return [s for s in roster_strings() if re.search(rf"\b{re.escape(s)}\b", text, re.IGNORECASE)]


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)  # from, to, data
    refuse: set[str] = field(default_factory=set)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.box.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1 in a thread of this process; the HALLMONITOR_SMTP_* variables
    point at it. Stopped at teardown."""
    from aiosmtpd.controller import Controller

    from flows.deployments import free_port

    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    monkeypatch.setenv("HALLMONITOR_SMTP_HOST", box.host)
    monkeypatch.setenv("HALLMONITOR_SMTP_PORT", str(box.port))
    monkeypatch.setenv("HALLMONITOR_SMTP_SECURITY", "none")
    monkeypatch.setenv("HALLMONITOR_SMTP_FROM", "hallmonitor@riverbend.example")
    try:
        yield box
    finally:
        controller.stop()
