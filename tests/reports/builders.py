"""A small fictional district and a warehouse filled with SQL, for the report tests.

Findings' `summary` and `evidence_json` deliberately name roster students and carry their ids:
the reports must never show them."""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.db import connect

TZ = ZoneInfo("America/Chicago")
STUDENTS = [  # student_id, first, last, preferred
    ("S-771903", "Zephyrine", "Quillfeather", "Zeph"),
    ("S-771904", "Bartholomew", "Vantongeren", "Bart"),
    ("S-771905", "Ottilie", "Marchbanks", "Tilly"),
]
HOSTILE = 'Band & Orchestra <script>alert("x")</script>'

DISTRICT_YAML = """\
id: riverbend
name: Riverbend Public Schools
policy: west-fargo-debh-ap
timezone: America/Chicago
names: ["Riverbend Public Schools", "Riverbend Otters"]
email_domains: [riverbend.example]
homepage: https://www.riverbend.example
review_url: https://review.riverbend.example
schools:
  - {id: rhs, name: Riverbend High School}
  - {id: rms, name: Riverbend Middle School}
monitors:
  - {id: m-rhs, name: Pat Monitor, email: pat@riverbend.example, role: monitor, schools: [rhs]}
  - {id: m-all, name: Lee District, email: lee@riverbend.example, role: monitor}
  - {id: sup, name: Dr. Superintendent, email: sup@riverbend.example, role: superintendent}
"""

ACCOUNTS_YAML = """\
accounts:
  - {id: rhs-athletics, name: RHS Athletics, kind: sponsored, platform: rss, school: rhs,
     locator: "https://rhs.riverbend.example/feed", responsible: e1}
  - {id: rms-news, name: RMS News, kind: sponsored, platform: web, school: rms,
     locator: "https://rms.riverbend.example/", responsible: e2}
  - {id: district-fb, name: Riverbend on Facebook, kind: sponsored, platform: facebook,
     locator: "1234567890", token_env: RIVERBEND_TEST_FB_TOKEN, responsible: e2}
  - id: band
    name: '%s'
    kind: sponsored
    platform: web
    school: rhs
    locator: "https://band.riverbend.example/"
    responsible: e1
  - id: coach-smith
    name: Coach Smith (personal)
    kind: employee
    platform: rss
    school: rhs
    locator: "https://coachsmith.example/feed"
    owner: e1
    permission: {basis: "signed consent form", granted: 2026-01-05, expires: 2026-11-20}
""".replace("%s", HOSTILE.replace("'", "''"))

STAFF_CSV = """employee_id,first_name,last_name,email,school,role
e1,Robin,Smith,robin@riverbend.example,rhs,coach
e2,Sam,Jones,sam@riverbend.example,rms,teacher
"""

CHECKS = [  # check_name, category, level, severity
    ("confidentiality", "student record disclosed", "violation", "high"),
    ("media_opt_out", "opted-out student named", "violation", "critical"),
    ("logo_use", "district mark without permission", "advisory", "low"),
    ("contact_info", "personal contact channel", "advisory", "medium"),
]


def write_config(base: Path) -> Path:
    (base / "roster").mkdir(parents=True, exist_ok=True)
    (base / "district.yaml").write_text(DISTRICT_YAML, encoding="utf-8")
    (base / "accounts.yaml").write_text(ACCOUNTS_YAML, encoding="utf-8")
    rows = ["student_id,first_name,last_name,preferred_name,school,grade,media_opt_out,"
            "photo_consent"]
    rows += [f"{sid},{first},{last},{pref},rhs,10,true,false"
             for sid, first, last, pref in STUDENTS]
    (base / "roster" / "students.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (base / "roster" / "staff.csv").write_text(STAFF_CSV, encoding="utf-8")
    return base


def local(year: int, month: int, day: int, hour: int = 2, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass
class Warehouse:
    """Holds one connection while building (fast); `close()` before the reports open the file."""

    path: Path
    new: bool = True  # False: add to a warehouse built earlier
    counter: int = 0  # ids derive from it: start high when adding to an earlier warehouse
    findings: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stack = ExitStack()
        self.con = self._stack.enter_context(connect(self.path))
        if self.new:
            self.con.execute("INSERT INTO districts (district_id, name, policy, timezone, "
                             "updated_at) VALUES ('riverbend', 'Riverbend Public Schools', "
                             "'west-fargo-debh-ap', 'America/Chicago', ?)", [datetime.now(UTC)])

    def close(self) -> None:
        self.flush()
        self._stack.close()

    def run(self, at: datetime, statuses: dict[str, tuple[str, str | None, str | None]],
            items: int = 12, state: str = "completed") -> str:
        run_id = f"run-{at:%Y%m%dT%H%M}"
        con = self.con
        con.execute("INSERT INTO fetch_runs (run_id, district_id, started_at, finished_at, "
                    "status, trigger) VALUES (?, 'riverbend', ?, ?, ?, 'test')",
                    [run_id, at, at + timedelta(minutes=9), state])
        for account_id, (status, reason, error) in statuses.items():
            con.execute("INSERT INTO coverage (run_id, district_id, account_id, status, reason,"
                        " error, items_fetched) VALUES (?, 'riverbend', ?, ?, ?, ?, ?)",
                        [run_id, account_id, status, reason, error,
                         items if status == "complete" else 0])
        return run_id

    def finding(self, account_id: str, check: int, seen: datetime, *, student: int = 0,
                status: str = "open") -> str:
        self.counter += 1
        name, level, severity = CHECKS[check][1], CHECKS[check][2], CHECKS[check][3]
        sid, first, last, pref = STUDENTS[student % len(STUDENTS)]
        finding_id = hashlib.sha256(f"f{self.counter}".encode()).hexdigest()[:24]
        row = {
            "finding_id": finding_id, "district_id": "riverbend", "account_id": account_id,
            "post_id": f"p{self.counter}", "post_version": 1, "subject": "post",
            "check_name": CHECKS[check][0], "rule_id": f"wf.{CHECKS[check][0]}",
            "clause_id": "confidential-information",
            "citation_json": json.dumps({"policy": "DEBH-AP", "section": "3", "quote": "..."}),
            "level": level, "severity": severity, "category": name,
            "summary": f"{first} {last} ({pref}, {sid}) named with an IEP meeting note",
            "evidence_json": json.dumps({"text": f"Congrats {first} {last} #{sid}",
                                         "student_id": sid}),
            "pack_id": "west-fargo-debh-ap", "pack_version": "2026.11.1", "status": status,
            "status_reason": None, "first_seen": seen, "last_seen": seen,
            "first_run_id": None, "last_run_id": None}
        self.findings.append(row)
        return finding_id

    def flush(self) -> None:
        """Write the findings gathered so far in one connection (thousands stay fast)."""
        if not self.findings:
            return
        import pandas as pd

        frame = pd.DataFrame(self.findings)  # noqa: F841 - read by DuckDB's replacement scan
        columns = ", ".join(frame.columns)
        self.con.execute(f"INSERT INTO findings ({columns}) SELECT {columns} FROM frame")
        self.findings = []

    def review(self, finding_id: str, decided_at: datetime, disposition: str = "confirm") -> None:
        self.con.execute("INSERT INTO reviews (finding_id, disposition, reviewer, note, decided_at)"
                    " VALUES (?, ?, 'pat', 'Zephyrine Quillfeather, see S-771903', ?)",
                    [finding_id, disposition, decided_at])

    def posts(self, account_id: str, at: datetime, count: int, images: int = 0) -> None:
        con = self.con
        for i in range(count):
            self.counter += 1
            post_id = f"post-{self.counter}"
            text = f"Go Otters! {STUDENTS[0][1]} {STUDENTS[0][2]} scored"
            con.execute("INSERT INTO posts (post_id, district_id, account_id, platform, "
                        "native_id, kind, permalink, text, current_version, content_hash, "
                        "first_seen, last_seen) VALUES (?, 'riverbend', ?, 'rss', ?, 'post', "
                        "?, ?, 1, 'h', ?, ?)", [post_id, account_id, post_id,
                                                f"https://x.example/{post_id}", text, at, at])
            con.execute("INSERT INTO post_versions (post_id, version, content_hash, text, "
                        "captured_at) VALUES (?, 1, 'h', ?, ?)", [post_id, text, at])
            if i < images:
                sha = hashlib.sha256(post_id.encode()).hexdigest()
                con.execute("INSERT INTO media (sha256, content_type, bytes, path, first_seen) "
                            "VALUES (?, 'image/png', 10, ?, ?)",
                            [sha, f"{sha[:2]}/{sha}", at])
                con.execute("INSERT INTO post_media (post_id, position, url, role, sha256) "
                            "VALUES (?, 0, ?, 'image', ?)",
                            [post_id, f"https://x.example/{sha}.png", sha])
