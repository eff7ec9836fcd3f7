"""The blind-corpus evaluator: per check and per pack scores, amb never scored, one split only,
images through the real media pipeline, and a gate a test can use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from evaluation.blind_eval import (
    BlindOutcome,
    DistrictRun,
    Gate,
    Line,
    district_dirs,
    gate_failures,
    is_blind_corpus,
    run_district,
    score,
)
from evaluation.media_cache import MediaCache
from evaluation.scores import Score
from tests.conftest import FIXTURES

BLIND = FIXTURES / "corpus" / "blind-sample"
TEXT = FIXTURES / "corpus" / "text"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media-cache")


def _eval(cache_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["eval", "--corpus", str(BLIND), "--cache", str(cache_dir), *args]
    )
    return result.exit_code, result.output


def _line(post_id: str, pos: set[str] = frozenset(), amb: set[str] = frozenset()) -> Line:  # type: ignore[assignment]
    return Line("d", "jndc", post_id, frozenset(pos), frozenset(amb))


def test_counts_tp_fp_fn_per_line_and_skips_amb_for_its_check_only() -> None:
    run = DistrictRun(
        "d",
        "jndc",
        frozenset({"conduct", "confidentiality"}),
        [
            _line("a", {"conduct"}),  # found: TP
            _line("b", {"conduct"}),  # not found: FN
            _line("c"),  # conduct found: FP
            _line("d", amb={"conduct"}),  # conduct found but amb: not counted
            _line("e", {"confidentiality"}, amb={"conduct"}),  # confidentiality still scored
        ],
        {
            "a": {"conduct": ["x", "y"]},  # two findings, one true positive
            "c": {"conduct": ["z"]},
            "d": {"conduct": ["w"]},
            "e": {"confidentiality": ["v"]},
        },
    )
    outcome = score([run], "dev")
    by_check = {s.check: s for s in outcome.by_check}
    assert (by_check["conduct"].tp, by_check["conduct"].fp, by_check["conduct"].fn) == (1, 1, 1)
    assert (by_check["confidentiality"].tp, by_check["confidentiality"].fp) == (1, 0)
    assert [(e.kind, e.post_id) for e in outcome.errors] == [("FN", "b"), ("FP", "c")]
    assert outcome.by_pack["jndc"][-1] == Score.of("ALL", 2, 1, 1)


def test_violations_only_drops_lines_whose_check_raised_only_advisories() -> None:
    run = DistrictRun(
        "d",
        "moorhead-447-1",
        frozenset({"confidentiality"}),
        [_line("a", {"confidentiality"}), _line("b", {"confidentiality"}), _line("c")],
        {
            "a": {"confidentiality": ["x", "y"]},
            "b": {"confidentiality": ["z"]},
            "c": {"confidentiality": ["w"]},
        },
        levels={
            "a": {"confidentiality": {"advisory", "violation"}},
            "b": {"confidentiality": {"advisory"}},
            "c": {"confidentiality": {"advisory"}},
        },
    )
    every = {s.check: s for s in score([run], "dev").by_check}["confidentiality"]
    assert (every.tp, every.fp, every.fn) == (2, 1, 0)
    strict = {s.check: s for s in score([run], "dev", violations_only=True).by_check}
    assert (strict["confidentiality"].tp, strict["confidentiality"].fp) == (1, 0)
    assert strict["confidentiality"].fn == 1


def test_per_pack_rows_only_hold_that_packs_checks_and_the_total_sums_them() -> None:
    runs = [
        DistrictRun(
            "a",
            "wem-428",
            frozenset({"spokesperson"}),
            [_line("1", {"spokesperson"})],
            {"1": {"spokesperson": ["s"]}},
        ),
        DistrictRun("b", "jndc", frozenset({"political_use"}), [_line("2", {"political_use"})], {}),
    ]
    outcome = score(runs, "dev")
    assert [s.check for s in outcome.by_pack["jndc"]] == ["political_use", "ALL"]
    assert outcome.by_pack["wem-428"][-1].f1 == 1.0
    assert outcome.by_pack["jndc"][-1].recall == 0.0
    assert {s.check: s.n for s in outcome.by_check} == {"spokesperson": 1, "political_use": 1}


def test_a_labelled_check_the_pack_lacks_is_still_a_miss() -> None:
    run = DistrictRun(
        "d", "jndc", frozenset({"conduct", "spokesperson"}), [_line("1", {"spokesperson"})], {}
    )
    assert score([run], "dev").by_check[-1] == Score.of("spokesperson", 0, 0, 1)


@pytest.mark.parametrize(
    ("gate", "failures"),
    [
        ("0.8", []),
        ("conduct=0.9", ["conduct: f1 0.857 < 0.900"]),
        ("0.99", ["conduct: f1 0.857 < 0.990"]),  # checks without positives are not gated
        ("missing=0.5", ["missing: f1 0.000 < 0.500"]),
    ],
)
def test_gate_names_each_check_below_its_minimum(gate: str, failures: list[str]) -> None:
    outcome = BlindOutcome(
        "dev", 10, [Score.of("conduct", 6, 1, 1), Score.of("logo_use", 0, 0, 0)], {}
    )
    assert gate_failures(outcome, [Gate.parse("f1", gate)]) == failures


def test_finds_districts_with_the_split_asked_for() -> None:
    assert [d.name for d in district_dirs(BLIND, "dev")] == ["kettle-river", "willow-bend"]
    assert district_dirs(BLIND / "willow-bend", "test") == [BLIND / "willow-bend"]
    assert is_blind_corpus(BLIND) and not is_blind_corpus(TEXT)


def test_an_image_only_disclosure_is_found_through_the_media_pipeline(cache_dir: Path) -> None:
    run = run_district(BLIND / "willow-bend", "dev", MediaCache(cache_dir))
    assert run.pack == "west-fargo-debh-ap"
    assert "confidentiality" in run.found.get("wb-d2", {})  # the caption says nothing
    assert "spokesperson" in run.checks and "political_use" not in run.checks


def test_eval_prints_per_check_and_per_pack_tables(cache_dir: Path) -> None:
    code, output = _eval(cache_dir)
    assert code == 0, output
    assert "split dev, 10 lines" in output
    assert "pack jndc" in output and "pack west-fargo-debh-ap" in output
    row = next(line.split() for line in output.splitlines() if line.startswith("confidentiality"))
    assert row[1:4] == ["3", "0", "0"]


def test_eval_json_scores_one_pack_and_the_test_split_alone(cache_dir: Path) -> None:
    code, output = _eval(cache_dir, "--json", "--split", "test", "--pack", "jndc")
    assert code == 0, output
    data = json.loads(output)
    assert (data["split"], data["lines"], list(data["packs"])) == ("test", 1, ["jndc"])
    assert all(s["n"] == 0 for s in data["checks"])


def test_eval_gate_fails_the_command_below_target(cache_dir: Path) -> None:
    assert _eval(cache_dir, "--min-f1", "0.9")[0] == 0
    code, output = _eval(cache_dir, "--min-recall", "conduct=1.5")
    assert code == 1 and "below target: conduct: recall 1.000 < 1.500" in output


def test_own_corpus_rejects_the_blind_test_split() -> None:
    result = CliRunner().invoke(cli, ["eval", "--corpus", str(TEXT), "--split", "test"])
    assert result.exit_code != 0 and "dev and holdout" in result.output


# Issue 14's targets on the blind test half: F1 and precision >= 0.90 for the three detection
# checks; recall and precision >= 0.85 for the language checks.
ISSUE_14_TARGETS = [
    *(
        Gate(m, 0.90, c)
        for c in ("confidentiality", "student_image", "logo_use")
        for m in ("f1", "precision")
    ),
    *(
        Gate(m, 0.85, c)
        for c in ("conduct", "spokesperson", "political_use", "disclaimer")
        for m in ("recall", "precision")
    ),
]
# Where the blind test half (batch 6: ten districts written after batches 4 and 5 were scored)
# measured below a target when this landed (README, "Quality"), the gate is that measured figure
# less 0.01, so any drop fails while the gap stays open and stated. Raise a floor to its target
# when a change reaches it; never lower one (a new test half measured afresh resets the floors,
# and says so).
MEASURED_BELOW_TARGET = {
    ("conduct", "recall"): 0.68,  # 0.690
    ("spokesperson", "recall"): 0.83,  # 0.845
    ("political_use", "recall"): 0.68,  # 0.690
}
BLIND_CORPUS = FIXTURES / "corpus" / "blind"


def test_the_blind_test_half_holds_issue_14_targets_or_its_measured_floors(
    tmp_path: Path,
) -> None:
    """The product's quality gate: the blind corpus's test half (written by people who never saw
    the checks, never tuned on) through the real engine and media analysis.

    It runs `hallmonitor eval` in a process of its own, as a district would, with an empty media
    cache (an earlier difference between a cold and a warm cache was the evaluator's cache
    handing the checks a different form of the analysis on a miss; both now read the same)."""
    import os
    import subprocess
    import sys

    command = "from cli.main import main; main()"
    args = ["eval", "--corpus", str(BLIND_CORPUS), "--split", "test", "--json"]
    result = subprocess.run(
        [sys.executable, "-c", command, *args, "--cache", str(tmp_path / "media-cache")],
        capture_output=True, text=True, timeout=3600, env=os.environ.copy(), check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    checks = {row["check"]: row for row in json.loads(result.stdout)["checks"]}
    gates = [
        Gate(g.measure, MEASURED_BELOW_TARGET.get((g.check or "", g.measure), g.value), g.check)
        for g in ISSUE_14_TARGETS
    ]
    assert all(g.value <= t.value for g, t in zip(gates, ISSUE_14_TARGETS, strict=True))
    failures = [
        f"{g.check}: {g.measure} {checks[g.check or ''][g.measure]:.3f} < {g.value}"
        for g in gates
        if checks[g.check or ""][g.measure] < g.value
    ]
    assert failures == []
    assert len(checks) >= 7 and sum(row["tp"] + row["fn"] for row in checks.values()) > 250


def test_a_line_with_an_unknown_account_is_reported_and_left_out(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "kettle-river"
    shutil.copytree(BLIND / "kettle-river", folder)
    with (folder / "dev.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "kr-bad", "account": "nobody", "text": "hi", "labels": {}}\n')
    run = run_district(folder, "dev", MediaCache(None))
    assert [line.post_id for line in run.lines] == ["kr-d1", "kr-d2", "kr-d3", "kr-d4"]
    assert run.skipped and run.skipped[0].startswith("kettle-river/kr-bad")
    assert score([run], "dev").skipped == run.skipped


def test_sponsored_images_from_a_relative_corpus_path_are_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-share check reads sponsored images from the root: a corpus given as a relative
    path once left every re-share unverified (and logo_use figures differed by how the path was
    written)."""
    from types import SimpleNamespace

    from flows.steps.imaging import sponsored_images_of

    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.jpg").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    target = SimpleNamespace(
        account=SimpleNamespace(kind="sponsored"),
        media=[{"path": "media/a.jpg", "analysis": {"ok": True, "sha256": "ab"}}],
    )
    [image] = sponsored_images_of([target]).images
    assert image.path.is_absolute() and image.path.is_file()
