"""Arranging clinical tests: units in a hospital's stock, and transfusion payloads.

Units are written as rows (as ``tests/stock/test_concurrency.py`` does): the stock's own
services are tested in ``tests/stock``; here a unit only needs to sit in a hospital's stock.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from blood import isbt128
from blood.accounts.service import actor_for_user
from blood.stock.models import Unit

PRODUCTS = {"red_cells": "E0001", "plasma": "E0004", "platelets": "E0003", "cryo": "E0006"}
VOLUMES = {"red_cells": 280, "plasma": 200, "platelets": 250, "cryo": 40}
_serial = itertools.count(1)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def earlier_today(zone: str = "Asia/Shanghai") -> dict[str, str]:
    """`started_at`/`ended_at` of a transfusion that ended before now on the hospital's own
    calendar day (every test organisation's zone is the default, Asia/Shanghai): three hours
    ago, or — in the first hours after local midnight, when three hours ago is yesterday —
    inside the minutes since midnight, so that today's figures count it whenever tests run."""
    current = now()
    midnight = datetime.combine(current.astimezone(ZoneInfo(zone)).date(), time(), ZoneInfo(zone))
    start = current - timedelta(hours=3)
    if start < midnight:
        start = midnight + (current - midnight) / 3
    end = min(start + timedelta(hours=1), start + (current - start) / 2)
    return {"started_at": start.isoformat(), "ended_at": end.isoformat()}


def make_unit(
    session,
    world,
    *,
    hospital: str = "H-HZ",
    component: str = "red_cells",
    abo: str = "O",
    rhd: str = "+",
    state: str = "received",
    expires_in: timedelta = timedelta(days=20),
    product: str | None = None,
    volume: int | None = None,
    donation_id: int | None = None,
) -> Unit:
    """A unit of BC's in `hospital`'s stock (received, by default)."""
    din = isbt128.make_din("B3300", now().year, next(_serial) + 500_000)
    collected = now() - timedelta(days=3)
    unit = Unit(
        din=din,
        check_character=isbt128.check_character(din),
        product_code=product or PRODUCTS[component],
        component=component,
        abo=abo,
        rhd=rhd,
        volume_ml=volume or VOLUMES[component],
        collected_at=collected,
        expires_at=now() + expires_in,
        state=state,
        owner_id=world.org(hospital).id,
        centre_id=world.org("BC").id,
        donation_id=donation_id,
    )
    session.add(unit)
    session.flush()
    return unit


def payload(unit: Unit, **overrides: Any) -> dict[str, Any]:
    """A valid transfusion of `unit` as the API takes it (an A+ adult surgical patient,
    values that need no flag); `overrides` change or (with None) drop fields."""
    data: dict[str, Any] = {
        "din": unit.din,
        "product_code": unit.product_code,
        "division": unit.division,
        "patient_record_number": "ZY-0001",
        "patient_sex": "F",
        "patient_birth_year": 1970,
        "patient_abo": unit.abo,
        "patient_rhd": unit.rhd,
        "department": "普外科",
        "ward": "5B",
        "indication": "D62",
        "surgical": True,
        **earlier_today(),
        "volume_given_ml": unit.volume_ml,
        "ordering_doctor": "D0312",
        **PRE_VALUES[unit.component],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Pre-transfusion values inside each component's indication (no appropriateness flag).
PRE_VALUES = {
    "red_cells": {"pre_hb_g_l": 68},
    "platelets": {"pre_platelets_e9_l": 15},
    "plasma": {"pre_inr": 2.6},
    "cryo": {"pre_fibrinogen_g_l": 0.8},
}


def officer(session, world, username: str = "hhz.officer"):
    return actor_for_user(session, world.users[username])
