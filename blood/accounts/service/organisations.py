"""Organisations and the jurisdiction tree: creating them, listing them in tree order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlmodel import Session, func, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import LEVEL_LABELS, LEVEL_ORDER, AuthorityLevel, OrgKind, Role
from blood.accounts.scoping import (
    Actor,
    acting_organisation,
    require_own_org,
    require_role,
    require_visible_org,
    visible_org_ids,
)
from blood.errors import Forbidden, ValidationFailed
from blood.pagination import Page, PageRequest, page_of

ORG_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
DIVISION_RE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class OrganisationInput:
    code: str
    name_zh: str
    name_en: str
    kind: OrgKind
    parent_code: str | None = None
    level: AuthorityLevel | None = None
    division_code: str | None = None
    timezone: str | None = None


def _authority_errors(data: OrganisationInput, parent: Organisation | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.level is None:
        errors["level"] = [_("An authority needs a level.")]
        return errors
    code = data.division_code or ""
    if not DIVISION_RE.match(code):
        errors["division_code"] = [_("A division code is 6 digits (GB/T 2260).")]
        return errors
    shape_ok = {
        AuthorityLevel.NATIONAL: code == "000000",
        AuthorityLevel.PROVINCE: code.endswith("0000") and code != "000000",
        AuthorityLevel.CITY: code.endswith("00") and not code.endswith("0000"),
        AuthorityLevel.COUNTY: not code.endswith("00"),
    }[data.level]
    if not shape_ok:
        errors["division_code"] = [
            _(
                "%(code)s is not a division code of this level (%(level)s).",
                code=code,
                level=LEVEL_LABELS[data.level],
            )
        ]
    if parent is None:
        if data.level not in (AuthorityLevel.NATIONAL, AuthorityLevel.PROVINCE):
            errors["parent_code"] = [_("A city or county authority needs a parent authority.")]
        return errors
    parent_level = AuthorityLevel(parent.level)
    if LEVEL_ORDER.index(data.level) <= LEVEL_ORDER.index(parent_level):
        errors["level"] = [_("An authority must sit below its parent's level.")]
    prefix = {AuthorityLevel.PROVINCE: 2, AuthorityLevel.CITY: 4}.get(parent_level, 0)
    if prefix and parent.division_code and code[:prefix] != parent.division_code[:prefix]:
        errors.setdefault("division_code", []).append(
            _("%(code)s is not inside %(parent)s.", code=code, parent=parent.division_code)
        )
    return errors


def create_organisation(*, session: Session, actor: Actor, data: OrganisationInput) -> Organisation:
    """Add an organisation under a parent authority the actor administers (or as system)."""
    errors: dict[str, list[str]] = {}
    code = data.code.strip().upper()
    if not ORG_CODE_RE.match(code):
        errors["code"] = [_("Use 2–32 capital letters, digits or dashes.")]
    elif session.exec(select(Organisation.id).where(Organisation.code == code)).first():
        errors["code"] = [_("Code %(code)s is taken.", code=code)]
    if not data.name_zh.strip():
        errors["name_zh"] = [_("Required.")]
    if not data.name_en.strip():
        errors["name_en"] = [_("Required.")]
    timezone = data.timezone or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_("Unknown time zone %(tz)s.", tz=timezone)]

    parent = None
    if data.parent_code:
        parent = session.exec(
            select(Organisation).where(Organisation.code == data.parent_code.strip().upper())
        ).first()
        if parent is None or parent.kind != OrgKind.AUTHORITY:
            errors["parent_code"] = [_("The parent must be an existing authority.")]
            parent = None
    if data.kind == OrgKind.AUTHORITY:
        for name, messages in _authority_errors(data, parent).items():
            errors.setdefault(name, []).extend(messages)
    elif not data.parent_code:
        errors["parent_code"] = [_("Every organisation sits in an authority's jurisdiction.")]
    if errors:
        raise ValidationFailed(errors)

    if not actor.is_system:
        # Only an administrator of an authority above may add to its jurisdiction.
        require_role(actor, Role.ORG_ADMIN)
        if actor.organisation_kind != OrgKind.AUTHORITY or parent is None:
            raise Forbidden()
        if not parent.path.startswith(actor.organisation_path or "\0"):
            raise Forbidden()

    is_authority = data.kind == OrgKind.AUTHORITY
    org = Organisation(
        code=code,
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip(),
        kind=data.kind.value,
        level=data.level.value if is_authority and data.level else None,
        division_code=data.division_code if is_authority else None,
        parent_id=parent.id if parent else None,
        timezone=timezone,
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    audit.record(session, actor, "organisation.create", org, organisation=org)
    return org


def list_organisations(
    *, session: Session, actor: Actor, kind: OrgKind | None = None
) -> list[Organisation]:
    """The organisations the actor may see, in tree order (each authority followed by its
    jurisdiction; at each level authorities first, then by code)."""
    statement = select(Organisation).where(Organisation.id.in_(visible_org_ids(actor)))
    orgs = list(session.exec(statement).all())
    by_id = {org.id: org for org in orgs}

    def tree_key(org: Organisation) -> tuple:
        ancestry = [int(part) for part in org.path.strip("/").split("/")]
        return tuple(
            (by_id[i].kind != OrgKind.AUTHORITY, by_id[i].code) if i in by_id else (False, "")
            for i in ancestry
        )

    orgs.sort(key=tree_key)
    if kind is not None:
        orgs = [org for org in orgs if org.kind == kind.value]
    return orgs


def organisation_by_code(*, session: Session, code: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.code == code.upper())).first()


def update_collecting_settings(
    *,
    session: Session,
    actor: Actor,
    organisation: Organisation,
    facility_id: str | None = None,
    rule_profile: str | None = None,
    known_profiles: Iterable[str] = (),
) -> None:
    """A plasma station's or blood centre's ISBT 128 facility id and eligibility rule profile
    (one of ``known_profiles``, which the caller takes from the donors package; a station's
    designated area is the donors package's too)."""
    from blood import isbt128

    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
        require_own_org(actor, organisation)
    if organisation.kind not in (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE):
        raise ValidationFailed({"organisation": [_("Only collecting organisations have these.")]})
    errors: dict[str, list[str]] = {}
    if facility_id is not None:
        facility_id = facility_id.strip().upper()
        taken = session.exec(
            select(Organisation.id).where(
                Organisation.facility_id == facility_id, Organisation.id != organisation.id
            )
        ).first()
        if not isbt128.is_valid_facility_id(facility_id):
            errors["facility_id"] = [_("A letter (not O) or digit 1–9, then 4 digits.")]
        elif taken:
            errors["facility_id"] = [_("Another organisation has this facility id.")]
    if rule_profile is not None and rule_profile not in known_profiles:
        errors["rule_profile"] = [
            _("Unknown profile; known: %(known)s.", known=", ".join(sorted(known_profiles)))
        ]
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(organisation, ["facility_id", "rule_profile"])
    if facility_id is not None:
        organisation.facility_id = facility_id
    if rule_profile is not None:
        organisation.rule_profile = rule_profile
    session.add(organisation)
    audit.record(
        session,
        actor,
        "organisation.collecting_settings",
        organisation,
        before=before,
        organisation=organisation,
    )


@dataclass(frozen=True)
class OrganisationPage:
    organisation: Organisation
    parent: Organisation | None
    children: list[Organisation]


def organisation_page(*, session: Session, actor: Actor, code: str) -> OrganisationPage:
    """One organisation in the actor's scope, with its parent and the visible organisations
    directly in its jurisdiction (404 for anything out of scope)."""
    org = require_visible_org(session, actor, code.upper())
    children = session.exec(
        select(Organisation)
        .where(Organisation.parent_id == org.id, Organisation.id.in_(visible_org_ids(actor)))
        .order_by(Organisation.code)
    ).all()
    parent = session.get(Organisation, org.parent_id) if org.parent_id else None
    return OrganisationPage(org, parent, list(children))


@dataclass(frozen=True)
class JurisdictionSummary:
    counts: dict[str, int]  # organisation kind -> how many in the jurisdiction
    children: list[Organisation]  # directly below


def jurisdiction_summary(*, session: Session, actor: Actor) -> JurisdictionSummary:
    """What an authority's home page counts: its jurisdiction by kind, and who sits below."""
    own = acting_organisation(session, actor, OrgKind.AUTHORITY)
    rows = session.exec(
        select(Organisation.kind, func.count())
        .where(Organisation.id.in_(visible_org_ids(actor)), Organisation.id != own.id)
        .group_by(Organisation.kind)
    ).all()
    children = session.exec(
        select(Organisation).where(Organisation.parent_id == own.id).order_by(Organisation.code)
    ).all()
    return JurisdictionSummary({kind: count for kind, count in rows}, list(children))


def organisation_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Codes of many organisations in one query (for API lists)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(Organisation.id, Organisation.code).where(Organisation.id.in_(wanted))
    ).all()
    return dict(rows)


def acting_organisation_of(*, session: Session, actor: Actor) -> Organisation | None:
    """The organisation the actor acts for (None for the system)."""
    if actor.organisation_id is None:
        return None
    return session.get(Organisation, actor.organisation_id)


@dataclass(frozen=True)
class OrganisationSummary:
    """An organisation as the API shows it: with its parent's code, not its id."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    level: str | None
    division_code: str | None
    timezone: str
    parent_code: str | None


def summarise(session: Session, orgs: list[Organisation]) -> list[OrganisationSummary]:
    parents = organisation_codes(session, (o.parent_id for o in orgs))
    return [
        OrganisationSummary(
            code=o.code,
            name_zh=o.name_zh,
            name_en=o.name_en,
            kind=o.kind,
            level=o.level,
            division_code=o.division_code,
            timezone=o.timezone,
            parent_code=parents.get(o.parent_id) if o.parent_id else None,
        )
        for o in orgs
    ]


def organisation_summaries(
    *, session: Session, actor: Actor, kind: OrgKind | None = None, page: PageRequest
) -> Page[OrganisationSummary]:
    """One page of the organisations in scope, in tree order."""
    listed = page_of(list_organisations(session=session, actor=actor, kind=kind), page)
    return replace(listed, items=summarise(session, listed.items))


def organisation_summary(*, session: Session, actor: Actor, code: str) -> OrganisationSummary:
    """One organisation in scope (404 for any other)."""
    return summarise(session, [require_visible_org(session, actor, code.upper())])[0]


@dataclass(frozen=True)
class Caller:
    kind: str
    name: str
    roles: list[str]
    organisation: OrganisationSummary


def describe_caller(*, session: Session, actor: Actor) -> Caller:
    """Who is calling: user or token, its organisation and roles."""
    org = session.get(Organisation, actor.organisation_id)
    return Caller(actor.kind, actor.name, sorted(actor.roles), summarise(session, [org])[0])
