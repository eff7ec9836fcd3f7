"""`hallmonitor eval --corpus DIR`: precision, recall and F1 per check on a labelled corpus."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("eval")
@click.option(
    "--corpus",
    "corpus",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Labelled corpus directory (district.yaml, accounts.yaml, roster/, posts.jsonl).",
)
@click.option(
    "--errors",
    "show_errors",
    is_flag=True,
    help="Also list every false positive and false negative (pack, post id).",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "holdout"]),
    default=None,
    help="Score only the posts of one split (default: all).",
)
def eval_command(corpus: Path, show_errors: bool, split: str | None) -> None:
    """Run every policy pack over a labelled corpus and print precision, recall and F1 per check."""
    from evaluation.scores import format_table
    from evaluation.text_eval import _image_scores, run_corpus

    outcome = run_corpus(corpus, split)
    scores = outcome.scores + _image_scores(corpus)
    which = f", split {split}" if split else ""
    click.echo(f"corpus: {corpus} ({outcome.items} post-pack pairs{which})")
    click.echo(format_table(scores))
    if show_errors:
        for kind, check, pack, post_id in outcome.errors:
            click.echo(f"{kind} {check:<16} {pack:<20} {post_id}")


COMMANDS = [eval_command]
