"""Configuration: the demo district loads; every kind of mistake names file, line and field."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.sample_server import prepare_district
from flows.district import load_district
from hallmonitor.config import ConfigError


@pytest.fixture()
def district(tmp_path: Path) -> Path:
    return prepare_district(tmp_path, "http://127.0.0.1:9", datetime(2026, 11, 21, tzinfo=UTC))


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_demo_district_loads_with_accounts_roster_and_logos(district: Path) -> None:
    config = load_district(district)
    assert config.district.policy == "west-fargo-debh-ap"
    assert {a.id for a in config.accounts} >= {"pvhs-athletics", "okafor-blog", "miller-personal"}
    assert any(s.media_opt_out for s in config.students)
    assert all(p.is_file() for p in config.logo_paths)


def test_typo_in_account_field_names_file_line_and_field(district: Path) -> None:
    accounts = district / "accounts.yaml"
    _replace(accounts, "    responsible: E101", "    responsable: E101")
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    message = str(caught.value)
    assert f"accounts.yaml:{_line_of(accounts, 'responsable')}: accounts[0].responsable" in message
    assert "unknown field" in message


def test_bad_permission_date_names_its_line(district: Path) -> None:
    accounts = district / "accounts.yaml"
    text = accounts.read_text(encoding="utf-8")
    first_expires = next(line for line in text.splitlines() if "expires:" in line)
    _replace(accounts, first_expires, '      expires: "2026-13-45"')
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    problem = caught.value.problems[0]
    assert problem.file.endswith("accounts.yaml")
    assert problem.line == _line_of(accounts, "2026-13-45")
    assert problem.field == "accounts[2].permission.expires"


def test_missing_roster_file_is_named(district: Path) -> None:
    (district / "roster" / "students.csv").unlink()
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    assert any(
        p.file.endswith("roster/students.csv") and "not found" in p.message
        for p in caught.value.problems
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "fragment"),
    [
        ("timezone: America/Chicago", "timezone: America/Chikago", "timezone", "unknown time zone"),
        ("policy: west-fargo-debh-ap", "policy: west-fargo", "policy", "unknown policy pack"),
        ('start: "08:00"', 'start: "16:00"', "instructional_day", "start must be before end"),
        (
            "role: monitor\n    schools: [pvhs]",
            "role: monitor\n    schools: [pvhss]",
            "monitors[0].schools",
            "unknown school",
        ),
    ],
)
def test_district_mistakes_are_reported(
    district: Path, old: str, new: str, field: str, fragment: str
) -> None:
    _replace(district / "district.yaml", old, new)
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    assert any(
        p.field == field and fragment in p.message and p.line for p in caught.value.problems
    ), caught.value


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("owner: E100", "owner: E999", "unknown employee 'E999'"),
        (
            "school: pvhs\n    responsible: E101",
            "school: east\n    responsible: E101",
            "unknown school",
        ),
        (
            "platform: web\n    name: Prairie",
            "platform: tiktok\n    name: Prairie",
            "unknown platform",
        ),
        ("    owner: E102\n", "", "needs `owner`"),
    ],
)
def test_account_mistakes_are_reported(district: Path, old: str, new: str, fragment: str) -> None:
    _replace(district / "accounts.yaml", old, new)
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    assert fragment in str(caught.value)


def test_token_itself_in_token_env_is_refused(district: Path) -> None:
    _replace(
        district / "accounts.yaml",
        "    responsible: E101",
        "    responsible: E101\n    token_env: EAAB-secret-token-value",
    )
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    assert "NAME of an environment variable" in str(caught.value)


def test_bad_roster_flag_names_csv_line(district: Path) -> None:
    _replace(
        district / "roster" / "students.csv",
        "S1002,Liam,Chen,,pvhs,10,false,true",
        "S1002,Liam,Chen,,pvhs,10,maybe,true",
    )
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    assert "roster/students.csv:3: media_opt_out: expected true/false" in str(caught.value)


def test_invalid_yaml_syntax_names_the_line(district: Path) -> None:
    _replace(district / "district.yaml", "names:\n", "names: [oops\n")
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    assert "district.yaml:" in str(caught.value) and "invalid YAML" in str(caught.value)


def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration directory not found"):
        load_district(tmp_path / "nowhere")


def test_every_problem_is_reported_at_once(district: Path) -> None:
    _replace(district / "district.yaml", "timezone: America/Chicago", "timezone: Mars/Base")
    shutil.rmtree(district / "roster")
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    files = {Path(p.file).name for p in caught.value.problems}
    assert {"district.yaml", "students.csv", "staff.csv"} <= files


@pytest.mark.parametrize(
    ("days", "loads"),
    [("[Mon, Tue, WED]", True), ("[mon, tue]", True), ("[Mon, Funday]", False)],
)
def test_weekdays_load_in_any_case_but_must_be_days(district: Path, days: str, loads: bool) -> None:
    _replace(district / "district.yaml", "weekdays: [mon, tue, wed, thu, fri]", f"weekdays: {days}")
    if loads:
        assert load_district(district).district.instructional_day.weekdays[:2] == ["mon", "tue"]
    else:
        with pytest.raises(ConfigError, match="weekdays"):
            load_district(district)


@pytest.mark.parametrize(
    ("platform", "locator"),
    [
        ("rss", '"http://127.0.0.1:9/okafor/feed.xml"'),  # the same feed, spelled the same
        ("rss", '"HTTP://127.0.0.1:9/okafor/feed.xml/"'),  # case and a trailing slash
        ("web", '"http://127.0.0.1:9/okafor/feed.xml"'),  # another URL platform: same scope
    ],
)
def test_a_locator_shared_by_two_accounts_names_file_line_and_field(
    district: Path, platform: str, locator: str
) -> None:
    """A sponsored copy of an unpermitted employee's locator would open that employee's posts."""
    accounts = district / "accounts.yaml"
    with accounts.open("a", encoding="utf-8") as handle:
        handle.write(
            "  - id: copy-of-okafor\n    kind: sponsored\n"
            f"    platform: {platform}\n    locator: {locator}\n"
        )
    with pytest.raises(ConfigError) as caught:
        load_district(district)
    [problem] = caught.value.problems
    lines = accounts.read_text(encoding="utf-8").splitlines()
    assert problem.file.endswith("accounts.yaml")
    assert problem.line == len(lines) and lines[-1].strip() == f"locator: {locator}"
    assert problem.field.endswith("].locator") and "okafor-blog" in problem.message


def test_the_same_handle_on_two_platforms_is_not_shared(district: Path) -> None:
    with (district / "accounts.yaml").open("a", encoding="utf-8") as handle:
        for n, platform in enumerate(("mastodon", "bluesky")):
            handle.write(
                f"  - id: handle-{n}\n    kind: sponsored\n    platform: {platform}\n"
                '    locator: "@prairievalley"\n'
            )
    load_district(district)
