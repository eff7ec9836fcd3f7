"""District files as Notepad and Excel write them, and tokens pasted where a name belongs: each
mistake names the file and the line and says what to do; a pasted token is never repeated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.sample_server import prepare_district
from flows.district import load_district
from hallmonitor.config import ConfigError, looks_like_secret

FAKE_TOKEN = "EAAGm0PX4ZCpsBAKZC9q2ZBe8ZAXh7ZC1ZBW0ZD"  # the shape of a Graph token, not a real one


@pytest.fixture()
def district(tmp_path: Path) -> Path:
    return prepare_district(tmp_path, "http://127.0.0.1:9", datetime(2026, 11, 21, tzinfo=UTC))


def _problems(district: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        (FAKE_TOKEN, True),
        ("IGQVJXa1b2C3d4E5f6G7h8", True),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", True),
        ("ya29.a0AfH6SMBx3kq9ZLwz", True),
        ("aB3dE5fG7hJ9kL1mN2pQ4rS6", True),  # no known prefix: mixed case and digits
        ("RIVERBEND_FB_TOKEN", False),
        ("EAA_TOKEN", False),  # near-miss: a name that starts like a Graph token
        ("eaa_page_token", False),
        ("PVHS_INSTAGRAM_ACCESS_TOKEN_FOR_THE_ATHLETICS_DEPARTMENT", False),  # long but words
        ("Mastodon_Token2", False),
    ],
)
def test_secret_shaped_values_are_told_from_variable_names(value: str, secret: bool) -> None:
    assert looks_like_secret(value) is secret


def test_token_pasted_as_token_env_is_refused_and_never_repeated(district: Path) -> None:
    accounts = district / "accounts.yaml"
    text = accounts.read_text(encoding="utf-8")
    accounts.write_text(
        text.replace(
            "    responsible: E101", f"    responsible: E101\n    token_env: {FAKE_TOKEN}", 1
        ),
        encoding="utf-8",
    )
    message = _problems(district)
    assert "accounts[0].token_env" in message and "looks like a token" in message
    assert FAKE_TOKEN not in message and FAKE_TOKEN[:8] not in message


def test_windows_1252_district_yaml_names_file_line_and_the_fix(district: Path) -> None:
    path = district / "district.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "name: Prairie Valley Public Schools", "name: Prairie Valley \u2014 Schools"
    )
    path.write_bytes(text.encode("cp1252"))
    line = next(
        n for n, row in enumerate(text.splitlines(), start=1) if "Prairie Valley \u2014" in row
    )
    message = _problems(district)
    assert f"district.yaml:{line}:" in message
    assert "0x97 is not UTF-8" in message and "save it as UTF-8" in message
    assert "codec can't decode" not in message


def test_utf16_students_csv_with_bom_is_read(district: Path) -> None:
    path = district / "roster" / "students.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))  # BOM + UTF-16-LE
    students = load_district(district).students
    assert any(s.full_name == "Maya Johnson" for s in students)


def test_excel_unicode_text_tab_separated_utf16_is_read(district: Path) -> None:
    path = district / "roster" / "students.csv"
    tabbed = path.read_text(encoding="utf-8").replace(",", "\t").replace("\n", "\r\n")
    path.write_bytes(tabbed.encode("utf-16"))
    assert any(s.student_id == "S1001" for s in load_district(district).students)


def test_windows_1252_roster_names_the_line_of_the_first_bad_byte(district: Path) -> None:
    path = district / "roster" / "students.csv"
    text = path.read_text(encoding="utf-8").replace("Liam,Chen", "Liam,Ch\u00e9n")
    path.write_bytes(text.encode("cp1252"))
    message = _problems(district)
    assert "roster/students.csv:3: cannot read the file" in message
    assert "CSV UTF-8" in message


def test_empty_roster_says_it_is_empty(district: Path) -> None:
    (district / "roster" / "staff.csv").write_bytes(b"")
    message = _problems(district)
    assert "staff.csv: the file is empty" in message and "employee_id" in message


def test_empty_district_yaml_says_it_is_empty(district: Path) -> None:
    (district / "district.yaml").write_text("\n", encoding="utf-8")
    assert "district.yaml: the file is empty" in _problems(district)


def test_semicolon_separated_roster_says_so(district: Path) -> None:
    path = district / "roster" / "students.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    message = _problems(district)
    assert "students.csv:1: columns are separated by semicolons" in message
    assert "missing column" not in message
