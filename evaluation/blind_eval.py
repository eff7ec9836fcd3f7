"""Score the real engine on a blind corpus: one folder per district, each line labelled.

A blind corpus is written by people who never read the checks, so its figures say what
a new district gets. Layout (one district; a corpus may also be a folder of such folders)::

    <district>/district.yaml  accounts.yaml  roster/{students,staff}.csv  assets/logos/*.png
    <district>/dev.jsonl  test.jsonl           one post, comment, share or profile per line
    <district>/media/dev/  media/test/         the images the lines reference

Each line: `id`, `account`, `kind` (post | comment | share | profile), `published_at` (ISO with
offset), `text`, `media` ([{file, alt}], paths relative to the district folder), `profile`
(profiles: display_name, website, emails, links, avatar) and `labels` ({check: "pos" | "amb"};
every check not listed is negative; `amb` is not scored for that check).

Every line goes through what the audit does: images through the production media analysis
(`flows.steps.imaging.media_analyser`), the district's pack through `RuleSet.for_district`, and
`flows.steps.checking.evaluate_targets` (the post's text, then the text read inside its images).
Counting is per line per check, as in evaluation/text_eval.py. Only the split asked for is opened:
the test half of a blind corpus is for whoever did not tune on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evaluation.media_cache import MediaCache
from evaluation.scores import Score
from flows.district import load_district
from flows.steps.checking import evaluate_targets
from flows.steps.imaging import media_analyser, sponsored_images_of, sponsored_phashes_of
from hallmonitor.config import DistrictConfig
from rules.base import CheckContext, Target

# The checks the blind corpus labels (its brief; student_connection from batch 6 on).
LABELLED_CHECKS = (
    "confidentiality",
    "student_image",
    "logo_use",
    "conduct",
    "spokesperson",
    "political_use",
    "disclaimer",
    "district_email",
    "work_hours",
    "page_governance",
    "student_connection",
)
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Line:
    """One labelled line: what it should raise, and what it may raise without being counted."""

    district: str
    pack: str
    post_id: str
    positive: frozenset[str]
    ambiguous: frozenset[str]
    why: str = ""


@dataclass
class DistrictRun:
    district: str
    pack: str
    checks: frozenset[str]  # the pack's active checks plus any labelled one
    lines: list[Line]
    found: dict[str, dict[str, list[str]]]  # post id -> check -> finding summaries
    skipped: list[str] = field(default_factory=list)  # "<district>/<id>: reason", not scored
    # post id -> check -> levels found; a check absent here counts as a violation (older callers)
    levels: dict[str, dict[str, set[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Error:
    kind: str  # FP | FN
    check: str
    pack: str
    district: str
    post_id: str
    detail: str


@dataclass
class BlindOutcome:
    split: str
    lines: int
    by_check: list[Score]
    by_pack: dict[str, list[Score]]  # pack -> per-check scores, then "ALL" (micro average)
    errors: list[Error] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "lines": self.lines,
            "checks": [_score_json(s) for s in self.by_check],
            "packs": {p: [_score_json(s) for s in scores] for p, scores in self.by_pack.items()},
            "errors": [e.__dict__ for e in self.errors],
            "skipped": self.skipped,
        }


def _score_json(score: Score) -> dict[str, Any]:
    data = dict(score.__dict__)
    for key in ("precision", "recall", "f1"):
        data[key] = round(data[key], 4)
    return data


def is_blind_corpus(path: Path) -> bool:
    """A district folder with split files, or a folder holding such districts."""
    return bool(district_dirs(path, None))


def district_dirs(path: Path, split: str | None) -> list[Path]:
    """District folders under `path` (or `path` itself) that have the split's file (any split's
    when `split` is None)."""
    names = [f"{s}.jsonl" for s in ([split] if split else SPLITS)]

    def has(folder: Path) -> bool:
        return (folder / "district.yaml").is_file() and any((folder / n).is_file() for n in names)

    if has(path):
        return [path]
    return sorted(d for d in path.iterdir() if d.is_dir() and has(d)) if path.is_dir() else []


def read_lines(path: Path) -> list[dict[str, Any]]:
    records = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict) or "id" not in record or "account" not in record:
                raise ValueError("a line needs an object with id and account")
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
        records.append(record)
    return records


def build_target(
    record: dict[str, Any],
    config: DistrictConfig,
    analyse: Callable[[Path], dict[str, Any]],
) -> Target:
    """The line as the checks see a stored item: its media analysed, a profile's avatar as an
    `avatar` medium and its fields in `extra` (as the connectors map a profile)."""
    base = config.base_dir
    kind = record.get("kind") or "post"
    media = [
        _medium(base / item["file"], "image", item.get("alt") or None, analyse)
        for item in record.get("media") or []
    ]
    profile = dict(record.get("profile") or {})
    avatar = profile.pop("avatar", None)
    if isinstance(avatar, str) and avatar:
        media.insert(0, _medium(base / avatar, "avatar", None, analyse))
    published = record.get("published_at")
    return Target(
        post_id=str(record["id"]),
        version=1,
        account=config.account(record["account"]),
        platform=config.account(record["account"]).platform,
        kind=kind,
        permalink=f"https://blind.example/{config.district.id}/{record['id']}",
        text=record.get("text") or "",
        published_at=datetime.fromisoformat(published) if published and kind != "profile" else None,
        title=profile.get("display_name") if kind == "profile" else None,
        media=media,
        extra=profile,
    )


def _medium(
    path: Path, role: str, alt: str | None, analyse: Callable[[Path], dict[str, Any]]
) -> dict[str, Any]:
    analysis = analyse(path) if path.is_file() else None
    return {
        "url": f"file://{path}",
        "role": role,
        "alt": alt,
        "sha256": (analysis or {}).get("sha256"),
        "path": str(path),
        "analysis": analysis,
    }


def run_district(folder: Path, split: str, cache: MediaCache | None = None) -> DistrictRun:
    """Every line of one district's split through the district's pack."""
    from rules.engine import RuleSet

    # Media paths must be absolute: the re-share check reads sponsored images from the root, so
    # a relative corpus path (run from the repository) would leave every re-share unverified.
    folder = folder.resolve()
    config = load_district(folder)
    records = read_lines(folder / f"{split}.jsonl")
    key, analyse_file = media_analyser(config)
    cache = cache or MediaCache(None)

    def analyse(path: Path) -> dict[str, Any]:
        return cache.get(path, key, lambda p: analyse_file(p).to_dict())

    targets, kept, skipped = [], [], []
    for record in records:
        try:
            targets.append(build_target(record, config, analyse))
            kept.append(record)
        except (KeyError, ValueError, TypeError) as exc:  # one bad line must not sink a run
            skipped.append(f"{config.district.id}/{record.get('id')}: {exc!r}")
    records = kept
    ruleset = RuleSet.for_district(config)
    ctx = CheckContext(config, _now(targets))
    phashes = sponsored_phashes_of(targets)
    sponsored = sponsored_images_of(targets)  # re-shares verified by pixels, as in the audit
    ctx.cached("sponsored_phashes", lambda: phashes)
    ctx.cached("sponsored_images", lambda: sponsored)
    found: dict[str, dict[str, list[str]]] = {}
    levels: dict[str, dict[str, set[str]]] = {}
    for draft in evaluate_targets(ruleset, targets, ctx):
        summary = str((draft.evidence or {}).get("summary", ""))
        found.setdefault(draft.post_id or "", {}).setdefault(draft.check_name, []).append(summary)
        levels.setdefault(draft.post_id or "", {}).setdefault(draft.check_name, set()).add(
            draft.level
        )
    pack = config.district.policy
    lines = [_line(config.district.id, pack, r) for r in records]
    checks = {b.check.name for b in ruleset.active} | {c for ln in lines for c in ln.positive}
    return DistrictRun(config.district.id, pack, frozenset(checks), lines, found, skipped, levels)


def _now(targets: list[Target]) -> datetime:
    """A run's "now": the day after the newest line, as a nightly run would see it."""
    times = [t.published_at for t in targets if t.published_at is not None]
    return max(times) + timedelta(days=1) if times else datetime(2026, 12, 31, tzinfo=UTC)


def _line(district: str, pack: str, record: dict[str, Any]) -> Line:
    labels = record.get("labels") or {}
    if not isinstance(labels, dict):
        raise ValueError(f"{record['id']}: labels must be an object")
    positive = frozenset(c for c, v in labels.items() if v == "pos")
    ambiguous = frozenset(c for c, v in labels.items() if v == "amb")
    return Line(district, pack, str(record["id"]), positive, ambiguous, str(record.get("why", "")))


def score(
    runs: Iterable[DistrictRun],
    split: str,
    only: Iterable[str] = (),
    violations_only: bool = False,
) -> BlindOutcome:
    """Per check (all districts), per pack (per check and all checks), and every error.

    `violations_only` counts a check as found only when one of its findings is a violation: how
    an exported-findings scorer that ignores advisories sees the same run."""
    wanted = set(only)
    counts: dict[tuple[str, str], list[int]] = {}  # (pack, check) -> tp, fp, fn
    errors: list[Error] = []
    skipped: list[str] = []
    lines = 0
    for run in runs:
        skipped += run.skipped
        checks = sorted(c for c in run.checks if not wanted or c in wanted)
        for line in run.lines:
            lines += 1
            got = run.found.get(line.post_id, {})
            if violations_only:
                levels = run.levels.get(line.post_id, {})
                got = {c: v for c, v in got.items() if "violation" in levels.get(c, {"violation"})}
            for check in checks:
                if check in line.ambiguous:
                    continue
                tally = counts.setdefault((run.pack, check), [0, 0, 0])
                want, have = check in line.positive, check in got
                if want and have:
                    tally[0] += 1
                elif have:
                    tally[1] += 1
                    detail = " | ".join(got[check])[:300]
                    errors.append(Error("FP", check, run.pack, run.district, line.post_id, detail))
                elif want:
                    tally[2] += 1
                    errors.append(
                        Error("FN", check, run.pack, run.district, line.post_id, line.why[:300])
                    )
    names = _checks(counts)
    by_check = [_sum(check, {k: v for k, v in counts.items() if k[1] == check}) for check in names]
    by_pack: dict[str, list[Score]] = {}
    for pack in sorted({p for p, _ in counts}):
        rows = [Score.of(c, *counts[(pack, c)]) for c in names if (pack, c) in counts]
        mine = {k: v for k, v in counts.items() if k[0] == pack}
        by_pack[pack] = [*rows, _sum("ALL", mine)]
    errors.sort(key=lambda e: (e.check, e.kind, e.pack, e.post_id))
    return BlindOutcome(split, lines, by_check, by_pack, errors, skipped)


def _checks(counts: dict[tuple[str, str], list[int]]) -> list[str]:
    order = {c: i for i, c in enumerate(LABELLED_CHECKS)}
    return sorted({c for _, c in counts}, key=lambda c: (order.get(c, len(order)), c))


def _sum(name: str, counts: dict[tuple[str, str], list[int]]) -> Score:
    tp, fp, fn = (sum(v[i] for v in counts.values()) for i in range(3))
    return Score.of(name, tp, fp, fn)


def run_corpus(
    corpus: Path,
    split: str = "dev",
    pack: str | None = None,
    checks: Iterable[str] = (),
    cache: MediaCache | None = None,
    violations_only: bool = False,
) -> BlindOutcome:
    """Score one split of every district in the corpus (optionally of one pack only)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    folders = district_dirs(corpus, split)
    if not folders:
        raise ValueError(f"{corpus}: no district folder with {split}.jsonl")
    runs = []
    for folder in folders:
        if pack and _policy_of(folder) != pack:
            continue
        runs.append(run_district(folder, split, cache))
    if not runs:
        raise ValueError(f"{corpus}: no district under pack {pack!r}")
    return score(runs, split, checks, violations_only)


def _policy_of(folder: Path) -> str:
    import yaml

    data = yaml.safe_load((folder / "district.yaml").read_text(encoding="utf-8")) or {}
    return str(data.get("policy", ""))


@dataclass(frozen=True)
class Gate:
    """A minimum on one measure, for every scored check or for one: `0.9` or `conduct=0.85`."""

    measure: str  # precision | recall | f1
    value: float
    check: str | None = None

    @classmethod
    def parse(cls, measure: str, text: str) -> Gate:
        check, _, value = text.rpartition("=")
        return cls(measure, float(value), check or None)


def gate_failures(outcome: BlindOutcome, gates: Iterable[Gate]) -> list[str]:
    """Each gate a check with labelled positives falls below, in words."""
    failures = []
    scores = {s.check: s for s in outcome.by_check}
    for gate in gates:
        names = [gate.check] if gate.check else [s.check for s in outcome.by_check if s.n]
        for name in names:
            found = scores.get(name)
            value = getattr(found, gate.measure) if found else 0.0
            if found is None or value < gate.value:
                failures.append(f"{name}: {gate.measure} {value:.3f} < {gate.value:.3f}")
    return failures


def corpus_digest(corpus: Path, split: str) -> str:
    """A short fingerprint of the split's files, so a reported figure names what it measured."""
    digest = hashlib.sha256()
    for folder in district_dirs(corpus, split):
        digest.update((folder / f"{split}.jsonl").read_bytes())
    return digest.hexdigest()[:12]
