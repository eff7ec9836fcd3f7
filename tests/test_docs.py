"""Docs are tested too: a command, setting or check that is not documented fails here."""

from __future__ import annotations

import re

import click
import pytest

from cli.main import cli
from hallmonitor.config import Account, District
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def _command_paths(group: click.Group, prefix: str = "hallmonitor") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, path))
    return paths


@pytest.mark.parametrize("command", _command_paths(cli))
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README, f"{command} is not documented in README.md"


@pytest.mark.parametrize("key", sorted(set(District.model_fields) | set(Account.model_fields)))
def test_every_configuration_key_is_documented(key: str) -> None:
    assert f"`{key}`" in CONFIG_DOC, f"{key} is missing from docs/configuration.md"


def test_quick_start_has_exactly_two_commands_and_ci_uses_the_second() -> None:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci
