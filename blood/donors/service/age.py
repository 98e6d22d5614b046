"""The age rule at registration and check-in: the engine's own rule (``rules.check_age``),
refused with its reason before anything is written."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlmodel import Session

from blood.accounts.models import Organisation
from blood.donors import rules
from blood.donors.messages import describe
from blood.donors.service.profiles import profile_for
from blood.errors import ValidationFailed


def refuse_by_age(
    *,
    session: Session,
    organisation: Organisation,
    person: rules.DonorFacts,
    history: rules.History,
    on: date,
    field: str = "resident_id",
) -> None:
    """ValidationFailed on ``field`` when the organisation's profile does not accept the
    person's age on ``on`` (a new donor: empty history; a registered one: the whole history,
    so an established donor's extended upper age applies)."""
    decision = rules.check_age(profile_for(session, organisation), person, history, on)
    if decision.eligible:
        return
    messages = [describe(reason) for reason in decision.reasons]
    if decision.next_eligible_on is not None:
        messages.append(
            _("Next possible date: %(date)s", date=format_date(decision.next_eligible_on, "medium"))
        )
    raise ValidationFailed({field: messages})
