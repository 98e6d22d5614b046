"""Organisation kinds, authority levels and the roles that fit each kind."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class OrgKind(StrEnum):
    AUTHORITY = "authority"
    PLASMA_STATION = "plasma_station"
    BLOOD_CENTRE = "blood_centre"
    HOSPITAL = "hospital"
    MANUFACTURER = "manufacturer"


class AuthorityLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


# A child authority must sit exactly one level below its parent.
LEVEL_ORDER = [
    AuthorityLevel.NATIONAL,
    AuthorityLevel.PROVINCE,
    AuthorityLevel.CITY,
    AuthorityLevel.COUNTY,
]


class Role(StrEnum):
    ORG_ADMIN = "org_admin"
    REGISTRAR = "registrar"
    PHYSICIAN = "physician"
    COLLECTOR = "collector"
    LAB = "lab"
    QUALITY = "quality"
    STOCK_CLERK = "stock_clerk"
    TRANSFUSION_OFFICER = "transfusion_officer"
    RECEIVING_CLERK = "receiving_clerk"
    INSPECTOR = "inspector"


ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.PLASMA_STATION: (
        Role.REGISTRAR,
        Role.PHYSICIAN,
        Role.COLLECTOR,
        Role.LAB,
        Role.QUALITY,
        Role.ORG_ADMIN,
    ),
    OrgKind.BLOOD_CENTRE: (
        Role.REGISTRAR,
        Role.PHYSICIAN,
        Role.COLLECTOR,
        Role.LAB,
        Role.QUALITY,
        Role.STOCK_CLERK,
        Role.ORG_ADMIN,
    ),
    OrgKind.HOSPITAL: (Role.TRANSFUSION_OFFICER, Role.ORG_ADMIN),
    OrgKind.MANUFACTURER: (Role.RECEIVING_CLERK, Role.ORG_ADMIN),
    OrgKind.AUTHORITY: (Role.INSPECTOR, Role.ORG_ADMIN),
}

KIND_LABELS = {
    OrgKind.AUTHORITY: _l("Health authority"),
    OrgKind.PLASMA_STATION: _l("Plasma station"),
    OrgKind.BLOOD_CENTRE: _l("Blood centre"),
    OrgKind.HOSPITAL: _l("Hospital"),
    OrgKind.MANUFACTURER: _l("Plasma-product manufacturer"),
}

LEVEL_LABELS = {
    AuthorityLevel.NATIONAL: _l("National"),
    AuthorityLevel.PROVINCE: _l("Province"),
    AuthorityLevel.CITY: _l("City"),
    AuthorityLevel.COUNTY: _l("County"),
}

ROLE_LABELS = {
    Role.ORG_ADMIN: _l("Organisation administrator"),
    Role.REGISTRAR: _l("Registrar"),
    Role.PHYSICIAN: _l("Physician"),
    Role.COLLECTOR: _l("Collector"),
    Role.LAB: _l("Laboratory"),
    Role.QUALITY: _l("Quality manager"),
    Role.STOCK_CLERK: _l("Stock clerk"),
    Role.TRANSFUSION_OFFICER: _l("Transfusion officer"),
    Role.RECEIVING_CLERK: _l("Receiving clerk"),
    Role.INSPECTOR: _l("Inspector"),
}


def default_token_roles(kind: OrgKind) -> tuple[Role, ...]:
    """An API token acts for its organisation's systems: every role of the kind but admin."""
    return tuple(r for r in ROLES_BY_KIND[kind] if r is not Role.ORG_ADMIN)
