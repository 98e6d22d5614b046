"""Designated areas: the household registrations a plasma station may register donors from
(one donor, one station)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, require_role
from blood.donors.models import DesignatedArea
from blood.errors import ValidationFailed


def area_covers(area_code: str, region: str) -> bool:
    """A province code (XX0000) covers its whole province, a city code (XXXX00) its city,
    a county code itself."""
    if area_code.endswith("0000"):
        return region[:2] == area_code[:2]
    if area_code.endswith("00"):
        return region[:4] == area_code[:4]
    return region == area_code


def stations_covering(session: Session, region: str) -> list[Organisation]:
    rows = session.exec(
        select(Organisation, DesignatedArea.division_code)
        .join(DesignatedArea, DesignatedArea.station_id == Organisation.id)
        .where(Organisation.kind == OrgKind.PLASMA_STATION, Organisation.active)
        .where(DesignatedArea.division_code.in_(_candidate_areas(region)))
    ).all()
    found: dict[int, Organisation] = {}
    for org, code in rows:
        if area_covers(code, region):
            found[org.id] = org
    return list(found.values())


def _candidate_areas(region: str) -> list[str]:
    return [region, region[:4] + "00", region[:2] + "0000"]


def set_designated_area(
    *, session: Session, actor: Actor, station: Organisation, division_codes: list[str]
) -> None:
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
    bad = [c for c in division_codes if not re.fullmatch(r"\d{6}", c)]
    if bad:
        raise ValidationFailed(
            {"division_codes": [_("Not a 6-digit division code: %(codes)s", codes=", ".join(bad))]}
        )
    before = sorted(
        session.exec(
            select(DesignatedArea.division_code).where(DesignatedArea.station_id == station.id)
        ).all()
    )
    session.execute(sa.delete(DesignatedArea).where(DesignatedArea.station_id == station.id))
    for code in sorted(set(division_codes)):
        session.add(DesignatedArea(station_id=station.id, division_code=code))
    audit.record(
        session,
        actor,
        "station.designated_area",
        entity_type="organisation",
        entity_id=station.id,
        organisation=station,
        changes={"division_codes": [before, sorted(set(division_codes))]},
    )


class OutsideDesignatedArea(ValidationFailed):
    code = "outside_designated_area"


def require_designated_area(session: Session, station: Organisation, region: str) -> None:
    areas = session.exec(
        select(DesignatedArea.division_code).where(DesignatedArea.station_id == station.id)
    ).all()
    if any(area_covers(code, region) for code in areas):
        return
    others = [s for s in stations_covering(session, region) if s.id != station.id]
    if others:
        message = _(
            "Household registration %(region)s is in the area of %(station)s, not this station's.",
            region=region,
            station=others[0].name_zh,
        )
    else:
        message = _(
            "Household registration %(region)s is outside this station's designated area.",
            region=region,
        )
    raise OutsideDesignatedArea({"household_region": [message]})
