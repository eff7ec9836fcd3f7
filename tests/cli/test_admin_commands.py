"""The commands an IT administrator runs in the first week: what they print must be true
(`accounts check` agrees with what the audit will do), and mistakes end in a sentence, not a
traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from demo.sample_server import prepare_district
from hallmonitor.clock import clock_from

TODAY = datetime(2026, 11, 21, tzinfo=UTC)


@pytest.fixture()
def district(tmp_path: Path) -> Path:
    return prepare_district(tmp_path, "http://127.0.0.1:9", TODAY)


def _with_token_account(district: Path) -> None:
    with (district / "accounts.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "  - id: district-fb\n    kind: sponsored\n    platform: facebook\n"
            '    locator: "1234567890"\n    token_env: PVPS_TEST_FB_TOKEN\n    responsible: E104\n'
        )


def _row(output: str, account_id: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(account_id + " "))


def test_accounts_check_says_will_not_fetch_when_the_token_variable_is_unset(
    district: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_token_account(district)
    monkeypatch.delenv("PVPS_TEST_FB_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["accounts", "check", "--config", str(district)])
    assert result.exit_code == 0, result.output
    row = " ".join(_row(result.output, "district-fb").split())
    assert "will not fetch token variable PVPS_TEST_FB_TOKEN is not set" in row


def test_accounts_check_says_will_fetch_once_the_token_variable_is_set(
    district: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_token_account(district)
    monkeypatch.setenv("PVPS_TEST_FB_TOKEN", "not-a-real-token")
    result = CliRunner().invoke(cli, ["accounts", "check", "--config", str(district)])
    row = " ".join(_row(result.output, "district-fb").split())
    assert "will fetch" in row and "will not fetch" not in row
    assert "not-a-real-token" not in result.output


def test_eval_on_a_folder_that_is_not_a_corpus_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "--corpus", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a labelled corpus" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_eval_on_a_district_folder_without_labels_is_a_usage_error(district: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "--corpus", str(district)])
    assert result.exit_code == 2 and "posts.jsonl" in result.output


@pytest.mark.parametrize(
    ("value", "tz", "day"),
    [
        ("2027-10-01", "America/Chicago", "2027-10-01"),  # not Sept 30 (UTC midnight)
        ("2027-10-01", "Pacific/Honolulu", "2027-10-01"),
        ("2027-10-01", "Asia/Tokyo", "2027-10-01"),
        ("2027-10-01T03:00:00Z", "America/Chicago", "2027-09-30"),  # an instant stays one
    ],
)
def test_bare_date_is_that_day_in_the_district(value: str, tz: str, day: str) -> None:
    from zoneinfo import ZoneInfo

    now = clock_from(value, ZoneInfo(tz)).now()
    assert now.tzinfo is not None
    assert now.astimezone(ZoneInfo(tz)).date().isoformat() == day


def test_accounts_check_judges_a_bare_date_as_that_district_day(district: Path) -> None:
    result = CliRunner().invoke(
        cli, ["accounts", "check", "--config", str(district), "--now", "2027-10-01"]
    )
    assert result.exit_code == 0, result.output
    assert "(permissions judged for 2027-10-01 in America/Chicago)" in result.output


# --- the demo district is the example a district copies -----------------------------------

DEMO = Path(__file__).resolve().parents[2] / "demo" / "district"


def test_accounts_check_works_on_the_demo_district_as_shipped() -> None:
    result = CliRunner().invoke(cli, ["accounts", "check", "--config", str(DEMO)])
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()[1:-1]
    assert len(rows) == 6
    assert sum("will fetch" in row and "will not" not in row for row in rows) >= 2
    assert "{" not in result.output  # no template placeholder anywhere


def _comment_block_above(lines: list[str], index: int) -> str:
    block = []
    for line in reversed(lines[:index]):
        if not line.lstrip().startswith("#"):
            break
        block.append(line)
    return " ".join(block)


def test_every_district_key_is_explained_where_it_stands() -> None:
    from hallmonitor.config import District

    lines = (DEMO / "district.yaml").read_text(encoding="utf-8").splitlines()
    unexplained = []
    for key in District.model_fields:
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
        if index is None:  # optional and shown as a commented example
            index = next(
                (i for i, line in enumerate(lines) if line.startswith(f"#   {key}:")), None
            )
            assert index is not None, f"district.yaml does not show {key!r}"
        elif not _comment_block_above(lines, index):
            unexplained.append(key)
    assert unexplained == []


def test_every_account_field_is_explained_in_accounts_yaml() -> None:
    from hallmonitor.config import Account, Permission

    text = (DEMO / "accounts.yaml").read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    missing = [f for f in [*Account.model_fields, *Permission.model_fields] if f not in header]
    assert missing == []
    assert not (DEMO / "accounts.yaml.in").exists()


def test_demo_copy_points_at_the_sample_server_with_current_permissions(tmp_path: Path) -> None:
    from demo.sample_server import DEMO_BASE_URL

    copy = prepare_district(tmp_path, "http://127.0.0.1:45678", TODAY)
    text = (copy / "accounts.yaml").read_text(encoding="utf-8")
    assert DEMO_BASE_URL not in text and "http://127.0.0.1:45678/athletics/feed.xml" in text
    result = CliRunner().invoke(
        cli, ["accounts", "check", "--config", str(copy), "--now", "2026-11-21"]
    )
    verdicts = {line.split()[0]: line for line in result.output.splitlines()[1:-1]}
    assert "will not" not in verdicts["nguyen-classroom"]
    assert "lapsed on 2026-10-17" in verdicts["okafor-blog"]  # 35 days before "today"
