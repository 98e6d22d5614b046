"""``flask --app app blood synth``: generate a synthetic province into an empty database."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlmodel import select

from blood import db


@click.command("synth")
@with_appcontext
@click.option(
    "--years",
    type=float,
    default=0.25,
    show_default=True,
    help="Years of history, ending now (or at --end).",
)
@click.option("--seed", default="1", show_default=True, help="The same seed, the same rows.")
@click.option(
    "--scale",
    type=float,
    default=0.01,
    show_default=True,
    help="1.0 ≈ a province: 1M plasma and 0.6M whole-blood donations a year.",
)
@click.option(
    "--end",
    "end_text",
    default=None,
    help="The instant the history ends (ISO 8601, UTC unless it says; default now).",
)
@click.option(
    "--rate",
    "rate_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change a rate of blood/synth/rates.py, e.g. --rate adverse_reaction=0.004.",
)
@click.option("--password", default=None, help="The synthetic inspectors' password.")
def synth_command(years, seed, scale, end_text, rate_pairs, password):
    """Generate a synthetic province (stations, blood centres, hospitals) and YEARS of its
    history with bulk inserts (COPY on PostgreSQL). Refuses a database that holds
    organisations. Audit rows are not written for the synthetic history (see
    ``blood/synth/generate.py``); run ``blood compute-indicators`` afterwards for the
    supervision facts."""
    from blood.accounts.models import Organisation
    from blood.synth.generate import DEFAULT_PASSWORD, days_of, generate
    from blood.synth.rates import Rates, with_overrides

    if years <= 0 or scale <= 0:
        raise click.BadParameter("--years and --scale must be more than 0")
    try:
        rates = with_overrides(Rates(), rate_pairs)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--rate") from None
    end = None
    if end_text:
        end = datetime.fromisoformat(end_text)
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
    with db.transaction() as session:
        if session.exec(select(Organisation.id)).first() is not None:
            raise click.ClickException("the database holds organisations: synth needs an empty one")
        with click.progressbar(length=days_of(years), label="synthetic days") as bar:
            result = generate(
                session,
                years=years,
                seed=seed,
                scale=scale,
                end=end,
                rates=rates,
                password=password or DEFAULT_PASSWORD,
                progress=bar.update,
            )
        click.echo("writing …")
    province = result.province
    click.echo(
        f"synthetic province {result.first} – {result.last} in {result.seconds:.0f} s: "
        f"{len(province.stations)} plasma stations, {len(province.centres)} blood centres, "
        f"{sum(len(c.hospitals) for c in province.centres)} hospitals"
    )
    for table, count in sorted(result.rows.items()):
        click.echo(f"  {table:<32} {count:>12,}")
    click.echo(f"inspectors: {', '.join(user for user, _org in province.users)}")


# The commands blood.cli adds to `flask --app app blood`.
COMMANDS = (synth_command,)
