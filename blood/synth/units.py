"""What becomes of one blood component, decided when it is made: release (or discard after a
failed test), a few days at its blood centre, an issue to a hospital in the daily delivery,
receipt, and then a transfusion — or a return (restocked and issued again, or discarded), a
discard with its reason, a temperature excursion at receipt, an expiry at either end.

Every step follows the unit's one state machine (``blood.stock.lifecycle``): each event is
the movement ``transition`` would write, with the organisation that acts; a step after the
history's end has not happened, and the unit stays where the last one left it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from blood.stock.lifecycle import LIVE, NOT_AFTER_EXPIRY, Action, UnitState, next_state
from blood.synth.clock import Clock
from blood.synth.province import Centre, Hospital
from blood.synth.rates import Rates

# Least time left before expiry when a unit leaves the centre (unconfirmed, usual practice).
ISSUE_MARGIN = {
    "red_cells": timedelta(days=3),
    "platelets": timedelta(hours=12),
    "plasma": timedelta(days=30),
    "cryo": timedelta(days=30),
}
DURATION_MINUTES = {"red_cells": (90, 150), "platelets": (20, 40), "plasma": (30, 60),
                    "cryo": (15, 30)}  # fmt: skip
RETURN_REASONS = (("not_needed", 70), ("near_expiry", 20), ("other", 10))
HOSPITAL_DISCARDS = (("damaged", 35), ("clinical_not_used", 40), ("quality", 15), ("other", 10))
CENTRE_DISCARDS = (("quality", 60), ("damaged", 40))
EXPIRABLE = LIVE | {UnitState.ISSUED}
# What closes a temperature excursion (``blood.stock.service.units._CLOSING``).
CLOSING = {Action.RESTOCK: "restocked", Action.DISCARD: "discarded", Action.EXPIRE: "expired"}


@dataclass(frozen=True)
class UnitRef:
    """What the later steps need of a unit."""

    id: int
    din: str
    product_code: str
    component: str
    abo: str | None
    rhd: str | None
    volume_ml: int
    counted_ml: int | None  # red cells: the donation's whole-blood volume
    collected_at: datetime
    expires_at: datetime
    centre_id: int


@dataclass(frozen=True)
class Transfused:
    """A transfusion as the hospital records it (``extra`` of a transfuse event)."""

    started_at: datetime
    ended_at: datetime
    recorded_at: datetime


class _Stop(Exception):
    """The next step falls after the history's end."""


class Fate:
    """The events of one unit (``events``) and where they leave it.

    A step at or after the first run of the daily expiry job past the unit's expiry does not
    happen: the job expires the unit first (as ``blood.stock.service.expire_units`` would);
    nor does a step the state machine refuses once the unit has expired (an issue, a
    transfusion, a restock). A temperature excursion (``excursion``: ``[outcome, closed
    at]``, the ``extra`` of the hold) is closed by a restock, discard or expiry, as the
    stock service closes it; a return leaves it open.
    """

    __slots__ = ("clock", "events", "excursion", "expiry_run", "owner", "reason", "state",
                 "unit", "updated")  # fmt: skip

    def __init__(self, clock: Clock, unit: UnitRef):
        self.clock, self.unit = clock, unit
        self.events: list[tuple] = []
        self.state, self.owner = UnitState.PENDING_TESTS, unit.centre_id
        self.reason: str | None = None
        self.updated = unit.collected_at
        self.excursion: list | None = None
        self.expiry_run = expiry_run(clock, unit.expires_at)

    def move(self, at, action, org_id, *, counterpart=None, reason=None, extra=None, owner=None):
        if at >= self.expiry_run or (at >= self.unit.expires_at and action in NOT_AFTER_EXPIRY):
            if self.state in EXPIRABLE:
                self._record(self.expiry_run, Action.EXPIRE, self.owner, None, None, None)
            raise _Stop()
        self._record(at, action, org_id, counterpart, reason, extra)
        if owner is not None:
            self.owner = owner

    def _record(self, at, action, org_id, counterpart, reason, extra) -> None:
        if at > self.clock.end:
            raise _Stop()
        target = next_state(self.state, action)
        # (at, unit id, order, unit, action, from, to, acting org, counterpart, reason, extra)
        self.events.append(
            (
                at,
                self.unit.id,
                len(self.events),
                self.unit,
                action.value,
                self.state.value,
                target.value,
                org_id,
                counterpart,
                reason,
                extra,
            )
        )
        self.state, self.updated = target, at
        if action is Action.DISCARD:
            self.reason = reason
        if self.excursion is not None and self.excursion[0] is None and action in CLOSING:
            self.excursion[:] = [CLOSING[action], at]


def expiry_run(clock: Clock, expires_at: datetime) -> datetime:
    """When the daily expiry job (00:30 local) first finds the unit expired."""
    day = clock.day_of(expires_at)
    run = clock.at(day, 30)
    return run if run >= expires_at else clock.at(day + timedelta(1), 30)


def receipt_at(issued: datetime, hospital: Hospital) -> datetime:
    """When the day's dispatch to ``hospital`` issued at ``issued`` is received: one instant
    for every unit in it (80–159 minutes on the road; from the hospital's delivery slot and
    the day, not from database ids, so that a seed gives the same history in any database)."""
    offset = (hospital.slot_minutes * 7 + issued.toordinal()) % 80
    return issued + timedelta(minutes=80 + offset)


class Fates:
    def __init__(self, clock: Clock, rates: Rates, rng: random.Random):
        self.clock, self.rates, self.rng = clock, rates, rng

    def decide(
        self, unit: UnitRef, centre: Centre, *, tested_at: datetime, failed: str | None
    ) -> Fate:
        fate = Fate(self.clock, unit)
        try:
            if failed is not None:
                fate.move(tested_at + timedelta(minutes=30), Action.DISCARD, centre.org.id,
                          reason=failed)  # fmt: skip
                return fate
            released = tested_at + timedelta(minutes=self.rng.uniform(40, 150))
            fate.move(released, Action.RELEASE, centre.org.id)
            self._at_centre(fate, centre, released, may_return=True)
        except _Stop:
            pass
        return fate

    def _pick(self, table) -> str:
        return self.rng.choices(*zip(*table, strict=True))[0]

    @staticmethod
    def _expire(fate: Fate) -> None:
        """Left where it is until the expiry job finds it expired (the end of its story)."""
        fate.move(fate.expiry_run, Action.EXPIRE, fate.owner)

    def _at_centre(self, fate: Fate, centre: Centre, since: datetime, *, may_return: bool,
                   avoid: Hospital | None = None) -> None:  # fmt: skip
        rng, rates, unit = self.rng, self.rates, fate.unit
        component = unit.component
        hold = timedelta(hours=rng.expovariate(1 / rates.centre_hold_hours[component]))
        roll = rng.random()
        if roll < rates.discard_at_centre:
            fate.move(since + hold / 2, Action.DISCARD, centre.org.id,
                      reason=self._pick(CENTRE_DISCARDS))  # fmt: skip
            return
        if roll < rates.discard_at_centre + rates.expire_at_centre[component]:
            self._expire(fate)
            return
        hospitals = [h for h in centre.hospitals if h is not avoid] or centre.hospitals
        hospital = rng.choices(hospitals, [h.weight for h in hospitals])[0]
        latest = unit.expires_at - ISSUE_MARGIN[component]
        day = self.clock.day_of(min(since + hold, latest))
        issued = self.clock.at(day, hospital.slot_minutes)
        if issued < since + timedelta(minutes=30):
            issued = self.clock.at(day + timedelta(1), hospital.slot_minutes)
        if issued > latest:
            self._expire(fate)
            return
        key = (centre.org.id, hospital.org.id, self.clock.day_of(issued))
        fate.move(issued, Action.ISSUE, centre.org.id, counterpart=hospital.org.id,
                  extra=key, owner=hospital.org.id)  # fmt: skip
        self._at_hospital(fate, centre, hospital, issued, key, may_return)

    def _at_hospital(self, fate: Fate, centre: Centre, hospital: Hospital, issued: datetime,
                     key: tuple, may_return: bool) -> None:  # fmt: skip
        rng, rates, unit, clock = self.rng, self.rates, fate.unit, self.clock
        component, org_id = unit.component, hospital.org.id
        received = receipt_at(issued, hospital)
        if rng.random() < rates.temperature_excursion:
            self._excursion(fate, centre, hospital, received, key, may_return)
            return
        fate.move(received, Action.RECEIVE, org_id, extra=(key, True))
        hold = timedelta(hours=rng.expovariate(1 / rates.hospital_hold_hours[component]))
        roll = rng.random()
        returned = rates.return_to_centre[component] if may_return else 0.0
        discarded = returned + rates.discard_at_hospital[component]
        expired = discarded + rates.expire_at_hospital[component]
        if roll < returned:
            at = min(received + hold, unit.expires_at - timedelta(hours=6))
            fate.move(max(at, received + timedelta(hours=1)), Action.RETURN, org_id,
                      counterpart=centre.org.id, reason=self._pick(RETURN_REASONS),
                      owner=centre.org.id)  # fmt: skip
            self._back_at_centre(fate, centre, hospital)
            return
        if roll < discarded:
            at = min(received + hold, unit.expires_at - timedelta(hours=1))
            fate.move(max(at, received + timedelta(minutes=30)), Action.DISCARD, org_id,
                      reason=self._pick(HOSPITAL_DISCARDS))  # fmt: skip
            return
        if roll < expired:
            self._expire(fate)
            return
        started = received + hold
        local = started.astimezone(clock.zone)
        if not 7 <= local.hour < 22 and rng.random() < 0.8:  # most transfusions by day
            started = clock.at(local.date() + timedelta(1 if local.hour >= 22 else 0),
                               rng.uniform(8 * 60, 12 * 60))  # fmt: skip
        if local.weekday() >= 5 and rng.random() < 0.3:  # elective use waits for Monday
            started = clock.at(local.date() + timedelta(7 - local.weekday()),
                               rng.uniform(8 * 60, 16 * 60))  # fmt: skip
        low, high = DURATION_MINUTES[component]
        ended = started + timedelta(minutes=rng.uniform(low, high))
        if ended >= unit.expires_at:
            self._expire(fate)
            return
        recorded = ended + timedelta(minutes=rng.uniform(3, 40))
        if recorded >= fate.expiry_run:  # the expiry job would have refused the record
            self._expire(fate)
            return
        if recorded > clock.end:
            raise _Stop()  # not recorded yet: still in the hospital's stock
        fate.move(started, Action.TRANSFUSE, org_id,
                  extra=Transfused(started, ended, recorded))  # fmt: skip

    def _back_at_centre(self, fate: Fate, centre: Centre, hospital: Hospital) -> None:
        """A returned unit: restocked (and issued again, elsewhere) or discarded."""
        at = fate.updated + timedelta(hours=self.rng.uniform(4, 24))
        if self.rng.random() < self.rates.restock_after_return:
            fate.move(at, Action.RESTOCK, centre.org.id)
            self._at_centre(fate, centre, at, may_return=False, avoid=hospital)
        else:
            fate.move(at, Action.DISCARD, centre.org.id, reason="quality")

    def _excursion(self, fate: Fate, centre: Centre, hospital: Hospital, received: datetime,
                   key: tuple, may_return: bool) -> None:  # fmt: skip
        """Received out of its temperature range: on hold, then discarded at the hospital or
        returned; back at the centre the quality manager restocks or discards it."""
        rng, org_id = self.rng, hospital.org.id
        fate.move(received, Action.RECEIVE, org_id, extra=(key, False))
        fate.excursion = [None, None]
        fate.move(received, Action.HOLD, org_id, reason="temperature_excursion",
                  extra=fate.excursion)  # fmt: skip
        decided = received + timedelta(hours=rng.uniform(2, 24))
        if rng.random() < 0.6:
            fate.move(decided, Action.DISCARD, org_id, reason="temperature_excursion")
            return
        fate.move(decided, Action.RETURN, org_id, counterpart=centre.org.id,
                  reason="temperature_excursion", owner=centre.org.id)  # fmt: skip
        back = decided + timedelta(hours=rng.uniform(4, 24))
        if rng.random() < 0.5:
            fate.move(back, Action.RESTOCK, centre.org.id)
            if may_return:
                self._at_centre(fate, centre, back, may_return=False, avoid=hospital)
        else:
            fate.move(back, Action.DISCARD, centre.org.id, reason="temperature_excursion")
