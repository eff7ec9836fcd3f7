"""A small warehouse for the review app's tests: findings on posts of two schools, a hostile post,
an edited post, an image with detected faces, and users of every role.

The district is the report tests' fictional Riverbend (tests/reports/builders.py): Pat monitors
Riverbend High (rhs), Lee the whole district, Dr. Superintendent sees counts only.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from dashboards.review.sidecar import ensure_schema, sidecar_path
from dashboards.review.users import add_user
from tests.reports.builders import write_config
from warehouse.db import connect, media_dir

PASSWORD = "correct horse battery"
USERS = {  # username -> (role, monitor id)
    "pat@riverbend.example": ("monitor", "m-rhs"),
    "lee@riverbend.example": ("monitor", "m-all"),
    "sup@riverbend.example": ("superintendent", "sup"),
    "admin@riverbend.example": ("admin", None),
}
HOSTILE_TEXT = 'Congrats <script>alert("pwned")</script> team! <img src=x onerror="alert(1)">'
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SEVERITIES = ("low", "medium", "high", "critical")


@dataclass
class Built:
    config: Path
    db: Path
    ids: dict[str, str] = field(default_factory=dict)  # name -> finding id


def png(width: int = 320, height: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), (200, 220, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 120, 110), fill=(230, 190, 160))
    draw.ellipse((200, 50, 260, 120), fill=(220, 180, 150))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _finding_row(
    fid: str,
    account: str,
    post: str | None,
    check: str,
    severity: str,
    at: datetime,
    summary: str,
    spans: list[dict],
    version: int = 1,
    status: str = "open",
) -> list:
    evidence = {
        "summary": summary,
        "category": "student record disclosed",
        "spans": spans,
        "details": {},
        "detector": "roster",
        "score": 0.97,
    }
    citation = {"policy": "DEBH-AP", "section": "3.2", "quote": "Do not disclose student records."}
    return [
        fid,
        "riverbend",
        account,
        post,
        version,
        "post",
        check,
        f"wf.{check}",
        "confidential-information",
        json.dumps(citation),
        "violation" if severity in ("high", "critical") else "advisory",
        severity,
        "student record disclosed",
        summary,
        json.dumps(evidence),
        "west-fargo-debh-ap",
        "2026.11.1",
        status,
        None,
        at,
        at,
        "run-1",
        "run-1",
    ]


def _post(con, post_id: str, account: str, text: str, at: datetime, versions: list[str]) -> None:
    con.execute(
        "INSERT INTO posts (post_id, district_id, account_id, platform, native_id, kind, "
        "permalink, text, current_version, content_hash, first_seen, last_seen) VALUES "
        "(?, 'riverbend', ?, 'rss', ?, 'post', ?, ?, ?, 'h', ?, ?)",
        [
            post_id,
            account,
            post_id,
            f"https://rhs.riverbend.example/{post_id}",
            text,
            len(versions),
            at,
            at,
        ],
    )
    for number, body in enumerate(versions, start=1):
        con.execute(
            "INSERT INTO post_versions (post_id, version, content_hash, text, captured_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [post_id, number, f"h{number}", body, at + timedelta(days=number - 1)],
        )


def build(base: Path, extra_findings: int = 0) -> Built:
    """The district config and warehouse; `extra_findings` adds that many plain findings."""
    config = write_config(base / "district")
    db = base / "warehouse.duckdb"
    built = Built(config, db)
    with connect(db) as con:
        con.execute(
            "INSERT INTO districts VALUES ('riverbend', 'Riverbend Public Schools', "
            "'west-fargo-debh-ap', 'America/Chicago', NULL, ?)",
            [T0],
        )
        rows = []
        text = "Great game tonight, Zephyrine Quillfeather scored twice!"
        _post(con, "p-rhs", "rhs-athletics", text, T0, [text])
        start = text.index("Zephyrine")
        rows.append(
            _finding_row(
                "f-rhs",
                "rhs-athletics",
                "p-rhs",
                "confidentiality",
                "high",
                T0,
                "Zephyrine Quillfeather named (S-771903)",
                [{"start": start, "end": start + 22, "label": "student"}],
            )
        )
        _post(con, "p-rms", "rms-news", "RMS spelling bee: Bart V. won", T0, ["RMS spelling"])
        rows.append(
            _finding_row(
                "f-rms",
                "rms-news",
                "p-rms",
                "media_opt_out",
                "critical",
                T0,
                "Bartholomew named, opted out",
                [],
            )
        )
        _post(con, "p-evil", "band", HOSTILE_TEXT, T0, [HOSTILE_TEXT])
        rows.append(
            _finding_row(
                "f-evil",
                "band",
                "p-evil",
                "contact_info",
                "medium",
                T0 + timedelta(hours=1),
                "Markup <b>in</b> the summary",
                [{"start": 9, "end": 17, "label": "markup"}],
            )
        )
        old, new = "Coach says: call me at 555-0101", "Coach says: call the office"
        _post(con, "p-edit", "coach-smith", new, T0, [old, new])
        rows.append(
            _finding_row(
                "f-edit",
                "coach-smith",
                "p-edit",
                "contact_info",
                "medium",
                T0 + timedelta(hours=2),
                "Personal phone number",
                [{"start": 23, "end": 31, "label": "phone"}],
            )
        )
        rows[-1][4] = 1  # flagged on version 1, since edited
        _image(con, db, "p-rhs")
        for i in range(extra_findings):
            account = ("rhs-athletics", "band", "rms-news", "district-fb")[i % 4]
            rows.append(
                _finding_row(
                    f"x{i:06d}",
                    account,
                    "p-rhs",
                    "logo_use",
                    SEVERITIES[i % 4],
                    T0 + timedelta(minutes=i),
                    f"Logo use #{i}",
                    [],
                )
            )
        con.executemany("INSERT INTO findings VALUES (" + ", ".join("?" * 23) + ")", rows)
    built.ids = {"rhs": "f-rhs", "rms": "f-rms", "evil": "f-evil", "edit": "f-edit"}
    ensure_schema(sidecar_path(db))
    for username, (role, monitor) in USERS.items():
        add_user(sidecar_path(db), username, role, monitor, PASSWORD)
    return built


def _image(con, db: Path, post_id: str) -> None:
    data = png()
    sha = hashlib.sha256(data).hexdigest()
    folder = media_dir(db) / sha[:2]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / sha).write_bytes(data)
    con.execute(
        "INSERT INTO media VALUES (?, 'image/png', ?, ?, ?)",
        [sha, len(data), f"{sha[:2]}/{sha}", T0],
    )
    con.execute(
        "INSERT INTO post_media VALUES (?, 0, ?, 'image', 'Team photo', ?)",
        [post_id, f"https://rhs.riverbend.example/{sha}.png", sha],
    )
    analysis = {
        "sha256": sha,
        "ok": True,
        "width": 320,
        "height": 200,
        "faces": [
            {"box": [60, 40, 60, 70], "score": 0.91},
            {"box": [200, 50, 60, 70], "score": 0.88},
        ],
        "figures": [{"box": [130, 30, 60, 120], "score": 0.62}],
        "logos": [],
        "ocr_text": "GO OTTERS",
    }
    con.execute(
        "INSERT INTO media_analysis (sha256, analyser_version, marks_key, ok, "
        "face_count, analysis_json, analysed_at) VALUES (?, 'v', '', true, 2, ?, ?)",
        [sha, json.dumps(analysis), T0],
    )
