"""A real review server in its own process on 127.0.0.1, and the demo district's warehouse after
one real nightly audit (class photo with faces, a flyer with the district mark, a gradebook).

Both are for the slower tests: the concurrency test and the browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from dashboards.review.sidecar import ensure_schema, sidecar_path
from dashboards.review.users import add_user
from tests.dashboards.builders import PASSWORD

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # a Wednesday evening in Chicago
ORTIZ = "eortiz@prairievalley.k12.example"  # monitor of Prairie Valley High (pvhs)
PARK = "jpark@prairievalley.k12.example"  # monitor of Lincoln Elementary
HALE = "superintendent@prairievalley.k12.example"


@dataclass
class DemoWorld:
    config: Path
    db: Path
    base_url: str  # the sample platform server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_demo(base: Path) -> DemoWorld:
    """Run the real nightly audit once against the demo's sample server; add the users."""
    from demo.sample_server import DemoSite, prepare_district
    from flows.audit import nightly_audit

    base.mkdir(parents=True, exist_ok=True)
    site = DemoSite(NOW).start()
    base_url = site.base_url
    try:
        district = prepare_district(base, base_url, NOW)
        db = base / "warehouse.duckdb"
        nightly_audit(str(district), str(db), now=NOW.isoformat(), trigger="test")
    finally:
        site.stop()
    side = sidecar_path(db)
    ensure_schema(side)
    add_user(side, ORTIZ, "monitor", "m-ortiz", PASSWORD)
    add_user(side, PARK, "monitor", "m-park", PASSWORD)
    add_user(side, HALE, "superintendent", "s-hale", PASSWORD)
    return DemoWorld(district, db, base_url)


def copy_world(world: DemoWorld, target: Path) -> DemoWorld:
    shutil.copytree(world.db.parent, target)
    return DemoWorld(target / "district", target / "warehouse.duckdb", world.base_url)


class LiveServer:
    """`hallmonitor review` in a subprocess; stopped by its own PID."""

    def __init__(
        self, config: Path, db: Path, *extra: str, port: int = 0, env: dict[str, str] | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log = db.parent / f"review-{self.port}.log"
        self._log_handle = self.log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "review",
                "--config",
                str(config),
                "--db",
                str(db),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--insecure-cookies",
                "--refresh-seconds",
                "1",
                *extra,
            ],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"review server exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("review server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_handle.close()


NODE_DIR = Path(__file__).resolve().parent / "node"
CLIENT_ID = "hallmonitor-review"
CLIENT_SECRET = "review-test-client-secret"


class OpenIdProvider:
    """node's oidc-provider on 127.0.0.1, for one app redirect URI; stopped by its own PID."""

    def __init__(self, redirect_uri: str, log_dir: Path) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"oidc-{self.port}.log"
        self._log_handle = self.log.open("wb")
        self.proc = subprocess.Popen(
            ["node", str(NODE_DIR / "provider.mjs"), str(self.port), redirect_uri, CLIENT_SECRET],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            cwd=NODE_DIR,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"provider exited: {self.log.read_text()}")
            try:
                url = f"{self.issuer}/.well-known/openid-configuration"
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("provider did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_handle.close()


def sso_server(config: Path, db: Path, log_dir: Path) -> tuple[LiveServer, OpenIdProvider]:
    """The app with single sign-on against a fresh provider; both on 127.0.0.1."""
    port = free_port()
    provider = OpenIdProvider(f"http://127.0.0.1:{port}/oidc/callback", log_dir)
    try:
        server = LiveServer(
            config,
            db,
            "--oidc-issuer",
            provider.issuer,
            "--oidc-client-id",
            CLIENT_ID,
            "--public-url",
            f"http://127.0.0.1:{port}",
            port=port,
            env={"HALLMONITOR_OIDC_CLIENT_SECRET": CLIENT_SECRET},
        )
    except RuntimeError:
        provider.stop()
        raise
    return server, provider
