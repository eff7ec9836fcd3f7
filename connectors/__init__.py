"""Platform connectors, one module each. A module that defines a `Connector` subclass with a
`platform` name is a connector: adding a platform is adding one file (the registry finds it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from connectors.base import Connector


def _discover() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            platform = getattr(cls, "platform", None)
            if (
                issubclass(cls, Connector)
                and cls.__module__ == module.__name__
                and isinstance(platform, str)
                and not inspect.isabstract(cls)
            ):
                if platform in found and found[platform] is not cls:
                    raise ValueError(f"two connectors for platform {platform!r}")
                found[platform] = cls
    return found


CONNECTORS: dict[str, type[Connector]] = _discover()


def connector_for(platform: str) -> type[Connector]:
    try:
        return CONNECTORS[platform]
    except KeyError:
        raise KeyError(f"no connector for platform {platform!r}") from None
