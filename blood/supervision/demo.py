"""The demo's supervision: indicators over the whole demo history, and today's alerts, so an
inspector's dashboard shows months of figures and live alerts the moment `make run` starts
(the demo's stock leaves O− red cells short at the blood centre: a red alert)."""

from __future__ import annotations

from sqlmodel import Session

from blood.accounts.scoping import Actor
from blood.supervision import service as supervision

# The demo's plasma history reaches half a year back; compute a little more.
DEMO_DAYS = 190


def load_supervision_demo(session: Session) -> tuple[int, int]:
    """(facts written, alerts active)."""
    actor = Actor.system("demo")
    computed = supervision.compute_indicators(
        session=session, actor=actor, days=DEMO_DAYS, rebuild_days=DEMO_DAYS
    )
    alerts = supervision.evaluate_alerts(session=session, actor=actor)
    return computed.facts, alerts.active
