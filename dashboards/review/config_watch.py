"""The district configuration, reloaded when its files change, so no restart is needed.

Who may see what comes from district.yaml (monitors, their schools and roles) and accounts.yaml
(which school each account belongs to), and every request reads it afresh (scope.py). Removing
a monitor must therefore take effect at once: before each request the app compares the files'
modification times and sizes with those it loaded (a few `stat` calls, at most once every
`interval` seconds) and reloads when they differ.

A configuration that no longer loads (a typo half-way through an edit) is not applied: the app
keeps the last one that loaded, logs the problems, records `config.reload_failed` in the audit
trail and shows the error on /healthz, and tries again when the files change next. It does not
fall back to refusing everyone, because one typo would then stop every monitor's work; the
nightly audit refuses the same files, so the error is seen either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from dashboards.review.sidecar import log_event, transaction
from hallmonitor.config import ConfigError, DistrictConfig

log = logging.getLogger(__name__)
WATCHED = ("district.yaml", "accounts.yaml", "roster/students.csv", "roster/staff.csv")


def fingerprint(base: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, mtime in ns, size) of each configuration file; a missing file counts as (0, -1)."""
    parts = []
    for name in WATCHED:
        try:
            stat = (base / name).stat()
            parts.append((name, stat.st_mtime_ns, stat.st_size))
        except FileNotFoundError:
            parts.append((name, 0, -1))
    return tuple(parts)


class ConfigWatch:
    """Holds the current configuration; `check()` reloads it if its files changed."""

    def __init__(
        self,
        config: DistrictConfig,
        load: Callable[[], DistrictConfig] | None,
        sidecar: Path,
        interval: float = 1.0,
    ) -> None:
        self.config = config
        self._load = load
        self._sidecar = sidecar
        self._interval = interval
        self._seen = fingerprint(config.base_dir)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.error: str | None = None  # the last reload's problems, while they last
        self.reloads = 0

    def check(self) -> DistrictConfig:
        """The configuration to serve this request with (reloaded first if its files changed)."""
        if self._load is None or time.monotonic() - self._checked < self._interval:
            return self.config
        with self._lock:
            self._checked = time.monotonic()
            seen = fingerprint(self.config.base_dir)
            if seen != self._seen:
                self._seen = seen
                self._reload()
        return self.config

    def _reload(self) -> None:
        assert self._load is not None
        try:
            config = self._load()
        except ConfigError as exc:
            self.error = str(exc)
            log.error("district configuration not reloaded (keeping the last one):\n%s", exc)
            self._record("config.reload_failed", {"problems": str(exc)[:2000]})
            return
        self.config, self.error = config, None
        self.reloads += 1
        log.warning("district configuration reloaded from %s", config.base_dir)
        monitors = sorted(m.id for m in config.district.monitors)
        self._record("config.reloaded", {"monitors": monitors, "accounts": len(config.accounts)})

    def _record(self, action: str, detail: dict[str, object]) -> None:
        with transaction(self._sidecar) as con:
            log_event(con, "hallmonitor", action, "config", str(self.config.base_dir), detail)
