"""The image step survives what the internet sends: a 1x1 tracking pixel in a district with
marks, a file gone from disk, next to an ordinary photo. Each is a recorded per-item result and
the step finishes (issue 10, item 1)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation.synth import compose
from evaluation.synth.marks import draw_mark
from flows.steps.imaging import analyse_media
from tests.rules.helpers import config
from warehouse.db import connect, media_dir

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_tracking_pixel_and_missing_file_are_per_item_errors(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    folder = media_dir(db)
    folder.mkdir(parents=True)
    draw_mark("district").save(tmp_path / "district.png")
    photo = compose.jpeg_bytes(compose.background(2, np.random.default_rng(2)), 85)
    pixel = _png(1, 1)
    files = {
        _sha(pixel): ("pixel.png", pixel),
        _sha(photo): ("photo.jpg", photo),
        "c" * 64: ("gone.jpg", None),
    }
    with connect(db) as con:
        for n, (sha, (name, data)) in enumerate(files.items()):
            if data is not None:
                (folder / name).write_bytes(data)
            con.execute("INSERT INTO media VALUES (?, 'image/png', 1, ?, ?)", [sha, name, NOW])
            con.execute(
                "INSERT INTO post_media VALUES (?, 0, ?, 'image', NULL, ?)",
                [f"p{n}", f"https://cdn.example.test/{name}", sha],
            )
    cfg = replace(config("west-fargo-debh-ap"), logo_paths=[tmp_path / "district.png"])
    assert analyse_media(db, cfg, ["p0", "p1", "p2"], NOW) == 3
    with connect(db, read_only=True) as con:
        rows = {
            sha: (ok, error, json.loads(data))
            for sha, ok, error, data in con.execute(
                "SELECT sha256, ok, error, analysis_json FROM media_analysis"
            ).fetchall()
        }
    assert rows[_sha(pixel)][0] is False and rows[_sha(pixel)][1].startswith("degenerate:")
    assert rows[_sha(photo)][0] is True and rows[_sha(photo)][2]["phash"]
    assert rows["c" * 64][0] is False
    assert rows["c" * 64][1].startswith("analyser: FileNotFoundError")
