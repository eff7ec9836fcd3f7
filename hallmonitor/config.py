"""The district's configuration: district.yaml, accounts.yaml, the rosters and the logos.

Everything is validated at load, before anything is fetched. A problem is reported with the file,
the line where there is one, and the field, e.g. ``accounts.yaml:14: accounts[2].permission.expires:
invalid date``. Nothing here touches the network.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hallmonitor.yamlsrc import SourcedYaml, TextFileError, YamlSyntaxError, load_yaml, read_text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Prefixes of tokens the supported platforms issue (Facebook/Instagram Graph "EAA...", Instagram
# Basic "IGQV...", Google "ya29."/"AIza...", GitHub, Slack, OpenAI-style keys, JWTs "eyJ...").
_TOKEN_PREFIXES = (
    "EAA",
    "IGQV",
    "IGAA",
    "ya29.",
    "AIza",
    "ghp_",
    "gho_",
    "github_pat_",
    "xox",
    "sk-",
    "eyJ",
)
_SECRET_MIN_LENGTH = 40  # environment variable names are words; tokens are long strings

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SCHOOL_WEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class Catalog:
    """What this installation can do, from the registries above the kernel (flows/district.py
    builds it): the policy packs in rules/packs/ and the platforms in connectors.CONNECTORS. The
    kernel validates names against it and never lists them itself."""

    policies: frozenset[str]
    platforms: frozenset[str]


_KIND_NAMES = {"policies": "policy pack", "platforms": "platform"}


def _known(kind: str, value: str, info: ValidationInfo) -> str:
    catalog = (info.context or {}).get("catalog")
    if catalog is not None:
        known = getattr(catalog, kind)
        if value not in known:
            raise ValueError(
                f"unknown {_KIND_NAMES[kind]} {value!r}; known: {', '.join(sorted(known))}"
            )
    return value


def looks_like_secret(value: str) -> bool:
    """True when `value` looks like a token rather than the name of a variable holding one:
    a known token prefix followed by random characters, or a long string of mixed-case letters
    and digits with few underscores (names are UPPER_CASE_WORDS). Names such as
    `DISTRICT_FB_TOKEN` or `eaa_token` stay allowed."""
    if any(
        value.startswith(p) and len(value) >= len(p) + 12 and "_" not in value[len(p) :]
        for p in _TOKEN_PREFIXES
    ):
        return True
    mixed_case = any(c.islower() for c in value) and any(c.isupper() for c in value)
    digits = sum(c.isdigit() for c in value)
    if len(value) >= _SECRET_MIN_LENGTH and value.count("_") < len(value) // 12:
        return True
    return len(value) >= 20 and mixed_case and digits >= 3 and value.count("_") <= 1


class Strict(BaseModel):
    """Unknown keys are errors: a typo'd field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InstructionalDay(Strict):
    start: time = time(8, 0)
    end: time = time(15, 30)
    weekdays: list[Weekday] = Field(default_factory=lambda: list(SCHOOL_WEEK))

    @field_validator("weekdays", mode="before")
    @classmethod
    def _lower_case_days(cls, value: Any) -> Any:
        """`Mon` and `mon` name the same day (district files are written by people)."""
        if isinstance(value, list):
            return [v.strip().lower() if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> InstructionalDay:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class School(Strict):
    id: str
    name: str


class Monitor(Strict):
    id: str
    name: str
    email: str
    role: Literal["monitor", "superintendent"]
    schools: list[str] = Field(default_factory=list)  # empty: the whole district

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value


class Schedule(Strict):
    """Local times (district time zone) for the scheduled deployments."""

    audit: str = "0 2 * * *"
    digest: str = "30 6 * * *"
    monthly: str = "0 7 1 * *"


class District(Strict):
    id: str
    name: str
    policy: str
    timezone: str
    names: list[str] = Field(min_length=1)
    email_domains: list[str] = Field(default_factory=list)
    homepage: str
    phone: str | None = None
    instructional_day: InstructionalDay = Field(default_factory=InstructionalDay)
    backfill_days: int = Field(default=90, ge=1, le=36500)
    rescan_days: int = Field(default=30, ge=1, le=365)
    overlap_minutes: int = Field(default=60, ge=0, le=10080)
    logos: list[str] = Field(default_factory=list)
    schools: list[School] = Field(default_factory=list)
    monitors: list[Monitor] = Field(default_factory=list)
    review_url: str | None = None
    schedule: Schedule = Field(default_factory=Schedule)
    # Per-rule parameter overrides: {rule_id: {param: value}} or {"*": {...}} for every rule.
    policy_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("policy")
    @classmethod
    def _policy_known(cls, value: str, info: ValidationInfo) -> str:
        return _known("policies", value, info)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("homepage", "review_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Permission(Strict):
    basis: str = Field(min_length=3)
    granted: date
    expires: date

    @model_validator(mode="after")
    def _order(self) -> Permission:
        if self.expires < self.granted:
            raise ValueError("expires is before granted")
        return self


class Account(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["sponsored", "employee"]
    platform: str
    locator: str = Field(min_length=1)
    name: str | None = None
    api_base: str | None = None
    token_env: str | None = None
    school: str | None = None
    responsible: str | None = None
    owner: str | None = None
    permission: Permission | None = None
    logo_permission: bool = False
    # Extra hosts media may be downloaded from (e.g. a blog's CDN); the API host is always allowed.
    media_hosts: list[str] = Field(default_factory=list)

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        # The message never repeats the value: it may be a token pasted in by mistake.
        if value is not None and (not _ENV_NAME.match(value) or looks_like_secret(value)):
            raise ValueError(
                "must be the NAME of an environment variable (e.g. DISTRICT_FB_TOKEN), not the "
                "token itself; this value looks like a token: revoke it with the platform, put "
                "the new one in the service's environment and name that variable here"
            )
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _kind_fields(self) -> Account:
        if self.kind == "employee" and not self.owner:
            raise ValueError("an employee account needs `owner` (the employee id)")
        if self.kind == "sponsored" and self.permission is not None:
            raise ValueError("`permission` is only for employee accounts")
        return self

    @field_validator("platform")
    @classmethod
    def _platform_known(cls, value: str, info: ValidationInfo) -> str:
        return _known("platforms", value, info)


class AccountsFile(Strict):
    accounts: list[Account]


@dataclass(frozen=True)
class Student:
    student_id: str
    first_name: str
    last_name: str
    preferred_name: str
    school: str
    grade: str
    media_opt_out: bool
    photo_consent: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class StaffMember:
    employee_id: str
    first_name: str
    last_name: str
    email: str
    school: str
    role: str


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(Exception):
    """Raised before any fetch when the configuration cannot be used. Lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class DistrictConfig:
    base_dir: Path
    district: District
    accounts: list[Account]
    students: list[Student]
    staff: list[StaffMember]
    logo_paths: list[Path] = field(default_factory=list)

    def account(self, account_id: str) -> Account:
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise KeyError(account_id)


STUDENT_COLUMNS = (
    "student_id",
    "first_name",
    "last_name",
    "preferred_name",
    "school",
    "grade",
    "media_opt_out",
    "photo_consent",
)
STAFF_COLUMNS = ("employee_id", "first_name", "last_name", "email", "school", "role")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


def load_config(directory: str | Path, catalog: Catalog) -> DistrictConfig:
    """Load and cross-check a district directory; raise ConfigError naming every problem.
    Policy and platform names are checked against `catalog` (flows.district.load_district)."""
    base = Path(directory)
    problems: list[Problem] = []
    if not base.is_dir():
        raise ConfigError([Problem(str(base), None, "", "configuration directory not found")])
    district = _load_model(base / "district.yaml", District, problems, catalog)
    accounts_file = _load_model(base / "accounts.yaml", AccountsFile, problems, catalog)
    students = _load_students(base / "roster" / "students.csv", problems)
    staff = _load_staff(base / "roster" / "staff.csv", problems)
    accounts = accounts_file.accounts if accounts_file else []
    logo_paths: list[Path] = []
    if district is not None:
        logo_paths = _check_logos(base, district, problems)
    if district is not None and accounts_file is not None:
        _cross_check(base, district, accounts, staff, problems)
    if problems:
        raise ConfigError(problems)
    assert district is not None
    return DistrictConfig(base, district, accounts, students, staff, logo_paths)


def _load_model(
    path: Path, model: type[BaseModel], problems: list[Problem], catalog: Catalog
) -> Any:
    if not path.is_file():
        problems.append(Problem(str(path), None, "", "file not found"))
        return None
    try:
        source = load_yaml(path)
    except YamlSyntaxError as exc:
        problems.append(Problem(str(path), exc.line, "", exc.message))
        return None
    if not isinstance(source.data, dict):
        problems.append(Problem(str(path), 1, "", "expected a mapping of keys to values"))
        return None
    try:
        return model.model_validate(source.data, context={"catalog": catalog})
    except ValidationError as exc:
        problems.extend(problems_from(exc, source))
        return None


def problems_from(exc: ValidationError, source: SourcedYaml) -> list[Problem]:
    found = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (typo?)"
        found.append(Problem(str(source.path), source.line_for(loc), _dotted(loc), message))
    return found


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read_csv(
    path: Path, columns: tuple[str, ...], problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        problems.append(Problem(str(path), None, "", "file not found"))
        return []
    try:
        text = read_text(path)
    except TextFileError as exc:
        problems.append(Problem(str(path), exc.line, "", exc.message))
        return []
    if not text.strip():
        problems.append(
            Problem(
                str(path),
                None,
                "",
                f"the file is empty: expected a header line "
                f"{','.join(columns)} and one row per person",
            )
        )
        return []
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" (UTF-16) is tab-separated: unambiguous, so it is read as it is.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing and len(header) == 1 and header[0].count(";") >= 1:
        problems.append(
            Problem(
                str(path),
                1,
                "",
                "columns are separated by semicolons: save it as "
                "comma-separated CSV (Excel: 'CSV UTF-8 (Comma delimited)')",
            )
        )
        return []
    if missing:
        problems.append(Problem(str(path), 1, ",".join(missing), "missing column(s)"))
        return []
    return [
        (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
    ]


def _flag(path: Path, line: int, column: str, raw: str, problems: list[Problem]) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        problems.append(Problem(str(path), line, column, f"expected true/false, got {raw!r}"))
    return False


def _load_students(path: Path, problems: list[Problem]) -> list[Student]:
    students, seen = [], set()
    for line, row in _read_csv(path, STUDENT_COLUMNS, problems):
        for column in ("student_id", "first_name", "last_name"):
            if not row[column]:
                problems.append(Problem(str(path), line, column, "must not be empty"))
        if row["student_id"] in seen:
            problems.append(
                Problem(str(path), line, "student_id", f"duplicate id {row['student_id']!r}")
            )
        seen.add(row["student_id"])
        students.append(
            Student(
                student_id=row["student_id"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                preferred_name=row["preferred_name"],
                school=row["school"],
                grade=row["grade"],
                media_opt_out=_flag(path, line, "media_opt_out", row["media_opt_out"], problems),
                photo_consent=_flag(path, line, "photo_consent", row["photo_consent"], problems),
            )
        )
    return students


def _load_staff(path: Path, problems: list[Problem]) -> list[StaffMember]:
    staff = []
    for line, row in _read_csv(path, STAFF_COLUMNS, problems):
        if not row["employee_id"]:
            problems.append(Problem(str(path), line, "employee_id", "must not be empty"))
        if row["email"] and not _EMAIL.match(row["email"]):
            problems.append(
                Problem(str(path), line, "email", f"not an e-mail address: {row['email']!r}")
            )
        staff.append(StaffMember(**{c: row[c] for c in STAFF_COLUMNS}))
    return staff


def _check_logos(base: Path, district: District, problems: list[Problem]) -> list[Path]:
    source = load_yaml(base / "district.yaml")
    paths = []
    for index, relative in enumerate(district.logos):
        path = (base / relative).resolve()
        if not path.is_file():
            problems.append(
                Problem(
                    str(base / "district.yaml"),
                    source.line_for(("logos", index)),
                    f"logos[{index}]",
                    f"file not found: {relative}",
                )
            )
        paths.append(path)
    return paths


def locator_key(account: Account) -> str:
    """What a locator points at, spelled one way: a URL without its scheme, default port,
    fragment or trailing slash, lower-case host (shared by every URL-based platform, whose
    scopes would overlap); a handle lower-case per platform."""
    value = account.locator.strip()
    if not re.match(r"^https?://", value, re.IGNORECASE):
        if account.platform == "wordpress":  # a bare host name, as the connector reads it
            value = f"https://{value}"
        else:
            return f"{account.platform}:{value.lower().lstrip('@')}"
    parts = urlsplit(value)
    host = (parts.hostname or "").rstrip(".")
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"url:{host}{port}{parts.path.rstrip('/')}{query}"


def _cross_check(
    base: Path,
    district: District,
    accounts: list[Account],
    staff: list[StaffMember],
    problems: list[Problem],
) -> None:
    accounts_src = load_yaml(base / "accounts.yaml")
    district_src = load_yaml(base / "district.yaml")
    school_ids = {s.id for s in district.schools}
    staff_ids = {s.employee_id for s in staff}
    seen: set[str] = set()

    def flag(index: int, name: str, message: str) -> None:
        line = accounts_src.line_for(("accounts", index, name))
        problems.append(
            Problem(str(base / "accounts.yaml"), line, f"accounts[{index}].{name}", message)
        )

    locators: dict[str, int] = {}
    for index, account in enumerate(accounts):
        if account.id in seen:
            flag(index, "id", f"duplicate account id {account.id!r}")
        seen.add(account.id)
        key = locator_key(account)
        if key in locators:
            # One locator, two accounts: the permission of one would open the other's pages
            # (a sponsored copy of an unpermitted employee's page), so it is refused outright.
            other = accounts[locators[key]]
            flag(index, "locator", f"same locator as account {other.id!r}: {account.locator!r}")
        locators.setdefault(key, index)
        if account.school and account.school not in school_ids:
            flag(
                index, "school", f"unknown school {account.school!r} (not in district.yaml schools)"
            )
        for role in ("responsible", "owner"):
            person = getattr(account, role)
            if staff and person and person not in staff_ids:
                flag(index, role, f"unknown employee {person!r} (not in roster/staff.csv)")
    for index, monitor in enumerate(district.monitors):
        for school in monitor.schools:
            if school not in school_ids:
                line = district_src.line_for(("monitors", index, "schools"))
                problems.append(
                    Problem(
                        str(base / "district.yaml"),
                        line,
                        f"monitors[{index}].schools",
                        f"unknown school {school!r}",
                    )
                )
