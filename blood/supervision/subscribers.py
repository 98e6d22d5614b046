"""What supervision hears from the other packages (``blood.events``), the moment it happens.

Nothing imports supervision, so it subscribes here; ``create_app`` imports this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from blood import events
from blood.accounts.models import Organisation
from blood.clinical.models import AdverseReaction
from blood.supervision.service.evaluate import raise_projected_shortages, raise_reaction_alert


def on_adverse_reaction(*, session: Session, reaction: AdverseReaction, now: datetime) -> None:
    """A reaction marked for immediate supervision (severity 3–4, a transmitted infection)
    opens its alert in the transaction that records it."""
    raise_reaction_alert(session, reaction, now)


def on_shortage_projected(
    *, session: Session, centre: Organisation, series: list, now: datetime
) -> None:
    """The centre's nightly forecast: an alert for each group projected amber or red, and
    the centre's earlier ones cleared when their group is no longer projected short."""
    raise_projected_shortages(session, centre, series, now)


def subscribe_all() -> None:
    events.subscribe(events.ADVERSE_REACTION_RECORDED, on_adverse_reaction)
    events.subscribe(events.SHORTAGE_PROJECTED, on_shortage_projected)
