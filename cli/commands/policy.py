"""`hallmonitor policy list` and `hallmonitor policy show PACK`."""

from __future__ import annotations

import sys

import click


@click.group("policy")
def policy() -> None:
    """Show the policy packs: which clauses are checked automatically and which are manual."""


@policy.command("list")
def list_packs() -> None:
    """Every pack with its version, district and how many clauses it automates."""
    from rules.packs import clause_counts, load_pack, pack_ids

    for pack_id in pack_ids():
        pack = load_pack(pack_id)
        counts = clause_counts(pack)  # the same counts the monthly summary prints
        click.echo(f"{pack.id:20} {pack.version:10} {counts.automated:2}/{counts.total:2} clauses "
                   f"automated (+{counts.covered} covered by another clause)  {pack.district}")


@policy.command("show")
@click.argument("pack_id")
def show(pack_id: str) -> None:
    """Print PACK as a table: clause, section, rule, check, level, automated or manual."""
    from rules.packs import PackError, load_pack
    from rules.show import format_pack

    try:
        pack = load_pack(pack_id)
    except PackError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(format_pack(pack), nl=False)


COMMANDS = [policy]
