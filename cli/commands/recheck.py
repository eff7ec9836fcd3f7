"""`hallmonitor recheck --config DIR --db FILE [--since DATE]`: replay the current pack over
stored posts, no fetching."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click


@click.command("recheck")
@click.option(
    "--config",
    "config_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="District configuration directory.",
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The warehouse DuckDB file.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only items published (undated ones: last seen) on or after this date.",
)
@click.option("--now", default=None, help="Pretend it is this ISO time (replays and tests).")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def recheck(
    config_dir: str, db_path: Path, since: datetime | None, now: str | None, as_json: bool
) -> None:
    """Re-run the district's current pack over posts already in the warehouse.

    New findings are added, open findings the rules no longer support are closed as superseded
    (with the reason), and monitors' decisions are kept. Exits 2 on a configuration error."""
    from cli.commands.audit import load_or_exit
    from flows.steps.recheck import recheck as run
    from hallmonitor.clock import clock_from

    config = load_or_exit(config_dir)
    moment = clock_from(now, config.district.tz).now()
    stats = run(config, db_path, since.date() if since else None, moment)
    if as_json:
        click.echo(json.dumps(stats.as_dict(), indent=2))
        return
    click.echo(
        f"recheck {stats.run_id} with {stats.pack_id} {stats.pack_version}: "
        f"{stats.posts} items rechecked ({stats.skipped} skipped: account not configured)"
    )
    click.echo(
        f"  findings: {stats.findings} produced, {stats.new} new, "
        f"{stats.still_supported} still supported, {stats.reopened} reopened, "
        f"{stats.superseded} superseded, {stats.kept_decided} decided and kept"
    )
    if stats.media_analysed or stats.media_failed:
        click.echo(
            f"  images left unanalysed by earlier runs: {stats.media_analysed} analysed, "
            f"{stats.media_failed} raised (recorded, retried next run)"
        )
    if stats.errors:
        click.echo(f"  {stats.errors} items raised while checked: recorded, retried next run")
    if stats.quarantined:
        click.echo(
            f"  {stats.quarantined} findings quarantined: they failed the findings "
            "expectations, nothing was changed"
        )


COMMANDS = [recheck]
