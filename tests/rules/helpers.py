"""A tiny fictional district built in code (and on disk when a test needs file:line errors)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from flows.district import load_district
from hallmonitor.config import (
    STAFF_COLUMNS,
    STUDENT_COLUMNS,
    Account,
    District,
    DistrictConfig,
    StaffMember,
    Student,
)
from rules.base import CheckContext, Target

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# student_id, first, last, preferred, media_opt_out, photo_consent
STUDENTS = [
    ("20231001", "Maya", "Johnson", "", False, True),  # consented
    ("20231002", "José", "Ramírez", "Pepe", False, False),  # no consent recorded
    ("20231003", "Linh", "Nguyen", "", True, False),  # media opt-out
    ("20231004", "Will", "Turner", "", False, False),  # a first name that is a word
    ("20231005", "Grace", "Olsen", "", False, True),
    ("20231006", "Jaxon", "Whitfield", "", False, False),  # unique first name
    ("20231007", "Emma", "Berg", "", False, False),
    ("20231008", "Emma", "Lund", "", False, True),  # "Emma" is not unique
    ("20231009", "May", "Hill", "", False, False),
    ("20231010", "Zoë", "O'Brien", "", True, False),
]
# employee_id, first, last
STAFF = [
    ("E100", "Thomas", "Nguyen"),  # same surname as student Linh Nguyen
    ("E101", "Rachel", "Ortiz"),
    ("E102", "Daniel", "Berg"),
]


def students() -> list[Student]:
    return [
        Student(sid, first, last, pref, "hs", "10", opt_out, consent)
        for sid, first, last, pref, opt_out, consent in STUDENTS
    ]


def staff() -> list[StaffMember]:
    return [
        StaffMember(
            eid, first, last, f"{first.lower()}.{last.lower()}@prairie.k12.mn.us", "hs", "teacher"
        )
        for eid, first, last in STAFF
    ]


ACCOUNTS = [
    {
        "id": "hs-page",
        "kind": "sponsored",
        "platform": "facebook",
        "locator": "1001",
        "responsible": "E101",
    },
    {
        "id": "emp-ortiz",
        "kind": "employee",
        "platform": "facebook",
        "locator": "2001",
        "owner": "E101",
        "permission": {
            "basis": "signed consent form",
            "granted": "2026-01-01",
            "expires": "2027-06-30",
        },
    },
    {
        "id": "emp-nguyen",
        "kind": "employee",
        "platform": "mastodon",
        "locator": "@tn@example.test",
        "owner": "E100",
        "permission": {
            "basis": "signed consent form",
            "granted": "2026-01-01",
            "expires": "2027-06-30",
        },
    },
]


def district(policy: str = "moorhead-447-1", **extra: Any) -> dict[str, Any]:
    return {
        "id": "prairie",
        "name": "Prairie Lakes Public Schools",
        "policy": policy,
        "timezone": "America/Chicago",
        "names": ["Prairie Lakes Public Schools"],
        "email_domains": ["prairie.k12.mn.us"],
        "homepage": "https://prairie.example.test",
        "phone": "218-555-0100",
        **extra,
    }


def config(
    policy: str = "moorhead-447-1", *, base_dir: Path = Path("."), **extra: Any
) -> DistrictConfig:
    return DistrictConfig(
        base_dir,
        District.model_validate(district(policy, **extra)),
        [Account.model_validate(a) for a in ACCOUNTS],
        students(),
        staff(),
    )


def write_config(directory: Path, policy: str = "moorhead-447-1", **extra: Any) -> DistrictConfig:
    """The same district as files, for tests that need district.yaml line numbers."""
    (directory / "roster").mkdir(parents=True, exist_ok=True)
    (directory / "district.yaml").write_text(
        yaml.safe_dump(district(policy, **extra), sort_keys=False), encoding="utf-8"
    )
    (directory / "accounts.yaml").write_text(
        yaml.safe_dump({"accounts": ACCOUNTS}, sort_keys=False), encoding="utf-8"
    )
    with (directory / "roster" / "students.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(STUDENT_COLUMNS)
        for sid, first, last, pref, opt_out, consent in STUDENTS:
            writer.writerow([sid, first, last, pref, "hs", "10", opt_out, consent])
    with (directory / "roster" / "staff.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(STAFF_COLUMNS)
        for member in staff():
            writer.writerow([getattr(member, c) for c in STAFF_COLUMNS])
    return load_district(directory)


def context(cfg: DistrictConfig | None = None) -> CheckContext:
    return CheckContext(cfg or config(), NOW)


def target(
    text: str,
    account: str = "emp-ortiz",
    cfg: DistrictConfig | None = None,
    post_id: str = "p1",
    kind: str = "post",
) -> Target:
    cfg = cfg or config()
    return Target(
        post_id=post_id,
        version=1,
        account=cfg.account(account),
        platform="facebook",
        kind=kind,
        permalink=f"https://example.test/{post_id}",
        text=text,
        published_at=NOW,
    )
