"""``flask --app app blood compute-indicators`` and ``… evaluate-alerts``: the scheduler's
supervision jobs, run by hand (or from cron until the scheduler process exists)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from blood import db
from blood.accounts.scoping import Actor
from blood.supervision import service as supervision


@click.command("compute-indicators")
@with_appcontext
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The last local day to compute (default: each organisation's today)",
)
@click.option(
    "--days", type=click.IntRange(1, 400), default=1, help="How many days ending on --day"
)
def compute_indicators(day, days: int) -> None:
    """Compute the indicators of every plasma station, blood centre and hospital for their
    local day(s) into the fact table. Idempotent: a day computed again replaces its rows."""
    last: date | None = day.date() if day else None
    with db.transaction() as session:
        result = supervision.compute_indicators(
            session=session, actor=Actor.system("cli"), day=last, days=days
        )
    span = f"{result.first} to {result.last}" if result.first else "no day"
    click.echo(f"{result.facts} indicator facts for {result.days} organisation-days ({span})")


@click.command("evaluate-alerts")
@with_appcontext
def evaluate_alerts() -> None:
    """Judge the alert rules against today's facts: open new alerts, update those that
    last, close those whose condition cleared."""
    with db.transaction() as session:
        result = supervision.evaluate_alerts(session=session, actor=Actor.system("cli"))
    click.echo(
        f"alerts: {result.opened} opened, {result.updated} changed severity, "
        f"{result.cleared} cleared, {result.active} active"
    )


# The commands blood.cli adds to `flask --app app blood`.
COMMANDS = (compute_indicators, evaluate_alerts)
