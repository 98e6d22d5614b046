"""What a reactive infectious-marker result means for the donor, wherever it was found.

A plasma station's and a blood centre's laboratory both call ``record_reactive_donation``: the
donor is deferred permanently in the shared registry (so no station or centre collects from
them again) and a look-back is opened on the donation, for every earlier donation of the donor
to be traced.
"""

from __future__ import annotations

from sqlmodel import Session

from blood import audit, events
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.donors.models import Deferral, Donor, LookbackTrigger
from blood.donors.service.deferrals import defer_donor

# The markers as laboratories write them in either language: the deferral's note is stored
# once and read in Chinese and in English.
MARKER_NAMES = {
    "hbsag": "HBsAg",
    "anti_hcv": "anti-HCV",
    "anti_hiv": "anti-HIV",
    "syphilis": "anti-TP",
}


def record_reactive_donation(
    *,
    session: Session,
    actor: Actor,
    donor: Donor,
    din: str,
    markers: list[str],
    organisation: Organisation,
) -> tuple[Deferral, LookbackTrigger]:
    """Defer the donor permanently and open the look-back on donation ``din``."""
    deferral = defer_donor(
        session=session,
        actor=actor,
        donor=donor,
        permanent=True,
        reason_code="reactive_marker",
        source="lab",
        note=f"{', '.join(MARKER_NAMES.get(m, m) for m in markers)} ({din})",
        station=organisation,
    )
    trigger = LookbackTrigger(
        donor_id=donor.id, organisation_id=organisation.id, din=din, markers=list(markers)
    )
    session.add(trigger)
    audit.record(session, actor, "lookback.trigger", trigger, organisation=organisation)
    session.flush()
    # The look-back (``blood.trace``, which nothing imports) opens its case and blocks the
    # donor's units in this transaction.
    events.publish(session, events.LOOKBACK_OPENED, trigger=trigger, actor=actor)
    return deferral, trigger
