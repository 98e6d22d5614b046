"""The organisations of the blood stock: which kind acts where, and look-ups of organisations.

The pages' guards and the services' own checks call the same ``acting_*`` functions, so which
kinds of organisation collect, hold units, order or read stock is written once, here.
"""

from __future__ import annotations

from sqlmodel import Session, select

from blood.accounts import service as accounts
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor, acting_organisation

CENTRES = (OrgKind.BLOOD_CENTRE,)  # collect, produce, release and issue units
HOSPITALS = (OrgKind.HOSPITAL,)  # order, receive, transfuse and transfer units
HOLDERS = (*CENTRES, *HOSPITALS)  # hold units
READERS = (*HOLDERS, OrgKind.AUTHORITY)  # read stock levels and orders


def acting_centre(*, session: Session, actor: Actor) -> Organisation:
    """The blood centre the actor acts for (Forbidden otherwise)."""
    return acting_organisation(session, actor, *CENTRES)


def acting_hospital(*, session: Session, actor: Actor) -> Organisation:
    """The hospital the actor acts for (Forbidden otherwise)."""
    return acting_organisation(session, actor, *HOSPITALS)


def acting_holder(*, session: Session, actor: Actor) -> Organisation:
    """The blood centre or hospital the actor acts for: the organisations that hold units."""
    return acting_organisation(session, actor, *HOLDERS)


def acting_reader(*, session: Session, actor: Actor) -> Organisation:
    """A holder, or an authority that reads its jurisdiction's stock and orders: who may open
    the stock and order pages."""
    return acting_organisation(session, actor, *READERS)


def _active(session: Session, kind: OrgKind, code: str | None) -> Organisation | None:
    return session.exec(
        select(Organisation).where(
            Organisation.code == (code or "").strip().upper(),
            Organisation.kind == kind,
            Organisation.active,
        )
    ).first()


def blood_centre_by_code(*, session: Session, code: str | None) -> Organisation | None:
    """The active blood centre of this code, if any (where a hospital may order)."""
    return _active(session, OrgKind.BLOOD_CENTRE, code)


def hospital_by_code(*, session: Session, code: str | None) -> Organisation | None:
    """The active hospital of this code, if any (where a hospital may transfer units)."""
    return _active(session, OrgKind.HOSPITAL, code)


def blood_centres(*, session: Session) -> list[Organisation]:
    """Every active blood centre: a hospital may order from any of them."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == OrgKind.BLOOD_CENTRE, Organisation.active)
            .order_by(Organisation.code)
        ).all()
    )


def other_hospitals(*, session: Session, actor: Actor) -> list[Organisation]:
    """Every active hospital but the actor's own: where its units may be transferred."""
    return list(
        session.exec(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.HOSPITAL,
                Organisation.active,
                Organisation.id != actor.organisation_id,
            )
            .order_by(Organisation.code)
        ).all()
    )


def stock_holders(*, session: Session, actor: Actor) -> list[Organisation]:
    """The blood centres and hospitals the actor may see, in tree order (an authority picks
    one of them to look at its stock alone)."""
    return [
        org
        for org in accounts.list_organisations(session=session, actor=actor)
        if org.kind in HOLDERS
    ]
