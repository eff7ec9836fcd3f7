"""What a check sees (Target), what it returns (Hit) and what the engine makes of it (Finding).

Detection is kept apart from citation: a check only says *what* it found and shows the evidence;
the pack's rule says which clause that breaks, at what level and severity.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from hallmonitor.config import Account, DistrictConfig

if TYPE_CHECKING:
    from rules.detect.lexicons.matcher import Gate


class Level(StrEnum):
    VIOLATION = "violation"
    ADVISORY = "advisory"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of the target's `text` that are evidence, with a label."""

    start: int
    end: int
    label: str


@dataclass
class Target:
    """One stored post version (or profile) as the checks see it."""

    post_id: str
    version: int
    account: Account
    platform: str
    kind: str  # post | comment | share | profile | page
    permalink: str
    text: str
    published_at: datetime | None
    title: str | None = None
    author: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalised once, here, for every check: some platforms and feeds send decomposed
        # Unicode (NFD: "Jose" + U+0301), which would otherwise never match the roster's "José".
        # ASCII text (most posts) is already normal; the check costs one C-level scan.
        text = self.text
        if text and not text.isascii() and not unicodedata.is_normalized("NFC", text):
            self.text = unicodedata.normalize("NFC", text)


@dataclass
class Hit:
    """A check's positive result. `key` identifies the hit within the target, stably across runs
    (e.g. the student id and record category), so a re-run finds the same finding."""

    key: str
    summary: str  # one line a monitor reads first; may name students (stays behind sign-in)
    category: str  # a category safe for summaries and e-mails (never names or quotes)
    spans: list[Span] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    detector: str = ""
    score: float = 1.0
    # A check may *lower* its rule's level when the evidence is weak (a class photo inferred
    # from one signal is advisory); it can never raise it. None: the rule's level.
    level: Level | None = None

    def evidence(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "category": self.category,
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in self.spans],
            "details": self.details,
            "detector": self.detector,
            "score": round(self.score, 4),
        }


T = TypeVar("T")


class CheckParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckContext:
    """Everything a check may consult besides the target; built once per run."""

    def __init__(self, config: DistrictConfig, now: datetime) -> None:
        self.config = config
        self.now = now
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Memoise expensive per-run structures (e.g. the roster automaton) across targets."""
        if key not in self._cache:
            self._cache[key] = build()
        value: T = self._cache[key]
        return value


P = TypeVar("P", bound=CheckParams)


class Check(ABC, Generic[P]):
    """A detector registered by name. A subclass names its parameters model as the type argument
    (`class Conduct(Check[ConductParams])`), sets `name` and implements `run`; `Params` is taken
    from the type argument, so the model the engine validates a pack's `params` with and the type
    `run` is checked against are one and the same.

    The class docstring's first line is shown in `hallmonitor policy show`."""

    name: ClassVar[str]
    # What a superintendent reads instead of `name` (reports): short, plain language.
    title: ClassVar[str] = ""
    Params: ClassVar[type[CheckParams]] = CheckParams
    # Which targets the check reads: "post" (posts, comments, shares), "profile", or both.
    subjects: ClassVar[tuple[str, ...]] = ("post",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Check:
                (model,) = get_args(base)
                if isinstance(model, type) and issubclass(model, CheckParams):
                    cls.Params = model

    @abstractmethod
    def run(self, target: Target, params: P, ctx: CheckContext) -> list[Hit]: ...

    def gate(self, params: P, ctx: CheckContext) -> Gate | None:
        """Optional speed-up: the words without which `run` finds nothing in a post. The engine
        skips the rule for posts where the gate stays shut. None: always run."""
        return None

    def prepare(self, targets: list[Target], params: P, ctx: CheckContext) -> None:
        """Optional: look at a whole batch once before `run` is called on its targets (e.g. one
        classifier call for every post that needs it). Does nothing unless overridden."""
        return None


def finding_id(district_id: str, post_id: str, rule_id: str, key: str) -> str:
    """Deterministic, so re-running the same night upserts instead of duplicating."""
    digest = hashlib.sha256(json.dumps([district_id, post_id, rule_id, key]).encode()).hexdigest()
    return digest[:24]
