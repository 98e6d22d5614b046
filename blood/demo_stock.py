"""Demo blood stock: the provincial blood centre's components over the last weeks, issues to
hospitals, transfusions, hospital stock and an open order, so the stock pages show real
days of supply. The past is written directly; today's order goes through the service."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, select

from blood import audit, isbt128
from blood.accounts.models import Organisation, User
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user
from blood.db import utcnow
from blood.sequences import next_value
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import Unit, UnitMovement

# Share of donors by group in China (approximate, for believable figures only).
GROUP_WEIGHTS = {
    ("O", "+"): 30,
    ("A", "+"): 28,
    ("B", "+"): 29,
    ("AB", "+"): 10,
    ("O", "-"): 1,
    ("A", "-"): 1,
    ("B", "-"): 1,
    ("AB", "-"): 0.5,
}
PRODUCTS = [("E0001", 280, 0.6), ("E0004", 200, 0.25), ("E0003", 250, 0.1), ("E0006", 40, 0.05)]
HOSPITALS = ["H-ZJU1", "H-ZJPPH", "H-WMU1", "H-CA1"]


def load_stock_demo(session: Session) -> bool:
    orgs = {o.code: o for o in session.exec(select(Organisation)).all()}
    centre = orgs["ZJ-BC"]
    if session.exec(select(Unit.id).where(Unit.centre_id == centre.id)).first():
        return False
    rng = random.Random(4)
    now = utcnow()
    groups, weights = zip(*GROUP_WEIGHTS.items(), strict=True)
    codes = {p.code: p for p in [stock.product(session, c) for c, _v, _s in PRODUCTS]}
    made = 0
    for day in range(35, -1, -1):
        for _ in range(rng.randint(10, 16)):
            abo, rhd = rng.choices(groups, weights)[0]
            collected = now - timedelta(days=day, hours=rng.randint(0, 10))
            sequence = next_value(session, f"din:{centre.facility_id}:{collected.year % 100:02d}")
            din = isbt128.make_din(centre.facility_id, collected.year, sequence)
            code, volume, _share = rng.choices(PRODUCTS, [p[2] for p in PRODUCTS])[0]
            product = codes[code]
            unit = Unit(
                din=din,
                check_character=isbt128.check_character(din),
                product_code=code,
                component=product.component,
                abo=abo,
                rhd=rhd,
                volume_ml=volume,
                collected_at=collected,
                expires_at=collected + stock.shelf_life(product),
                state=UnitState.AVAILABLE if day > 1 else UnitState.PENDING_TESTS,
                owner_id=centre.id,
                centre_id=centre.id,
            )
            session.add(unit)
            session.flush()
            made += 1
            if unit.expires_at <= now:
                unit.state = UnitState.EXPIRED
                continue
            if day > 2 and rng.random() < 0.7:
                _issue_and_use(session, rng, unit, centre, orgs[rng.choice(HOSPITALS)], day, now)
    officer = session.exec(select(User).where(User.username == "zju1.transfusion")).first()
    stock.create_order(
        session=session,
        actor=actor_for_user(session, officer),
        centre_code="ZJ-BC",
        urgency="urgent",
        lines=[
            stock.OrderLineInput("red_cells", "O", "+", 4),
            stock.OrderLineInput("red_cells", "A", "+", 2),
        ],
    )
    audit.record(
        session,
        Actor.system("demo"),
        "demo.stock_history",
        entity_type="organisation",
        entity_id=centre.id,
        organisation=centre,
        changes={"units": [None, made]},
    )
    return True


def _issue_and_use(session, rng, unit, centre, hospital, day, now) -> None:
    issued_at = unit.collected_at + timedelta(days=rng.randint(1, max(1, day - 1)), hours=2)
    issued_at = min(issued_at, now - timedelta(hours=6))
    moves = [
        ("issue", "available", "issued", centre.id, hospital.id, issued_at),
        ("receive", "issued", "received", hospital.id, None, issued_at + timedelta(hours=3)),
    ]
    unit.owner_id = hospital.id
    unit.state = UnitState.RECEIVED
    if rng.random() < 0.8 and issued_at + timedelta(days=1) < now:
        used_at = issued_at + timedelta(hours=rng.randint(6, 48))
        used_at = min(used_at, now - timedelta(hours=1))
        moves.append(("transfuse", "received", "transfused", hospital.id, None, used_at))
        unit.state = UnitState.TRANSFUSED
    for action, before, after, org_id, counterpart, at in moves:
        session.add(
            UnitMovement(
                unit_id=unit.id,
                action=action,
                from_state=before,
                to_state=after,
                organisation_id=org_id,
                counterpart_id=counterpart,
                component=unit.component,
                abo=unit.abo,
                rhd=unit.rhd,
                at=at,
            )
        )
