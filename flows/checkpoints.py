"""Named points in the audit where a crash-recovery test can stop the process.

The recovery guarantee (a run killed anywhere is finished by the next one, with the same posts,
media, analyses and findings as an uninterrupted run) can only be tested if the test knows where
the process is when it kills it. `checkpoint(name)` is a no-op unless the environment asks to
pause there: with HALLMONITOR_PAUSE_AT=<name> it writes <name> to the file named by
HALLMONITOR_PAUSE_FILE and sleeps, so the test can SIGKILL the process at exactly that point.
Nothing in production sets these variables.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("fetch", "loaded", "imaging", "checking")
PAUSE_SECONDS = 600.0  # long enough for any test to kill us; then carry on as if nothing happened


def checkpoint(name: str) -> None:
    """Pause here when the test hook asks for this point (see the module docstring)."""
    if name not in POINTS:
        raise ValueError(f"unknown checkpoint {name!r}")
    if os.environ.get("HALLMONITOR_PAUSE_AT") != name:
        return
    marker = os.environ.get("HALLMONITOR_PAUSE_FILE")
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    time.sleep(PAUSE_SECONDS)
