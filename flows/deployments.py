"""The three scheduled deployments of one district, and `serve`, which runs them.

Schedules are cron strings in the district's local time (district.yaml `schedule`), handed to
Prefect with the district's time zone, so "02:00" stays 02:00 across daylight-saving changes.
Prefect's scheduler lives in a Prefect server: a flow run with no server gets a temporary API
that cannot schedule. `serve` therefore starts `prefect server start` on 127.0.0.1 when
PREFECT_API_URL is not set, and stops that process (by its PID) when it exits.
Prefect is imported inside the functions: listing the deployments needs no Prefect at all."""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.district import load_district
from hallmonitor.config import DistrictConfig


@dataclass(frozen=True)
class DeploymentSpec:
    name: str  # deployment name, unique per district
    flow_name: str  # the @flow name
    entrypoint: str  # file form, as in prefect.yaml
    cron: str
    timezone: str
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def module_and_function(self) -> tuple[str, str]:
        path, function = self.entrypoint.split(":")
        return path.removesuffix(".py").replace("/", "."), function

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"


def deployment_specs(config: DistrictConfig, config_dir: str | Path,
                     db_path: str | Path) -> list[DeploymentSpec]:
    district = config.district
    params = {"config_dir": str(Path(config_dir).resolve()),
              "db_path": str(Path(db_path).resolve())}
    schedule = district.schedule
    return [
        DeploymentSpec(f"{district.id}-nightly", "nightly-audit", "flows/audit.py:nightly_audit",
                       schedule.audit, district.timezone, dict(params),
                       f"Nightly audit of {district.name}'s accounts"),
        DeploymentSpec(f"{district.id}-digest", "nightly-digest", "flows/reports.py:nightly_digest",
                       schedule.digest, district.timezone, dict(params),
                       "Each monitor's digest of new findings and connection health"),
        DeploymentSpec(f"{district.id}-monthly", "monthly-summary",
                       "flows/reports.py:monthly_summary", schedule.monthly, district.timezone,
                       dict(params), "The superintendent's summary of the month just ended"),
    ]


def describe(specs: list[DeploymentSpec]) -> str:
    lines = []
    for spec in specs:
        lines.append(f"{spec.full_name}\n  entrypoint: {spec.entrypoint}\n"
                     f"  schedule:   cron {spec.cron!r} in {spec.timezone}\n"
                     f"  parameters: {spec.parameters}")
    return "\n".join(lines)


def build_deployments(specs: list[DeploymentSpec]) -> list[Any]:
    """Prefect RunnerDeployments. Entrypoints are module paths (flows.audit.nightly_audit) so the
    served runs import the installed package whatever the working directory."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    deployments = []
    for spec in specs:
        module, function = spec.module_and_function
        flow = getattr(importlib.import_module(module), function)
        deployments.append(flow.to_deployment(
            name=spec.name, schedules=[Cron(spec.cron, timezone=spec.timezone)],
            parameters=spec.parameters, description=spec.description,
            tags=["hallmonitor"], entrypoint_type=EntrypointType.MODULE_PATH))
    return deployments


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def local_server(port: int | None = None, timeout: float = 120.0) -> Iterator[str]:
    """A Prefect server on 127.0.0.1 for as long as the block runs; yields its API URL.
    The server runs in its own session so its workers go with it; it is stopped by its PID."""
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    prefect_cli = Path(sys.executable).with_name("prefect")
    command = [str(prefect_cli)] if prefect_cli.exists() else [sys.executable, "-m", "prefect"]
    process = subprocess.Popen(
        [*command, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(api_url):
            if process.poll() is not None:
                stderr = process.stderr.read() if process.stderr else b""
                error = stderr.decode(errors="replace")[-2000:]
                raise RuntimeError(f"prefect server exited with {process.returncode}: {error}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"prefect server not healthy at {api_url} after {timeout:.0f}s")
            time.sleep(0.5)
        yield api_url
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM to the server's own process group (its PID leads it), SIGKILL after a grace time."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)
        except ProcessLookupError:
            pass
    if process.stderr:
        process.stderr.close()


def _terminate_on_sigterm() -> None:
    """SIGTERM (systemd stop, docker stop) unwinds like Ctrl-C, so the server is stopped too."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def serve(config_dir: str, db_path: str, port: int | None = None) -> None:
    """Register and serve the district's three deployments until interrupted."""
    config = load_district(config_dir)
    specs = deployment_specs(config, config_dir, db_path)
    _terminate_on_sigterm()
    if os.environ.get("PREFECT_API_URL"):
        _serve(specs, os.environ["PREFECT_API_URL"])
        return
    with local_server(port) as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # for the flow-run processes the runner starts
        _serve(specs, api_url)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(specs: list[DeploymentSpec], api_url: str) -> None:
    """`prefect.serve` without its SIGTERM handler: Prefect's `Runner.handle_sigterm` calls the
    async `stop()` from inside the event loop without awaiting it, so every `systemctl stop`
    printed "coroutine 'Runner.astop' was never awaited". SIGTERM here unwinds like Ctrl-C:
    asyncio cancels the runner's tasks and the runner's own clean-up runs."""
    import asyncio

    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        print(f"hallmonitor: serving {len(specs)} deployments on the Prefect API at {api_url}")
        print(describe(specs), flush=True)
        try:  # a stop may come at any moment, also while the deployments are registered
            runner = Runner(pause_on_shutdown=False)
            runner.handle_sigterm = _interrupt  # type: ignore[method-assign]  # see docstring
            for deployment in build_deployments(specs):
                runner.add_deployment(deployment)
            asyncio.run(runner.start())
        except KeyboardInterrupt:
            print("hallmonitor: stopping", flush=True)
