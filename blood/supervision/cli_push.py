"""Pushes from the command line: ``flask --app app blood push-target add|list|deactivate``,
``blood write-summaries --kind daily``, ``blood deliver`` (the outbox, once) and, on an
upper-level instance, ``blood inbound-source add NAME --org CODE``. The scheduler runs the
same services on its own (``blood scheduler``)."""

from __future__ import annotations

import json
import secrets

import click
from flask.cli import AppGroup, with_appcontext

from blood import db
from blood.accounts.scoping import Actor
from blood.cli_support import domain_errors_exit
from blood.db import utcnow
from blood.supervision.models import PUSH_FORMATS, SUMMARY_KINDS
from blood.supervision.service import delivery, inbound, summaries, targets

SYSTEM = Actor.system("cli")


@click.group("push-target", cls=AppGroup)
def push_target() -> None:
    """Where an authority's summaries are pushed."""


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in SUMMARY_KINDS]
    if unknown:
        raise click.BadParameter(f"{unknown[0]}: one of {', '.join(SUMMARY_KINDS)}")
    return kinds


@push_target.command("add")
@click.argument("authority")
@click.argument("name")
@click.argument("url")
@click.option(
    "--format", "format_", type=click.Choice(PUSH_FORMATS), default="native", show_default=True
)
@click.option(
    "--kinds",
    default="daily",
    show_default=True,
    help="Which summaries, separated by commas: daily, weekly, monthly",
)
@click.option(
    "--sender",
    "username",
    default=None,
    help="native/federation: the X-Blood-Sender name (default: the authority code); "
    "dhis2: the DHIS2 user name",
)
@click.option(
    "--secret",
    default=None,
    help="The signing secret or DHIS2 password (asked for when not given; "
    "--generate-secret makes one)",
)
@click.option("--generate-secret", is_flag=True, help="Make a secret and print it once")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.File("r"),
    default=None,
    help="dhis2: the mapping JSON file (docs/supervision.md)",
)
@domain_errors_exit
def add_target(
    authority, name, url, format_, kinds, username, secret, generate_secret, mapping_file
):
    """Add a push target for AUTHORITY (its code)."""
    if generate_secret:
        secret = secrets.token_urlsafe(32)
    elif secret is None:
        secret = click.prompt("Secret", hide_input=True)
    mapping = json.load(mapping_file) if mapping_file else {}
    with db.transaction() as session:
        target = targets.create_target(
            session=session,
            actor=SYSTEM,
            authority_code=authority,
            data=targets.TargetInput(
                name=name,
                url=url,
                format=format_,
                summary_kinds=_kinds(kinds),
                secret=secret,
                username=username,
                mapping=mapping,
            ),
        )
    click.echo(f"push target {target.name} (id {target.id}): {target.format} to {target.url}")
    if generate_secret:
        click.echo(f"secret (shown once): {secret}")


@push_target.command("list")
@click.argument("authority")
@domain_errors_exit
def list_targets(authority):
    """The push targets of AUTHORITY and their deliveries."""
    with db.transaction() as session:
        found = targets.list_targets(session=session, actor=SYSTEM, authority_code=authority)
    for view in found:
        t = view.target
        click.echo(
            f"{t.id}\t{t.name}\t{t.format}\t{t.url}\t{','.join(t.summary_kinds)}\t"
            f"{'active' if t.active else 'inactive'}\t"
            f"pending {view.pending}, delivered {view.delivered}, dead {view.dead}"
        )


@push_target.command("deactivate")
@click.argument("authority")
@click.argument("name")
@domain_errors_exit
def deactivate_target(authority, name):
    """Stop pushing to the target NAME of AUTHORITY."""
    with db.transaction() as session:
        target_id = targets.target_named(
            session=session, actor=SYSTEM, authority_code=authority, name=name
        )
        targets.deactivate_target(
            session=session, actor=SYSTEM, target_id=target_id, authority_code=authority
        )
    click.echo(f"push target {name} deactivated")


@click.command("write-summaries")
@with_appcontext
@click.option("--kind", type=click.Choice(SUMMARY_KINDS), default="daily", show_default=True)
@domain_errors_exit
def write_summaries(kind):
    """Write every authority's summary of the period that just ended (and its outbox rows);
    a summary that exists is not written again."""
    with db.transaction() as session:
        written = summaries.write_summaries(session=session, actor=SYSTEM, kind=kind, now=utcnow())
    click.echo(f"{written} {kind} summaries written")


@click.command("deliver")
@with_appcontext
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@domain_errors_exit
def deliver(limit):
    """Send the outbox's due deliveries once."""
    with db.transaction() as session:
        run = delivery.deliver_due(session=session, actor=SYSTEM, now=utcnow(), limit=limit)
    click.echo(
        f"deliveries: {run.claimed} sent, {run.delivered} delivered, {run.retrying} to retry, "
        f"{run.dead} dead"
    )
    for error in run.errors:
        click.echo(f"  {error}", err=True)


@click.group("inbound-source", cls=AppGroup)
def inbound_source() -> None:
    """Lower-level instances allowed to push here (federation)."""


@inbound_source.command("add")
@click.argument("name")
@click.option(
    "--org",
    "org_code",
    required=True,
    help="The authority of this instance that stands for the remote jurisdiction",
)
@domain_errors_exit
def add_inbound_source(name, org_code):
    """Allow the lower instance NAME (its X-Blood-Sender) to push; prints its secret once."""
    with db.transaction() as session:
        source, secret = inbound.add_source(
            session=session, actor=SYSTEM, name=name, organisation_code=org_code
        )
    click.echo(f"inbound source {source.name} (id {source.id}) for {org_code.upper()}")
    click.echo(f"secret (shown once): {secret}")


# The commands blood.cli adds to `flask --app app blood`.
COMMANDS = (push_target, write_summaries, deliver, inbound_source)
