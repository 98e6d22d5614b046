"""``flask --app app blood forecast``: the nightly forecast by hand (the scheduler runs it
each night)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from blood import db
from blood.accounts.scoping import Actor
from blood.cli_support import domain_errors_exit


@click.command("forecast")
@with_appcontext
@click.option("--horizon", type=click.IntRange(7, 56), default=28, help="Days ahead (default 28)")
@domain_errors_exit
def forecast(horizon: int) -> None:
    """Forecast every blood centre's daily issues per component and group, backtest each
    series against the seasonal-naive baseline, and project the stock against the forecast
    (the shortages found raise supervision alerts)."""
    from blood.analytics.service.forecast import run_forecasts

    with db.transaction() as session:
        result = run_forecasts(session=session, actor=Actor.system("cli"), horizon=horizon)
    click.echo(
        f"{result.series} series forecast for {result.centres} blood centres; the model beat "
        f"the seasonal-naive baseline and is used in {result.models}"
    )


COMMANDS: list[click.Command] = [forecast]
