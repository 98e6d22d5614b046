"""Command line: ``flask --app app db …`` (Alembic) and ``flask --app app blood …``."""

from __future__ import annotations

import sys

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup

from blood import db, migrate
from blood.accounts.roles import AuthorityLevel, OrgKind
from blood.cli_support import domain_errors_exit

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")
blood_cli = AppGroup("blood", help="Administration of a blood deployment.")


def _alembic_config():
    return migrate.alembic_config(current_app.config["DATABASE_URL"])


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: every head)."""
    command.upgrade(_alembic_config(), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. -1, or base)."""
    command.downgrade(_alembic_config(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Compare the models with the database.")
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a new migration script in migrations/versions."""
    command.revision(_alembic_config(), message=message, autogenerate=autogenerate)


@db_cli.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    command.current(_alembic_config(), verbose=True)


@db_cli.command("history")
def db_history() -> None:
    command.history(_alembic_config())


@blood_cli.command("create-org")
@click.argument("code")
@click.option("--kind", type=click.Choice([k.value for k in OrgKind]), required=True)
@click.option("--name-zh", required=True, help="Chinese name")
@click.option("--name-en", required=True, help="English name")
@click.option("--parent", "parent_code", help="Code of the supervising authority")
@click.option("--level", type=click.Choice([lv.value for lv in AuthorityLevel]))
@click.option("--division-code", help="6-digit GB/T 2260 code (authorities)")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@domain_errors_exit
def create_org(code, kind, name_zh, name_en, parent_code, level, division_code, timezone):
    """Add an organisation to the jurisdiction tree."""
    from blood.accounts.scoping import Actor
    from blood.accounts.service import OrganisationInput, create_organisation

    with db.transaction() as session:
        org = create_organisation(
            session=session,
            actor=Actor.system("cli"),
            data=OrganisationInput(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                kind=OrgKind(kind),
                parent_code=parent_code,
                level=AuthorityLevel(level) if level else None,
                division_code=division_code,
                timezone=timezone,
            ),
        )
    click.echo(f"created {org.kind} {org.code} (id {org.id})")


@blood_cli.command("create-user")
@click.argument("username")
@click.option("--org", "org_code", required=True, help="Organisation code")
@click.option("--name", "display_name", required=True, help="Full name")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
@click.password_option(envvar="BLOOD_NEW_USER_PASSWORD", help="Prompted for when not given")
@domain_errors_exit
def create_user(username, org_code, display_name, roles, locale, password):
    """Add a user to an organisation."""
    from blood.accounts.scoping import Actor
    from blood.accounts.service import create_user as create
    from blood.accounts.service import organisation_by_code

    with db.transaction() as session:
        org = organisation_by_code(session=session, code=org_code)
        if org is None:
            raise click.BadParameter(f"no organisation {org_code}", param_hint="--org")
        user = create(
            session=session,
            actor=Actor.system("cli"),
            organisation=org,
            username=username,
            display_name=display_name,
            password=password,
            roles=list(roles),
            locale=locale,
        )
    click.echo(f"created user {user.username} at {org.code}")


@blood_cli.command("set-user-active")
@click.argument("username")
@click.option("--disable/--enable", "disable", required=True)
@domain_errors_exit
def set_user_active(username, disable):
    """Disable (or enable) a user: the same rule as the users page (their sessions end)."""
    from blood.accounts import service as accounts
    from blood.accounts.scoping import Actor

    with db.transaction() as session:
        actor = Actor.system("cli")
        user = accounts.set_user_active(
            session=session,
            actor=actor,
            user_id=accounts.member_id(session=session, actor=actor, username=username),
            active=not disable,
        )
    click.echo(f"{user.username} {'disabled' if disable else 'enabled'}")


@blood_cli.command("reset-password")
@click.argument("username")
@click.password_option(envvar="BLOOD_NEW_USER_PASSWORD", help="Prompted for when not given")
@domain_errors_exit
def reset_password(username, password):
    """Reset a user's password; they must change it at their next log-in."""
    from blood.accounts import service as accounts
    from blood.accounts.scoping import Actor

    with db.transaction() as session:
        actor = Actor.system("cli")
        user = accounts.reset_password(
            session=session,
            actor=actor,
            user_id=accounts.member_id(session=session, actor=actor, username=username),
            new_password=password,
        )
    click.echo(f"password of {user.username} reset; to be changed at next log-in")


@blood_cli.command("create-token")
@click.argument("org_code")
@click.option("--name", required=True, help="What will use the token, e.g. 'HIS production'")
@domain_errors_exit
def create_token(org_code, name):
    """Create an API token; the token alone is printed on the last line, once."""
    from blood.accounts.scoping import Actor
    from blood.accounts.service import create_token as create
    from blood.accounts.service import organisation_by_code

    with db.transaction() as session:
        org = organisation_by_code(session=session, code=org_code)
        if org is None:
            raise click.BadParameter(f"no organisation {org_code}", param_hint="ORG_CODE")
        token, plaintext = create(
            session=session, actor=Actor.system("cli"), organisation=org, name=name
        )
    click.echo(f"token {token.name!r} for {org.code} (store it now; it is not shown again):")
    click.echo(plaintext)


@blood_cli.command("station-settings")
@click.argument("org_code")
@click.option("--facility-id", help="ISBT 128 facility identification number (from ICCBBA)")
@click.option("--rule-profile", help="Eligibility rule profile, e.g. cn-plasma, cn-whole-blood")
@click.option("--area", "areas", multiple=True, help="Designated-area division code; repeat")
@domain_errors_exit
def station_settings(org_code, facility_id, rule_profile, areas):
    """Set a collecting organisation's facility id, rule profile and designated area."""
    from blood.accounts.scoping import Actor
    from blood.accounts.service import organisation_by_code, update_collecting_settings
    from blood.donors.rules import PROFILES
    from blood.donors.service import set_designated_area

    with db.transaction() as session:
        org = organisation_by_code(session=session, code=org_code)
        if org is None:
            raise click.BadParameter(f"no organisation {org_code}", param_hint="ORG_CODE")
        update_collecting_settings(
            session=session,
            actor=Actor.system("cli"),
            organisation=org,
            facility_id=facility_id,
            rule_profile=rule_profile,
            known_profiles=PROFILES,
        )
        if areas:
            set_designated_area(
                session=session, actor=Actor.system("cli"), station=org, division_codes=list(areas)
            )
    click.echo(
        f"{org.code}: facility id {org.facility_id or '-'}, profile {org.rule_profile or 'default'}"
    )


@blood_cli.command("expire-units")
def expire_units():
    """Mark every unit past its expiry as expired (idempotent; the daily job runs it)."""
    from blood.stock.service import expire_units as expire

    with db.transaction() as session:
        count = expire(session)
    click.echo(f"{count} units expired")


@blood_cli.command("prune-idempotency-keys")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Keep this many days (default: IDEMPOTENCY_KEY_RETENTION_DAYS, 30)",
)
def prune_idempotency_keys(days):
    """Forget Idempotency-Keys older than their retention (the scheduler runs it daily)."""
    from datetime import timedelta

    from blood import idempotency

    keep = days or int(current_app.config.get("IDEMPOTENCY_KEY_RETENTION_DAYS", 30))
    with db.transaction() as session:
        count = idempotency.prune(session, older_than=timedelta(days=keep))
    click.echo(f"{count} idempotency keys older than {keep} days forgotten")


@blood_cli.command("load-product-codes")
@click.argument("csv_file", type=click.File(encoding="utf-8"), required=False)
@domain_errors_exit
def load_product_codes(csv_file):
    """Insert or update ISBT 128 product codes from a CSV (default: the shipped table).

    Columns: code, component (red_cells|plasma|platelets|cryo), shelf_life_hours, storage,
    name_en, name_zh, source.
    """
    from blood.accounts.scoping import Actor
    from blood.stock.service import load_product_codes as load

    with db.transaction() as session:
        count = load(session, Actor.system("cli"), csv_file.read() if csv_file else None)
    click.echo(f"{count} product codes loaded")


@blood_cli.command("audit-verify")
@click.option("--full", is_flag=True, help="Walk every chain from its start, not from checkpoints")
def audit_verify(full: bool):
    """Walk the audit chains (from the last signed checkpoints); exit 1 naming each break."""
    from blood import audit, settings

    with db.transaction() as session:
        result = audit.verify(
            session, signing_key=settings.of(session).audit_signing_key, resume=not full
        )
    for broken in result.breaks:
        click.echo(
            f"audit chain {broken.chain} BROKEN at seq {broken.seq} (row id {broken.id}): "
            f"{broken.reason}",
            err=True,
        )
    if result.breaks:
        sys.exit(1)
    since = "from the start" if full else "since the last checkpoints"
    click.echo(
        f"audit chains intact: {result.chains} chains, {result.checked} rows checked {since}"
    )


@blood_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only into a database with no organisations.")
@click.option(
    "--push-url",
    default=None,
    help="Where the province pushes its summaries (default: this instance's inbound "
    "endpoint on port 8000)",
)
def demo(if_empty: bool, push_url: str | None):
    """Load the demo province (idempotent); prints new API tokens once (the hospitals' and
    the Chun'an plasma station's)."""
    from sqlmodel import select

    from blood.accounts.models import Organisation
    from blood.demo import DEMO_PUSH_URL, load_demo

    with db.transaction() as session:
        if if_empty and session.exec(select(Organisation.id)).first() is not None:
            click.echo("the database holds organisations; demo data not loaded")
            return
        result = load_demo(session, push_url=push_url or DEMO_PUSH_URL)
    if not result.created:
        click.echo("demo data already present; nothing changed")
        return
    click.echo(f"demo data loaded: {result.organisations} organisations, {result.users} users")
    if result.plasma_history:
        click.echo("plasma stations: facility ids, areas, donors and half a year of donations")
        click.echo(
            "PS-CHUNAN today: releasable units and units in quarantine, a donor waiting for the "
            "physician, an over-limit collection for the quality manager, and a donor who gave "
            "whole blood at ZJ-BC recently"
        )
    if result.stock_history:
        click.echo("blood centre: five weeks of components, issues and transfusions")
    click.echo(
        f"supervision: {result.indicator_facts} indicator facts over the demo's history, "
        f"{result.alerts} alerts active; ZJ-HC pushes its daily summary to CN-NHC "
        f"({push_url or DEMO_PUSH_URL}) once the scheduler runs"
    )
    click.echo("demo users share the password shown in the README (demo only)")
    for org_code, token in result.tokens:
        click.echo(f"API token for {org_code}: {token}")


def register_cli(app: Flask) -> None:
    # The commands of the packages nothing else imports (supervision, the synthetic
    # province): this module gathers them, they do not import it.
    from blood.analytics import cli as analytics_commands
    from blood.supervision import cli as supervision_commands
    from blood.supervision import cli_push as push_commands
    from blood.supervision.scheduler import cli as scheduler_commands
    from blood.synth import cli as synth_commands

    for module in (
        supervision_commands,
        push_commands,
        scheduler_commands,
        synth_commands,
        analytics_commands,
    ):
        for each in module.COMMANDS:
            if each.name not in blood_cli.commands:
                blood_cli.add_command(each)
    app.cli.add_command(db_cli)
    app.cli.add_command(blood_cli)
