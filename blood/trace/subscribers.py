"""What trace hears from the other packages (``blood.events``), in their transaction.

Nothing imports trace, so it subscribes here; ``create_app`` calls ``subscribe_all``. A
reactive laboratory result opens its look-back case, and blocks the donor's units, in the
request that records the result; so does a hospital's report of a transfusion-transmitted
infection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from blood import events
from blood.accounts.scoping import Actor
from blood.clinical.models import AdverseReaction
from blood.donors.models import LookbackTrigger
from blood.trace.service.lookback import open_for_reaction, open_for_trigger


def on_lookback_opened(
    *, session: Session, trigger: LookbackTrigger, actor: Actor | None = None, **_facts: Any
) -> None:
    open_for_trigger(session=session, trigger=trigger, actor=actor)


def on_adverse_reaction(
    *, session: Session, reaction: AdverseReaction, now: datetime | None = None, **_facts: Any
) -> None:
    if reaction.category == "tti":
        open_for_reaction(
            session=session, reaction_id=reaction.id, hospital_id=reaction.hospital_id, now=now
        )


def subscribe_all() -> None:
    events.subscribe(events.LOOKBACK_OPENED, on_lookback_opened)
    events.subscribe(events.ADVERSE_REACTION_RECORDED, on_adverse_reaction)
