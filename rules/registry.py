"""Checks registered by name. A check module registers itself with @register; the registry imports
every module in rules/checks/ so that adding a check is adding one file."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from rules.base import Check

_CHECKS: dict[str, type[Check[Any]]] = {}


def register(cls: type[Check[Any]]) -> type[Check[Any]]:
    if cls.name in _CHECKS and _CHECKS[cls.name] is not cls:
        raise ValueError(f"check {cls.name!r} registered twice")
    _CHECKS[cls.name] = cls
    return cls


def _load_all() -> None:
    import rules.checks as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"rules.checks.{module.name}")


def checks() -> dict[str, type[Check[Any]]]:
    """Every registered check, by name."""
    _load_all()
    return dict(_CHECKS)


def get(name: str) -> type[Check[Any]]:
    found = checks()
    if name not in found:
        raise KeyError(f"unknown check {name!r}; known: {', '.join(sorted(found))}")
    return found[name]


def check_title(name: str) -> str:
    """The plain-language name of a check for people who do not read identifiers; a check that
    is not installed (an old finding) gets its name with the underscores made spaces."""
    cls = _CHECKS.get(name) or checks().get(name)
    if cls is not None and cls.title:
        return cls.title
    return name.replace("_", " ").capitalize()
