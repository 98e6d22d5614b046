"""The demo's supervision: indicators over the whole demo history and today's alerts, so an
inspector's dashboard shows months of figures and live alerts the moment `make run` starts
(the demo's stock leaves O− red cells short at the blood centre: a red alert); and a push
that happens within a minute of start: the province (ZJ-HC) pushes its daily summary, signed,
to this instance's own inbound endpoint, where it joins the demo's upper level (CN-NHC) as
the remote jurisdiction CN-ZJ — `nhc.inspector` sees Zhejiang's figures arrive."""

from __future__ import annotations

from sqlmodel import Session, select

from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.supervision import service as supervision
from blood.supervision.models import DAILY, FEDERATION, InboundSource
from blood.supervision.service import inbound, summaries, targets

# The demo's plasma history reaches half a year back; compute a little more.
DEMO_DAYS = 190
SENDER = "zhejiang-province"


def load_supervision_demo(session: Session, *, push_url: str) -> tuple[int, int]:
    """(facts written, alerts active)."""
    actor = Actor.system("demo")
    computed = supervision.compute_indicators(
        session=session, actor=actor, days=DEMO_DAYS, rebuild_days=DEMO_DAYS
    )
    alerts = supervision.evaluate_alerts(session=session, actor=actor)
    _push_to_upper_level(session, actor, push_url)
    return computed.facts, alerts.active


def _push_to_upper_level(session: Session, actor: Actor, push_url: str) -> None:
    if session.exec(select(InboundSource.id).where(InboundSource.name == SENDER)).first():
        return  # loaded before
    _source, secret = inbound.add_source(
        session=session, actor=actor, name=SENDER, organisation_code="CN-ZJ"
    )
    targets.create_target(
        session=session,
        actor=actor,
        authority_code="ZJ-HC",
        data=targets.TargetInput(
            name="国家平台（演示）/ national platform (demo)",
            url=push_url,
            format=FEDERATION,
            summary_kinds=(DAILY,),
            secret=secret,
            username=SENDER,
        ),
    )
    # Yesterday's summary, with its delivery in the outbox: the scheduler sends it within a
    # minute of starting.
    summaries.write_summaries(session=session, actor=actor, kind=DAILY, now=utcnow())
