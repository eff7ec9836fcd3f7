"""A file cache of media analyses for repeated evaluations.

Analysing an image (faces, marks, OCR) takes far longer than judging its post, and an evaluation
is re-run many times while the text checks change. As in the warehouse's `media_analysis` table, a
result is keyed by the file's SHA-256, the analyser version and the registered marks, so a changed
detector or mark set is never served a stale answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rules.detect.media_pipeline import ANALYSER_VERSION, sha256_file


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hallmonitor" / "eval-media"


class MediaCache:
    """`get(path, marks_key, analyse)`; with no folder, analyses every time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def get(
        self, path: Path, marks_key: str, analyse: Callable[[Path], dict[str, Any]]
    ) -> dict[str, Any]:
        if self.folder is None:
            self.misses += 1
            return analyse(path)
        entry = (
            self.folder
            / ANALYSER_VERSION
            / (marks_key[:16] or "no-marks")
            / f"{sha256_file(path)}.json"
        )
        if entry.is_file():
            self.hits += 1
            cached: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
            return cached
        self.misses += 1
        text = json.dumps(analyse(path), sort_keys=True)
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(".tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(entry)
        # The JSON form, as a hit returns it and as the audit reads `media_analysis` back: a miss
        # must not hand the checks tuples and NumPy scalars that a hit never would.
        fresh: dict[str, Any] = json.loads(text)
        return fresh
