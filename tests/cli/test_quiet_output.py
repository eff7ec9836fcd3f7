"""From cron every line on the console is a mail: `hallmonitor audit` with one unreachable account
prints a few lines (one per coverage gap), tracebacks go to the run's log file, nothing leaks at
exit, and `serve` stops on SIGTERM without a never-awaited coroutine warning."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.sample_server import DemoSite, prepare_district
from flows.console import run_logging

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
HALLMONITOR = str(Path(sys.executable).with_name("hallmonitor"))
# The real command in a fresh interpreter (so what happens at exit is seen too); only the task
# retry delays (10 s, 60 s) are cut to zero so the test does not wait for them.
AUDIT = """
import sys
import flows.audit as audit
audit.fetch_account_task = audit.fetch_account_task.with_options(retry_delay_seconds=0)
from cli.main import cli
cli(sys.argv[1:])
"""


def _environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    env["PREFECT_HOME"] = str(tmp / "prefect-home")
    return env


@pytest.mark.timeout(600)
def test_audit_from_cron_with_one_unreachable_account_prints_a_few_lines(tmp_path: Path) -> None:
    with DemoSite(NOW) as site:
        district = prepare_district(tmp_path, site.base_url, NOW)
        with (district / "accounts.yaml").open("a", encoding="utf-8") as handle:
            handle.write(
                "  - id: unreachable\n    kind: sponsored\n    platform: rss\n"
                '    locator: "http://127.0.0.1:9/feed.xml"\n    responsible: E104\n'
            )
        db = tmp_path / "w.duckdb"
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                AUDIT,
                "audit",
                "--config",
                str(district),
                "--db",
                str(db),
                "--now",
                NOW.isoformat(),
            ],
            capture_output=True,
            text=True,
            env=_environment(tmp_path),
            timeout=540,
            stdin=subprocess.DEVNULL,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) <= 7, output
    assert [line for line in lines if "coverage gap" in line] == [
        next(line for line in lines if "coverage gap: unreachable" in line)
    ]
    for noise in ("Traceback", "nanobind", "leaked", "Task run", "ERROR"):
        assert noise not in output, noise
    logs = list((tmp_path / "w.duckdb.logs").glob("*.log"))
    assert len(logs) == 1 and logs[0].name in output  # named after the run, and said where
    written = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in written and "TransientAccountFailure" in written


def _console(level: int = logging.NOTSET) -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(level)
    logging.getLogger().addHandler(handler)
    return handler, stream


def _fail(logger: str) -> None:
    try:
        raise RuntimeError("connection failed")
    except RuntimeError:
        logging.getLogger(logger).error("Task run failed with exception", exc_info=True)


@pytest.mark.filterwarnings("ignore:Logger 'prefect")  # no flow run here to send logs to
@pytest.mark.parametrize("verbose", [False, True])
def test_tracebacks_go_to_the_run_log_and_to_the_console_only_when_verbose(
    tmp_path: Path, verbose: bool
) -> None:
    handler, stream = _console()
    try:
        with run_logging(tmp_path / "w.duckdb", verbose) as log_path:
            _fail("prefect.task_runs")  # repeats a coverage gap the summary states
            _fail("prefect.flow_runs")  # a real failure: one line, pointing at the file
            logging.getLogger("prefect.flow_runs").info("not fetched: x")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.filters.clear()
    console = stream.getvalue()
    written = log_path.read_text(encoding="utf-8")
    assert written.count("Traceback") == 2 and "not fetched: x" in written
    if verbose:
        assert console.count("Traceback") == 2 and "not fetched: x" in console
    else:
        assert "Traceback" not in console and "not fetched: x" not in console
        assert console.strip().splitlines() == [
            "Task run failed with exception (traceback in the run's log file)"
        ]


@pytest.mark.timeout(300)
def test_serve_stopped_by_sigterm_stops_cleanly_without_coroutine_warnings(
    tmp_path: Path,
) -> None:
    district = prepare_district(tmp_path, "http://127.0.0.1:9", NOW)
    env = _environment(tmp_path)
    env.pop("PREFECT_API_URL", None)
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [HALLMONITOR, "serve", "--config", str(district), "--db", str(tmp_path / "w.duckdb")],
            stdout=stdout,
            stderr=stderr,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 240
            while "serving" not in out.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, err.read_text()
                time.sleep(1)
            time.sleep(10)  # the runner is started after the deployments are printed
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert "hallmonitor: stopping" in out.read_text()
    assert "never awaited" not in err.read_text(), err.read_text()
    assert "Traceback" not in err.read_text(), err.read_text()
