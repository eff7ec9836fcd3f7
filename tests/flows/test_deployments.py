"""The three scheduled deployments: cron in the district's local time zone, registered on a real
Prefect server that `serve`'s helper starts on 127.0.0.1 and stops by its PID; prefect.yaml
describes the same deployments."""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from flows.deployments import (
    DeploymentSpec,
    _healthy,
    build_deployments,
    deployment_specs,
    describe,
    local_server,
)
from flows.district import load_district
from tests.conftest import ROOT
from tests.reports.builders import write_config

EXPECTED = {  # flow name -> (deployment suffix, default cron, module entrypoint)
    "nightly-audit": ("nightly", "0 2 * * *", "flows.audit.nightly_audit"),
    "nightly-digest": ("digest", "30 6 * * *", "flows.reports.nightly_digest"),
    "monthly-summary": ("monthly", "0 7 1 * *", "flows.reports.monthly_summary"),
}


@pytest.fixture
def specs(tmp_path: Path) -> list[DeploymentSpec]:
    config_dir = write_config(tmp_path / "district")
    return deployment_specs(load_district(config_dir), config_dir, tmp_path / "w.duckdb")


def test_three_deployments_run_at_district_local_times(specs: list[DeploymentSpec],
                                                       tmp_path: Path) -> None:
    deployments = build_deployments(specs)
    assert {d.flow_name for d in deployments} == set(EXPECTED)
    for deployment in deployments:
        suffix, cron, entrypoint = EXPECTED[deployment.flow_name]
        assert deployment.name == f"riverbend-{suffix}"
        [schedule] = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (cron, "America/Chicago")
        assert deployment.entrypoint == entrypoint
        assert deployment.parameters == {"config_dir": str(tmp_path / "district"),
                                         "db_path": str(tmp_path / "w.duckdb")}


def test_schedule_and_time_zone_come_from_district_yaml(tmp_path: Path) -> None:
    config_dir = write_config(tmp_path / "district")
    path = config_dir / "district.yaml"
    text = path.read_text(encoding="utf-8").replace("America/Chicago", "America/Denver")
    path.write_text(text + 'schedule: {audit: "15 1 * * *", digest: "0 6 * * 1-5", '
                           'monthly: "0 8 2 * *"}\n', encoding="utf-8")
    specs = deployment_specs(load_district(config_dir), config_dir, tmp_path / "w.duckdb")
    crons = {s.flow_name: (s.cron, s.timezone) for s in specs}
    assert crons == {"nightly-audit": ("15 1 * * *", "America/Denver"),
                     "nightly-digest": ("0 6 * * 1-5", "America/Denver"),
                     "monthly-summary": ("0 8 2 * *", "America/Denver")}
    assert "cron '0 6 * * 1-5' in America/Denver" in describe(specs)


def test_deployments_register_on_a_local_server_that_stops_on_exit(
        specs: list[DeploymentSpec], monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    with local_server() as api_url:
        assert api_url.startswith("http://127.0.0.1:")
        [server] = started
        os.kill(server.pid, 0)  # alive while the block runs
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            for deployment in build_deployments(specs):
                deployment.apply()
            with get_client(sync_client=True) as client:
                registered = {}
                for spec in specs:
                    found = client.read_deployment_by_name(spec.full_name)
                    [schedule] = found.schedules
                    registered[spec.flow_name] = (schedule.schedule.cron,
                                                  schedule.schedule.timezone, schedule.active,
                                                  found.parameters["db_path"])
    assert registered == {flow: (cron, "America/Chicago", True, specs[0].parameters["db_path"])
                          for flow, (_, cron, _) in EXPECTED.items()}
    assert not _healthy(api_url)  # stopped with the block, by its PID
    assert server.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(server.pid, 0)  # and its whole process group with it


def test_prefect_yaml_describes_the_same_three_deployments(specs: list[DeploymentSpec]) -> None:
    document = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_entrypoint = {d["entrypoint"]: d for d in document["deployments"]}
    assert set(by_entrypoint) == {spec.entrypoint for spec in specs}
    for spec in specs:
        entry = by_entrypoint[spec.entrypoint]
        [schedule] = entry["schedules"]
        assert schedule["cron"] == spec.cron  # district.yaml defaults
        assert schedule["timezone"] == "America/Chicago"
        assert set(entry["parameters"]) == set(spec.parameters)
        assert entry["work_pool"]["name"] == "hallmonitor"
        path, function = spec.entrypoint.split(":")
        assert (ROOT / path).is_file()
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert getattr(module, function).name == spec.flow_name
