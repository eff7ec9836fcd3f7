"""Precision, recall and F1 of the image detectors and image checks on the labelled image corpus.

    python -m evaluation.image_eval DIR      # DIR/labels.json, or DIR/images/labels.json

`hallmonitor eval --corpus C` adds these rows when C/images/ exists (evaluation.text_eval). When the
folder has no labels.json the corpus is generated there first (tests/fixtures/images/
make_corpus.py, deterministic), so an empty `images/` folder is enough.

What is counted:
- faces: each true face box matched by at most one detection (centre inside, or IoU >= 0.3);
- logos: each (image, registered mark) pair; a look-alike found as the mark is a false positive;
- ocr-confidential: per image, the pipeline's OCR text says CONFIDENTIAL (OCR gated as in
  production: only document-like images are read);
- student_image, logo_use: per scenario (image + account + post text + capture time + pack),
  the check run through the pack's real rules against the expected answer.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evaluation.scores import Score, format_table
from evaluation.synth.make_corpus import build
from hallmonitor.config import Account, District, DistrictConfig, StaffMember, Student
from rules.base import CheckContext, Target
from rules.detect.logos import LogoMark
from rules.detect.media_pipeline import analyse
from rules.engine import RuleSet

_CONFIDENTIAL = re.compile(r"c\s*o\s*n\s*f\s*i\s*d\s*e\s*n\s*t\s*i\s*a\s*l", re.IGNORECASE)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TIMEZONE_OFFSET = "-06:00"  # the corpus's capture times are in the district's zone (Chicago, CST)


def corpus_dir(path: Path) -> Path:
    folder = path / "images" if (path / "images").is_dir() else path
    if not (folder / "labels.json").is_file():
        build(folder)
    return folder


def analyse_all(folder: Path, labels: dict[str, Any]) -> dict[str, dict[str, Any]]:
    marks = [LogoMark(name, folder / rel) for name, rel in labels["marks"].items()]
    return {item["file"]: analyse(folder / item["file"], marks).to_dict()
            for item in labels["images"]}


def evaluate(path: Path) -> list[Score]:
    return evaluate_with_timing(Path(path))[0]


def evaluate_with_timing(path: Path) -> tuple[list[Score], float]:
    folder = corpus_dir(path)
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    analyses = analyse_all(folder, labels)
    elapsed = time.perf_counter() - start
    scores = [_faces(labels, analyses), _logos(labels, analyses), _ocr(labels, analyses)]
    scores += _scenarios(labels, analyses)
    return scores, elapsed


def _centre_inside(found: list[int], truth: list[int]) -> bool:
    cx, cy = found[0] + found[2] / 2, found[1] + found[3] / 2
    return truth[0] <= cx <= truth[0] + truth[2] and truth[1] <= cy <= truth[1] + truth[3]


def _iou(a: list[int], b: list[int]) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def _faces(labels: dict[str, Any], analyses: dict[str, dict[str, Any]]) -> Score:
    tp = fp = fn = 0
    for item in labels["images"]:
        found = [f["box"] for f in analyses[item["file"]]["faces"]]
        unmatched = list(found)
        for truth in item["faces"]:
            match = next((f for f in unmatched
                          if _centre_inside(f, truth) or _iou(f, truth) >= 0.3), None)
            if match is None:
                fn += 1
            else:
                tp += 1
                unmatched.remove(match)
        fp += len(unmatched)
    return Score.of("image:faces", tp, fp, fn)


def _logos(labels: dict[str, Any], analyses: dict[str, dict[str, Any]]) -> Score:
    tp = fp = fn = 0
    for item in labels["images"]:
        found = {hit["mark"] for hit in analyses[item["file"]]["logos"]}
        truth = set(item["logos"])
        tp += len(found & truth)
        fp += len(found - truth)
        fn += len(truth - found)
    return Score.of("image:logos", tp, fp, fn)


def _ocr(labels: dict[str, Any], analyses: dict[str, dict[str, Any]]) -> Score:
    tp = fp = fn = 0
    for item in labels["images"]:
        said = bool(_CONFIDENTIAL.search(analyses[item["file"]].get("ocr_text") or ""))
        tp += said and item["confidential"]
        fp += said and not item["confidential"]
        fn += item["confidential"] and not said
    return Score.of("image:ocr-confid.", tp, fp, fn)


def district_config(pack: str) -> DistrictConfig:
    """The demo district under `pack`: Prairie Valley, its two schools and four students."""
    district = District.model_validate({
        "id": "prairie-valley", "name": "Prairie Valley Public Schools", "policy": pack,
        "timezone": "America/Chicago", "names": ["Prairie Valley Public Schools", "PVPS"],
        "homepage": "https://prairievalley.example.test",
        "schools": [{"id": "pvhs", "name": "Prairie Valley High School"},
                    {"id": "lincoln", "name": "Lincoln Elementary"}]})
    accounts = [
        Account.model_validate({"id": "employee", "kind": "employee", "platform": "facebook",
                                "locator": "e1", "owner": "E1"}),
        Account.model_validate({"id": "sponsored", "kind": "sponsored", "platform": "facebook",
                                "locator": "s1"}),
    ]
    students = [Student("S1001", "Maya", "Johnson", "", "pvhs", "10", False, True),
                Student("S1002", "Liam", "Chen", "", "pvhs", "10", False, False),
                Student("S1003", "Ava", "Martinez", "", "lincoln", "4", True, False),
                Student("S1004", "Noah", "Williams", "", "pvhs", "11", False, False)]
    staff = [StaffMember("E1", "Dana", "Reyes", "dana.reyes@pvps.example.test", "pvhs",
                         "teacher")]
    return DistrictConfig(Path("."), district, accounts, students, staff)


def _scenarios(labels: dict[str, Any], analyses: dict[str, dict[str, Any]]) -> list[Score]:
    counts = {"student_image": [0, 0, 0], "logo_use": [0, 0, 0]}
    rulesets = {p: (district_config(p), RuleSet.for_district(district_config(p)))
                for p in {s["pack"] for s in labels["scenarios"]}}
    for scenario in labels["scenarios"]:
        cfg, ruleset = rulesets[scenario["pack"]]
        predicted = _run(scenario, analyses, cfg, ruleset)
        tally = counts[scenario["check"]]
        expected = bool(scenario["expected"])
        tally[0] += predicted and expected
        tally[1] += predicted and not expected
        tally[2] += expected and not predicted
    return [Score.of(f"image:{check}", *tally) for check, tally in counts.items()]


def _run(scenario: dict[str, Any], analyses: dict[str, dict[str, Any]], cfg: DistrictConfig,
         ruleset: RuleSet) -> bool:
    analysis = dict(analyses[scenario["image"]])
    if scenario.get("exif"):  # the scenario's camera time, in the district's zone
        analysis["exif_time"] = scenario["exif"] + TIMEZONE_OFFSET
        analysis["exif_source"] = "exif:DateTimeOriginal+Offset"
    target = Target(post_id=scenario["image"], version=1, account=cfg.account(scenario["account"]),
                    platform="facebook", kind="post", permalink="https://example.test/p",
                    text=scenario["text"],
                    published_at=datetime.fromisoformat(scenario["published_at"]),
                    media=[{"url": "https://cdn.example.test/" + scenario["image"],
                            "role": "image", "alt": None, "sha256": analysis["sha256"],
                            "path": scenario["image"], "analysis": analysis}])
    ctx = CheckContext(cfg, NOW)
    sponsored = {analyses[f]["phash"] for f in scenario.get("sponsored", [])}
    ctx.cached("sponsored_phashes", lambda: sponsored)
    return any(d.check_name == scenario["check"] for d in ruleset.evaluate([target], ctx))


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else Path("tests/fixtures/images/corpus")
    scores, elapsed = evaluate_with_timing(folder)
    print(format_table(scores))
    images = len(json.loads((corpus_dir(folder) / "labels.json").read_text())["images"])
    print(f"analysed {images} images in {elapsed:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
