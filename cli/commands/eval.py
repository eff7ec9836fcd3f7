"""`hallmonitor eval --corpus DIR`: precision, recall and F1 per check on a labelled corpus.

Two corpus shapes: the project's own labelled corpus (posts.jsonl judged under every pack,
evaluation/text_eval.py) and a blind corpus (one folder per district with dev.jsonl and test.jsonl,
evaluation/blind_eval.py), told apart by their files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rules.packs import pack_ids

if TYPE_CHECKING:
    from evaluation.blind_eval import BlindOutcome, Gate


@click.command("eval")
@click.option(
    "--corpus",
    "corpus",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Labelled corpus: a district folder with posts.jsonl, or a blind corpus (district "
    "folders with dev.jsonl/test.jsonl, or one such folder).",
)
@click.option(
    "--errors",
    "show_errors",
    is_flag=True,
    help="Also list every false positive and false negative (pack, post id, why).",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "holdout"]),
    default=None,
    help="Blind corpus: which half to score (default dev). Own corpus: dev or holdout "
    "(default all).",
)
@click.option(
    "--pack",
    type=click.Choice(pack_ids()),
    default=None,
    help="Blind corpus: only the districts under this policy pack.",
)
@click.option("--check", "checks", multiple=True, help="Blind corpus: score only these checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--min-f1",
    "min_f1",
    multiple=True,
    metavar="[CHECK=]VALUE",
    help="Fail (exit 1) when a check's F1 is below VALUE (every check with positives, or CHECK).",
)
@click.option("--min-precision", "min_precision", multiple=True, metavar="[CHECK=]VALUE")
@click.option("--min-recall", "min_recall", multiple=True, metavar="[CHECK=]VALUE")
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Blind corpus: where media analyses are cached (default: the user cache folder).",
)
@click.option("--no-cache", is_flag=True, help="Blind corpus: analyse every image afresh.")
@click.option(
    "--violations-only",
    is_flag=True,
    help="Blind corpus: count a check as found only when it raised a violation (advisories "
    "ignored), as a scorer of exported findings that keeps only violations does.",
)
def eval_command(
    corpus: Path,
    show_errors: bool,
    split: str | None,
    pack: str | None,
    checks: tuple[str, ...],
    as_json: bool,
    min_f1: tuple[str, ...],
    min_precision: tuple[str, ...],
    min_recall: tuple[str, ...],
    cache_dir: Path | None,
    no_cache: bool,
    violations_only: bool,
) -> None:
    """Score the checks on a labelled corpus: precision, recall and F1 per check (and per pack
    on a blind corpus)."""
    from evaluation.blind_eval import Gate, gate_failures, is_blind_corpus

    gates = [Gate.parse("f1", v) for v in min_f1]
    gates += [Gate.parse("precision", v) for v in min_precision]
    gates += [Gate.parse("recall", v) for v in min_recall]
    if is_blind_corpus(corpus):
        if split == "holdout":
            raise click.BadParameter("a blind corpus has dev and test halves", param_hint="--split")
        outcome = _blind(corpus, split or "dev", pack, checks, cache_dir, no_cache, violations_only)
        if as_json:
            click.echo(json.dumps(outcome.to_json(), indent=2))
        else:
            _print_blind(corpus, outcome, show_errors)
        failures = gate_failures(outcome, gates)
    elif not (corpus / "posts.jsonl").is_file():
        raise click.BadParameter(
            f"{corpus} is not a labelled corpus: expected posts.jsonl with a district "
            "configuration beside it (the project's own corpus), or district folders with "
            "dev.jsonl and test.jsonl (a blind corpus)",
            param_hint="--corpus",
        )
    else:
        failures = _own_corpus(corpus, split, show_errors, as_json, gates)
    if failures:
        for failure in failures:
            click.echo(f"below target: {failure}", err=True)
        sys.exit(1)


def _blind(
    corpus: Path,
    split: str,
    pack: str | None,
    checks: tuple[str, ...],
    cache_dir: Path | None,
    no_cache: bool,
    violations_only: bool = False,
) -> BlindOutcome:
    from evaluation.blind_eval import run_corpus
    from evaluation.media_cache import MediaCache, default_dir
    from hallmonitor.config import ConfigError

    cache = MediaCache(None if no_cache else (cache_dir or default_dir()))
    try:
        return run_corpus(corpus, split, pack, checks, cache, violations_only)
    except (ValueError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc


def _print_blind(corpus: Path, outcome: BlindOutcome, show_errors: bool) -> None:
    from evaluation.blind_eval import corpus_digest
    from evaluation.scores import format_table

    digest = corpus_digest(corpus, outcome.split)
    click.echo(f"corpus: {corpus} (blind, split {outcome.split}, {outcome.lines} lines, {digest})")
    click.echo("\nper check")
    click.echo(format_table(outcome.by_check))
    for pack, scores in outcome.by_pack.items():
        click.echo(f"\npack {pack}")
        click.echo(format_table(scores))
    for line in outcome.skipped:
        click.echo(f"skipped (not scored): {line}", err=True)
    if show_errors:
        click.echo("")
        for e in outcome.errors:
            click.echo(f"{e.kind} {e.check:<16} {e.pack:<20} {e.post_id:<12} {e.detail}")


def _own_corpus(
    corpus: Path, split: str | None, show_errors: bool, as_json: bool, gates: list[Gate]
) -> list[str]:
    from evaluation.blind_eval import BlindOutcome, gate_failures
    from evaluation.scores import format_table
    from evaluation.text_eval import _image_scores, run_corpus
    from hallmonitor.config import ConfigError

    if split == "test":
        raise click.BadParameter("this corpus has dev and holdout splits", param_hint="--split")
    try:
        outcome = run_corpus(corpus, split)
    except (ValueError, ConfigError) as exc:
        raise click.ClickException(f"{corpus} cannot be scored:\n{exc}") from exc
    scores = outcome.scores + _image_scores(corpus)
    if as_json:
        data = {"items": outcome.items, "checks": [s.__dict__ for s in scores]}
        click.echo(json.dumps(data, indent=2))
    else:
        which = f", split {split}" if split else ""
        click.echo(f"corpus: {corpus} ({outcome.items} post-pack pairs{which})")
        click.echo(format_table(scores))
        if show_errors:
            for kind, check, pack, post_id in outcome.errors:
                click.echo(f"{kind} {check:<16} {pack:<20} {post_id}")
    return gate_failures(BlindOutcome(split or "all", outcome.items, scores, {}), gates)


COMMANDS = [eval_command]
