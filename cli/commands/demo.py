"""`hallmonitor demo`: audit the bundled demo district, served by a local sample server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from demo.sample_server import DEMO_BASE_URL

DEMO_PORT = int(DEMO_BASE_URL.rsplit(":", 1)[1])  # the port demo/district/accounts.yaml names


@click.command()
@click.option(
    "--out",
    default="demo-output",
    type=click.Path(file_okay=False),
    help="Folder for the demo's district copy, warehouse, exports and reports.",
)
def demo(out: str) -> None:
    """Start the sample server on 127.0.0.1, audit the demo district, stop the server, and print
    where the warehouse, the findings and the reports are. Safe to run again: a second run adds
    nothing that is already stored."""
    from cli.commands.audit import format_summary, load_or_exit, run_audit
    from demo.sample_server import DemoSite, prepare_district

    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "warehouse.duckdb"
    now = datetime.now(UTC)
    site = DemoSite(now).start(DEMO_PORT)
    try:
        click.echo(f"sample server: {site.base_url} (127.0.0.1 only)")
        district_dir = prepare_district(out_dir, site.base_url, now)
        load_or_exit(str(district_dir))
        summary = run_audit(str(district_dir), str(db), None, trigger="demo")
    finally:
        site.stop()
    click.echo(format_summary(summary))
    paths = write_exports(db, out_dir)
    paths.update(write_reports(district_dir, db, out_dir, now))
    click.echo("\nwhere things are:")
    click.echo(f"  warehouse:  {db}")
    for name, path in paths.items():
        click.echo(f"  {name + ':':<11} {path}")


def write_exports(db: Path, out_dir: Path) -> dict[str, Path]:
    from warehouse.export import export_findings, export_posts

    written = {}
    for name, export in (("findings", export_findings), ("posts", export_posts)):
        path = out_dir / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            export(db, "jsonl", handle)
        written[name] = path
    return written


def write_reports(district_dir: Path, db: Path, out_dir: Path, now: datetime) -> dict[str, Path]:
    """Every monitor's digest and the monthly summary so far."""
    from cli.demo_reports import demo_reports

    return demo_reports(district_dir, db, out_dir / "reports", now)


COMMANDS = [demo]
