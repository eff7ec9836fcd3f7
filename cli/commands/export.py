"""`hallmonitor export findings|posts --db FILE --format jsonl|csv [--out FILE]`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from warehouse.export import FORMATS, Format, export_findings, export_posts


@click.group("export")
def export() -> None:
    """Write findings or posts from the warehouse as JSON lines or CSV."""


def _options(func: Callable[..., None]) -> Callable[..., None]:
    func = click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help="File to write (default: standard output).")(func)
    func = click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl",
                        show_default=True, help="Output format.")(func)
    # exists=True: a missing database is a usage error (exit code 2), not an empty export.
    func = click.option("--db", "db", required=True,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="The warehouse DuckDB file.")(func)
    return func


def _run(exporter: Callable[[Path, Format, TextIO], int], db: Path, fmt: Format,
         out: Path | None) -> None:
    if out is None:
        exporter(db, fmt, sys.stdout)
        return
    # newline="": the csv module writes its own line endings.
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = exporter(db, fmt, handle)
    click.echo(f"wrote {count} rows to {out}", err=True)


@export.command("findings")
@_options
def findings(db: Path, fmt: Format, out: Path | None) -> None:
    """One record per finding: check, rule, citation, level, severity, evidence, status."""
    _run(export_findings, db, fmt, out)


@export.command("posts")
@_options
def posts(db: Path, fmt: Format, out: Path | None) -> None:
    """One record per stored item (deleted ones included, with deleted_at), with its media."""
    _run(export_posts, db, fmt, out)


COMMANDS = [export]
