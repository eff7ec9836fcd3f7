"""The `hallmonitor` command line. Commands only: the work is done by plain functions elsewhere."""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path

import click


def _quiet_environment() -> None:
    """No telemetry, and Prefect's state kept beside the project rather than in the home folder."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hallmonitor")
def cli() -> None:
    """Audit a school district's social media accounts against its written policy."""


def _register_commands() -> None:
    import flows.commands as package

    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"flows.commands.{module_info.name}")
        for command in getattr(module, "COMMANDS", []):
            cli.add_command(command)


def main() -> None:
    cli()


# Set before any command imports Prefect or Great Expectations (they read it at import time).
_quiet_environment()
_register_commands()
cli.add_command(importlib.import_module("dashboards.review.commands").review)
cli.add_command(importlib.import_module("dashboards.review.commands").users)
