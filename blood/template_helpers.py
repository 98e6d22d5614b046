"""What every template may use: navigation by role, labels, the current locale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from blood.accounts.roles import KIND_LABELS, LEVEL_LABELS, ROLE_LABELS, OrgKind, Role
from blood.web import field_label


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    kinds: frozenset[OrgKind] | None = None  # None: every kind
    roles: frozenset[Role] | None = None  # None: every role
    visible: Callable[[Any], bool] | None = None  # a feature's own test of the actor


_STATION = frozenset({OrgKind.PLASMA_STATION})
_CENTRE = frozenset({OrgKind.BLOOD_CENTRE})
_STOCK_HOLDERS = frozenset({OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL})
_HOSPITAL = frozenset({OrgKind.HOSPITAL})
_STATION_STAFF = frozenset({Role.REGISTRAR, Role.PHYSICIAN, Role.COLLECTOR, Role.QUALITY})

# Later features append their entries here (one list, so the menu is the same everywhere).
NAV_ITEMS: list[NavItem] = [
    NavItem("core.home", _l("Home")),
    NavItem(
        "accounts.organisations",
        _l("Jurisdiction"),
        kinds=frozenset({OrgKind.AUTHORITY}),
    ),
    NavItem("plasma.desk", _l("Front desk"), kinds=_STATION, roles=_STATION_STAFF),
    NavItem("plasma.lab", _l("Laboratory"), kinds=_STATION, roles=frozenset({Role.LAB})),
    NavItem("plasma.quarantine", _l("Quarantine"), kinds=_STATION, roles=frozenset({Role.QUALITY})),
    NavItem("plasma.deviations", _l("Deviations"), kinds=_STATION, roles=frozenset({Role.QUALITY})),
    NavItem("plasma.inventory", _l("Inventory"), kinds=_STATION),
    NavItem("plasma.visits", _l("Visits"), kinds=_STATION),
    NavItem("plasma.units", _l("Plasma units"), kinds=_STATION),
    NavItem("donors.index", _l("Donors"), kinds=_STATION | _CENTRE),
    NavItem("donors.deferrals", _l("Deferrals"), kinds=_STATION | _CENTRE),
    NavItem(
        "plasma.shipments",
        _l("Shipments"),
        kinds=frozenset({OrgKind.PLASMA_STATION, OrgKind.MANUFACTURER}),
        roles=frozenset({Role.QUALITY, Role.RECEIVING_CLERK, Role.ORG_ADMIN}),
    ),
    NavItem(
        "donors.register", _l("Register a donor"), kinds=_CENTRE, roles=frozenset({Role.REGISTRAR})
    ),
    NavItem(
        "supervision.dashboard",
        _l("Supervision"),
        kinds=frozenset({OrgKind.AUTHORITY}),
        roles=frozenset({Role.INSPECTOR}),
    ),
    NavItem(
        "supervision.alerts",
        _l("Alerts"),
        kinds=frozenset({OrgKind.AUTHORITY}),
        roles=frozenset({Role.INSPECTOR}),
    ),
    NavItem(
        "supervision.push_targets",
        _l("Pushes"),
        kinds=frozenset({OrgKind.AUTHORITY}),
        roles=frozenset({Role.ORG_ADMIN}),
    ),
    NavItem("stock.levels", _l("Stock"), kinds=_STOCK_HOLDERS | {OrgKind.AUTHORITY}),
    NavItem(
        "stock.collect", _l("Blood collection"), kinds=_CENTRE, roles=frozenset({Role.COLLECTOR})
    ),
    NavItem("stock.units", _l("Blood units"), kinds=_STOCK_HOLDERS),
    NavItem("stock.lab", _l("Laboratory"), kinds=_CENTRE, roles=frozenset({Role.LAB})),
    NavItem("stock.deviations", _l("Deviations"), kinds=_CENTRE, roles=frozenset({Role.QUALITY})),
    NavItem("stock.orders", _l("Orders"), kinds=_STOCK_HOLDERS),
    NavItem("stock.dispatches", _l("Dispatches"), kinds=_STOCK_HOLDERS),
    NavItem("clinical.register", _l("Transfusion register"), kinds=_HOSPITAL),
    NavItem(
        "clinical.committee",
        _l("Flags for review"),
        kinds=_HOSPITAL,
        roles=frozenset({Role.TRANSFUSION_OFFICER}),
    ),
    NavItem("clinical.reactions", _l("Adverse reactions"), kinds=_HOSPITAL),
    NavItem("clinical.figures", _l("Monthly figures"), kinds=_HOSPITAL),
    NavItem("accounts.users", _l("Users"), roles=frozenset({Role.ORG_ADMIN})),
    NavItem("accounts.tokens", _l("API tokens"), roles=frozenset({Role.ORG_ADMIN})),
    NavItem("core.activity", _l("Activity"), roles=frozenset({Role.ORG_ADMIN, Role.INSPECTOR})),
]


def nav_for(actor) -> list[dict]:
    if actor is None:
        return []
    items = []
    for item in NAV_ITEMS:
        if item.kinds is not None and actor.organisation_kind not in item.kinds:
            continue
        if item.roles is not None and not actor.has_role(*item.roles):
            continue
        if item.visible is not None and not item.visible(actor):
            continue
        items.append(
            {
                "url": url_for(item.endpoint),
                "label": item.label,
                "active": request.endpoint == item.endpoint,
            }
        )
    return items


def register_template_helpers(app: Flask) -> None:
    from blood.accounts.auth import current_actor, current_organisation

    # Macros imported from _fields.html see the environment's globals, not the context.
    app.jinja_env.globals["field_label"] = field_label

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "zh_CN")
        # While the database is unreachable a page must not ask it who is logged in.
        reachable = not g.get("database_unavailable")
        actor = current_actor() if request and reachable else None
        return {
            "locale": locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else "en",
            "actor": actor,
            "organisation": current_organisation() if actor else None,
            "nav_items": nav_for(actor),
            "kind_label": lambda kind: KIND_LABELS.get(OrgKind(kind), kind),
            "level_label": lambda level: LEVEL_LABELS.get(level, level) if level else "",
            "role_label": lambda role: ROLE_LABELS.get(role, role),
        }
