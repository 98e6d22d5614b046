"""What a blood centre's labels and papers print: each component's ISBT 128 label data, and
an order's dispatch note (the units with the barcodes the hospital scans at receipt)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import isbt128
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor, visible_org_ids
from blood.errors import NotFound
from blood.stock.models import Dispatch, Order, ProductCode, Unit
from blood.stock.service.collection import donation_units, get_donation
from blood.stock.service.dispatch import dispatch_parties, dispatch_units, get_dispatch


@dataclass(frozen=True)
class ComponentLabel:
    unit: Unit
    product: ProductCode | None
    data: isbt128.LabelData


def _labels(session: Session, units: list[Unit]) -> list[ComponentLabel]:
    codes = {u.product_code for u in units}
    products = (
        {p.code: p for p in session.exec(select(ProductCode).where(ProductCode.code.in_(codes)))}
        if codes
        else {}
    )
    return [
        ComponentLabel(
            unit=u,
            product=products.get(u.product_code),
            data=isbt128.label_data(
                din=u.din,
                abo=u.abo,
                rhd=u.rhd,
                product_code=u.product_code,
                division=u.division,
                collected_at=u.collected_at,
                expires_at=u.expires_at,
            ),
        )
        for u in units
    ]


def unit_labels(*, session: Session, actor: Actor, unit_id: int) -> list[ComponentLabel]:
    """One unit's label: a unit its holder or its blood centre may see (not found else)."""
    statement = select(Unit).where(Unit.id == unit_id)
    if not actor.is_system:
        visible = visible_org_ids(actor)
        statement = statement.where(sa.or_(Unit.owner_id.in_(visible), Unit.centre_id.in_(visible)))
    unit = session.exec(statement).first()
    if unit is None:
        raise NotFound()
    return _labels(session, [unit])


def donation_labels(*, session: Session, actor: Actor, donation_id: int) -> list[ComponentLabel]:
    """Every component of a donation of the actor's blood centre."""
    donation = get_donation(session=session, actor=actor, donation_id=donation_id)
    return _labels(session, donation_units(session=session, donation=donation))


@dataclass(frozen=True)
class DispatchPapers:
    dispatch: Dispatch
    sender: Organisation
    addressee: Organisation
    order: Order | None
    labels: list[ComponentLabel]


def dispatch_papers(*, session: Session, actor: Actor, dispatch_id: int) -> DispatchPapers:
    """A dispatch (the sender's or the addressee's) with every unit's label."""
    dispatch = get_dispatch(session=session, actor=actor, dispatch_id=dispatch_id)
    sender, addressee = dispatch_parties(session=session, dispatch=dispatch)
    units = [u for _item, u in dispatch_units(session=session, dispatch=dispatch)]
    return DispatchPapers(
        dispatch=dispatch,
        sender=sender,
        addressee=addressee,
        order=session.get(Order, dispatch.order_id) if dispatch.order_id else None,
        labels=_labels(session, units),
    )


def dispatch_by_number(*, session: Session, actor: Actor, scanned: str) -> Dispatch:
    """A dispatch by its number as scanned from a dispatch note (not found when the actor's
    organisation is neither its sender nor its addressee)."""
    return get_dispatch(session=session, actor=actor, number=(scanned or "").strip())
