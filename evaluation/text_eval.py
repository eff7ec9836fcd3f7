"""Measure the checks on a labelled corpus: precision, recall and F1 per check.

The corpus (tests/fixtures/corpus/text/README.md) is a district directory plus `posts.jsonl`,
each post labelled with the checks that should fire under each pack. Every pack is run through the
real engine (`RuleSet.for_district`) with the corpus district, so what is measured is what a
district gets: the pack's rules, accounts, parameters and overrides. Counting is per post per
check: a post labelled `conduct` that gets two conduct findings is one true positive.

If the corpus has an `images/` folder, the image checks' scores (evaluation/image_eval.py) are
appended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from evaluation import image_eval
from evaluation.scores import Score
from flows.district import load_district
from hallmonitor.config import DistrictConfig
from rules.base import CheckContext, Target
from rules.packs import pack_ids

SHORT_PACKS = {
    "wf": "west-fargo-debh-ap",
    "mh": "moorhead-447-1",
    "wem": "wem-428",
    "jndc": "jndc",
    "alx": "alexandria-471",
}
DEFAULT_PUBLISHED = "2026-10-02T23:30:00Z"  # a Friday, 18:30 in America/Chicago
EVAL_NOW = datetime(2026, 11, 15, tzinfo=UTC)




@dataclass
class Item:
    """One post judged under one pack."""

    pack: str
    target: Target
    expected: frozenset[str]
    note: str = ""
    split: str = "dev"  # "holdout": written after the checks were tuned, never tuned against


@dataclass
class Outcome:
    scores: list[Score]
    items: int
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, check, pack, id


def load_items(corpus: Path, config: DistrictConfig) -> list[Item]:
    """Every (post, pack) pair in posts.jsonl with its expected checks."""
    items = []
    lines = (corpus / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            items.extend(_items_of(record, config))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{corpus / 'posts.jsonl'}:{number}: {exc}") from exc
    return items


def _pack_id(name: str) -> str:
    pack = SHORT_PACKS.get(name, name)
    if pack not in pack_ids():
        raise ValueError(f"unknown pack {name!r}")
    return pack


def _items_of(record: dict[str, Any], config: DistrictConfig) -> list[Item]:
    expected = record["expected"]
    if isinstance(expected, list):
        by_pack = {_pack_id(record["pack"]): expected}
    else:
        default = expected.get("*")
        named = {_pack_id(k): v for k, v in expected.items() if k != "*"}
        by_pack = {
            p: named.get(p, default) for p in pack_ids() if p in named or default is not None
        }
    note, split = record.get("note", ""), record.get("split", "dev")
    return [
        Item(pack, _target(record, config), frozenset(labels), note, split)
        for pack, labels in by_pack.items()
    ]


def _target(record: dict[str, Any], config: DistrictConfig) -> Target:
    account = config.account(record["account"])
    kind = record.get("kind", "post")
    profile = dict(record.get("profile") or {})
    media = (
        [{"role": "avatar", "url": "https://example.test/avatar.png"}]
        if profile.pop("avatar", False)
        else []
    )
    published = None
    if kind != "profile":
        published = datetime.fromisoformat(record.get("published_at", DEFAULT_PUBLISHED))
    return Target(
        post_id=record["id"],
        version=1,
        account=account,
        platform=account.platform,
        kind=kind,
        permalink=f"https://corpus.example/{record['id']}",
        text=record.get("text", ""),
        published_at=published,
        extra=profile,
        media=media,
    )


def config_for_pack(config: DistrictConfig, pack: str, overrides: dict[str, Any]) -> DistrictConfig:
    district = config.district.model_copy(
        update={"policy": pack, "policy_overrides": overrides.get(pack, {})}
    )
    return DistrictConfig(
        config.base_dir, district, config.accounts, config.students, config.staff, config.logo_paths
    )


def run_corpus(corpus: str | Path, split: str | None = None) -> Outcome:
    """Run every pack over the corpus (or one `split` of it) and score each check."""
    from rules.engine import RuleSet

    corpus = Path(corpus)
    config = load_district(corpus)
    overrides_file = corpus / "overrides.yaml"
    overrides = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else {}
    items = [i for i in load_items(corpus, config) if split is None or i.split == split]
    found: dict[tuple[str, str], set[str]] = {}
    for pack in pack_ids():
        pack_items = [i for i in items if i.pack == pack]
        if not pack_items:
            continue
        pack_config = config_for_pack(config, pack, overrides or {})
        ruleset = RuleSet.for_district(pack_config)
        ctx = CheckContext(pack_config, EVAL_NOW)
        for draft in ruleset.evaluate([i.target for i in pack_items], ctx):
            found.setdefault((pack, draft.post_id or ""), set()).add(draft.check_name)
    return _score(items, found)


def _score(items: list[Item], found: dict[tuple[str, str], set[str]]) -> Outcome:
    checks = sorted({c for i in items for c in i.expected} | {c for v in found.values() for c in v})
    counts = {c: [0, 0, 0] for c in checks}
    errors = []
    for item in items:
        got = found.get((item.pack, item.target.post_id), set())
        for check in checks:
            want, have = check in item.expected, check in got
            if want and have:
                counts[check][0] += 1
            elif have:
                counts[check][1] += 1
                errors.append(("FP", check, item.pack, item.target.post_id))
            elif want:
                counts[check][2] += 1
                errors.append(("FN", check, item.pack, item.target.post_id))
    scores = [Score.of(c, *counts[c]) for c in checks]
    return Outcome(scores, len(items), sorted(errors, key=lambda e: (e[1], e[0], e[2], e[3])))


def evaluate_corpus(corpus: str | Path) -> list[Score]:
    """Scores for the text checks, plus the image checks' when the corpus has images/."""
    scores = run_corpus(corpus).scores
    scores.extend(_image_scores(Path(corpus)))
    return scores


def _image_scores(corpus: Path) -> list[Score]:
    if not (corpus / "images").is_dir():
        return []
    return list(image_eval.evaluate(corpus))


