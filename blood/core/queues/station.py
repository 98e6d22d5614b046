"""A plasma station's queues: today's visits at each desk, units to test and release, deviations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.core.queues.common import (
    Queue,
    count,
)
from blood.donors import service as donors
from blood.plasma.models import Collection, LabResult, Visit, VisitStatus
from blood.plasma.models import UnitState as PlasmaState
from blood.plasma.service import quarantine
from blood.plasma.service.station import quarantine_days, require_station


def today_visits(session: Session, actor: Actor):
    station = require_station(session, actor)
    today = donors.local_today(station)
    return select(Visit.id).where(Visit.station_id == station.id, Visit.visit_date == today)


def station_queues(session: Session, actor: Actor) -> list[Queue]:
    queues: list[Queue] = []
    org_id = actor.organisation_id
    if actor.has_role(Role.REGISTRAR, Role.PHYSICIAN, Role.COLLECTOR):
        today = today_visits(session, actor)
        if actor.has_role(Role.REGISTRAR):
            queues.append(
                Queue(
                    "checked_in",
                    str(_l("Donors checked in today")),
                    count(session, today),
                    "plasma.desk",
                )
            )
        if actor.has_role(Role.PHYSICIAN):
            waiting = today.where(Visit.status == VisitStatus.CHECKED_IN)
            queues.append(
                Queue(
                    "screening",
                    str(_l("Visits waiting for screening")),
                    count(session, waiting),
                    "plasma.desk",
                )
            )
        if actor.has_role(Role.COLLECTOR):
            screened = today.where(
                Visit.status == VisitStatus.ELIGIBLE,
                ~select(Collection.id).where(Collection.visit_id == Visit.id).exists(),
            )
            queues.append(
                Queue(
                    "collection",
                    str(_l("Screened and waiting for collection")),
                    count(session, screened),
                    "plasma.desk",
                )
            )
    if actor.has_role(Role.LAB):
        untested = select(Collection.id).where(
            Collection.station_id == org_id,
            ~select(LabResult.id).where(LabResult.collection_id == Collection.id).exists(),
        )
        queues.append(
            Queue(
                "lab",
                str(_l("Donations waiting for results")),
                count(session, untested),
                "plasma.lab",
            )
        )
    if actor.has_role(Role.QUALITY):
        station = require_station(session, actor)
        releasable = select(Collection.id).where(
            Collection.station_id == org_id,
            quarantine.releasable_clause(
                station, donors.local_today(station), quarantine_days(session)
            ),
        )
        queues.append(
            Queue(
                "releasable",
                str(_l("Units ready to release")),
                count(session, releasable),
                "plasma.quarantine",
            )
        )
        open_deviations = select(Collection.id).where(
            Collection.station_id == org_id,
            Collection.deviation_status == "open",
            Collection.state == PlasmaState.QUARANTINE,
        )
        queues.append(
            Queue(
                "deviations",
                str(_l("Deviations to decide")),
                count(session, open_deviations),
                "plasma.deviations",
            )
        )
    return queues
