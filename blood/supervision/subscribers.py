"""What supervision hears from the other packages (``blood.events``), the moment it happens.

Nothing imports supervision, so it subscribes here; ``create_app`` imports this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from blood import events
from blood.clinical.models import AdverseReaction
from blood.supervision.service.evaluate import raise_reaction_alert


def on_adverse_reaction(*, session: Session, reaction: AdverseReaction, now: datetime) -> None:
    """A reaction marked for immediate supervision (severity 3–4, a transmitted infection)
    opens its alert in the transaction that records it."""
    raise_reaction_alert(session, reaction, now)


def subscribe_all() -> None:
    events.subscribe(events.ADVERSE_REACTION_RECORDED, on_adverse_reaction)
