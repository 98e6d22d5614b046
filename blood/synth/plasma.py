"""Plasma stations' history: donors who come back every few weeks, their visits (screening
decided by the eligibility engine itself, ``blood.donors.rules.decide``, with every past
donation and deferral), collections, laboratory results, deferrals, look-backs, the 90-day
quarantine, release and biweekly shipments to the manufacturer.

Each donor's visits are planned ahead, one after another (``_plan``), so that when a unit is
written its whole future is known: it is released only once it has been held the quarantine
days and a LATER donation of the same donor has tested negative (the 2008 rule, as
``blood.plasma.service.quarantine`` checks it), on the station's weekly release day, and it
ships with the next shipment after that. Whatever falls after the history's end has not
happened: the unit is still in quarantine, or released, or on its way.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import date, datetime, timedelta

from blood.donors import rules
from blood.donors.service.lookback import MARKER_NAMES
from blood.plasma.models import INFECTIOUS_MARKERS, UnitState, VisitStatus
from blood.synth import people
from blood.synth.clock import Clock
from blood.synth.context import Context
from blood.synth.plasma_shipping import RELEASE_MINUTES, SHIP_MINUTES, Shipping  # noqa: F401
from blood.synth.province import Station

P = rules.DonationKind.PLASMA
QUESTIONS_OK = {code: not deferring for code, deferring in rules.QUESTIONNAIRE.items()}
RAPID_OK = dict.fromkeys(rules.RAPID_TESTS, False)
# What a screening finds (weights), and the deferral a physician records for it: reason code,
# then days (or months, as a negative number), None for a permanent one. Unconfirmed
# durations, after Directive 2004/33/EC Annex III's temporary deferrals where it has one.
FINDINGS = (
    ("systolic", 25, "blood_pressure", 14),
    ("diastolic", 10, "blood_pressure", 14),
    ("pulse", 8, "other", 7),
    ("temperature", 5, "recent_illness", 14),
    ("protein", 12, "low_protein", 28),
    ("alt", 12, "high_alt", 28),
    ("recent_illness", 10, "recent_illness", 14),
    ("new_medication", 6, "medication", 14),
    ("tattoo_or_piercing_12m", 3, "tattoo_piercing", -6),
    ("pregnant_or_recent_birth", 2, "pregnancy", -12),
    ("high_risk_behaviour", 1, "high_risk_behaviour", None),
    ("rapid_test", 6, "reactive_marker", None),
)
MARKER_SHARES = (("hbsag", 40), ("syphilis", 30), ("anti_hcv", 20), ("anti_hiv", 10))
REACTIONS = (("vasovagal", 60), ("citrate", 30), ("haematoma", 10))


class Plan:
    """One visit, decided in full before its day comes."""

    __slots__ = (
        "checkin", "collection", "day", "decision", "deferral", "first", "lab", "screening",
    )  # fmt: skip

    def __init__(self, day, checkin, screening, decision, first):
        self.day, self.checkin, self.screening = day, checkin, screening
        self.decision, self.first = decision, first
        self.deferral = None  # (reason code, permanent, ends_on)
        self.collection = None  # (started, ended, weight g, anticoagulant mL, reaction)
        self.lab = None  # (tested_at, outcome, protein, alt, reactive markers)

    @property
    def negative(self) -> bool:
        return self.lab is not None and self.lab[1] == "negative"


class PlasmaDonor:
    __slots__ = ("deferrals", "gone", "not_before", "person", "planned_until", "queue", "recent",
                 "registered_at", "serial", "station")  # fmt: skip

    def __init__(self, person: people.Donor, station: Station, serial: int, maximum: int):
        self.person, self.station, self.serial = person, station, serial
        self.recent: deque[tuple[date, bool]] = deque(maxlen=maximum)  # (day, reaction)
        self.deferrals: list[rules.DeferralFact] = []
        self.queue: deque[Plan] = deque()
        self.gone = False
        self.planned_until: date | None = None  # the day of the last visit planned
        self.not_before: date | None = None  # the engine's next eligible day after a refusal
        self.registered_at: datetime | None = None  # None: registers at the first visit


class PlasmaStations(Shipping):
    def __init__(self, context: Context, stations: list[Station]):
        self.ctx, self.stations = context, stations
        self.clock: Clock = context.clock
        self.rng = random.Random(f"{context.seed}:plasma")
        self.rates = context.rates
        self.profiles = {s.org.id: context.profile(s.org) for s in stations}
        self.bucket: dict[date, list[PlasmaDonor]] = {}
        self.serial = 0
        self.shipments: dict[tuple[int, date], list] = {}  # → [id, items so far]
        years = (self.clock.last_day - self.clock.start).days / 365.25
        for station in stations:
            self._initial_pool(station, years)

    # --- donors ----------------------------------------------------------------------------

    def _initial_pool(self, station: Station, years: float) -> None:
        profile = self.profiles[station.org.id]
        cycle = profile.intervals[(P, P)].days + self.rates.plasma_extra_gap_days + 2
        per_donor = 365 / cycle * (1 - self.rates.plasma_screen_fail_repeat)
        annual = self.ctx.plasma_per_year * station.share
        for _ in range(max(1, round(annual / per_donor))):
            donor = self._donor(station, self.clock.start, ages=(20, 50))
            donor.registered_at = self.clock.at(
                self.clock.start - timedelta(days=self.rng.randint(120, 1800)), 9 * 60
            )
            self._first_visit(donor, self.clock.start + timedelta(self.rng.randint(0, 40)), False)
        del years

    def _donor(self, station: Station, on: date, *, ages: tuple[int, int]) -> PlasmaDonor:
        region = self.rng.choice(station.areas)
        person = people.new_donor(self.rng, station.org.id, region, on, male_share=0.5, ages=ages)
        self.serial += 1
        maximum = self.profiles[station.org.id].frequency_limits[0].maximum
        return PlasmaDonor(person, station, self.serial, maximum)

    def _replace(self, donor: PlasmaDonor, day: date) -> None:
        """Someone new registers at the station a few weeks after a donor leaves."""
        arrival = day + timedelta(self.rng.randint(1, 60))
        if arrival <= self.clock.last_day:
            self._first_visit(self._donor(donor.station, arrival, ages=(18, 50)), arrival, True)

    def _first_visit(self, donor: PlasmaDonor, day: date, first: bool) -> None:
        self._plan(donor, day, first=first)
        if donor.queue:
            self._fill(donor)
            self.bucket.setdefault(donor.queue[0].day, []).append(donor)

    # --- planning --------------------------------------------------------------------------

    def _fill(self, donor: PlasmaDonor) -> None:
        """Plan visits until one is a negative donation (a unit's release waits for it), or
        the donor is gone."""
        while not donor.gone and not any(plan.negative for plan in donor.queue):
            self._plan(donor, self._earliest(donor), first=False, wait=True)

    def _earliest(self, donor: PlasmaDonor) -> date:
        profile = self.profiles[donor.station.org.id]
        earliest = donor.planned_until + timedelta(days=1)
        if donor.not_before is not None:
            earliest = max(earliest, donor.not_before)
        if donor.recent:
            earliest = max(earliest, profile.intervals[(P, P)].after(donor.recent[-1][0]))
            limit = profile.frequency_limits[0]
            if len(donor.recent) >= limit.maximum:
                earliest = max(earliest, donor.recent[0][0] + timedelta(limit.window_days))
        for deferral in donor.deferrals:
            if deferral.ends_on is not None:
                earliest = max(earliest, deferral.ends_on)
        return earliest

    def _plan(self, donor: PlasmaDonor, day: date, *, first: bool, wait: bool = False) -> None:
        rng, rates = self.rng, self.rates
        if wait:
            day += timedelta(int(rng.expovariate(1 / rates.plasma_extra_gap_days)))
        while rng.random() > self.ctx.calendar.plasma_acceptance(day):
            day += timedelta(1)
        if day > self.clock.last_day:
            donor.gone = True  # beyond the history: nothing more to plan
            return
        person = donor.person
        fail = rng.random() < (rates.plasma_screen_fail_first if first else
                               rates.plasma_screen_fail_repeat)  # fmt: skip
        finding = rng.choices(FINDINGS, [f[1] for f in FINDINGS])[0] if fail else None
        if finding and finding[0] == "pregnant_or_recent_birth" and person.sex == "M":
            finding = FINDINGS[6]
        if finding and finding[0] == "rapid_test" and not first:
            finding = FINDINGS[0]
        screening = self._screening(person, finding)
        history = rules.History(
            donations=tuple(
                rules.PastDonation(on=d, kind=P, adverse_reaction=r) for d, r in donor.recent
            ),
            deferrals=tuple(donor.deferrals),
        )
        facts = rules.DonorFacts(sex=person.sex, birth_date=person.birth)
        decision = rules.decide(self.profiles[donor.station.org.id], facts, screening, history, day)
        checkin = self.clock.at(day, rng.uniform(7.5 * 60, 16 * 60))
        plan = Plan(day, checkin, screening, decision, first)
        donor.queue.append(plan)
        donor.planned_until = day
        donor.not_before = decision.next_eligible_on if not decision.eligible else None
        if not decision.eligible:
            if finding is not None:
                _name, _weight, code, duration = finding
                if duration is None:
                    plan.deferral = (code, True, None)
                else:
                    ends = (day + timedelta(duration) if duration > 0
                            else rules.add_months(day, -duration))  # fmt: skip
                    plan.deferral = (code, False, ends)
                donor.deferrals.append(rules.DeferralFact(plan.deferral[1], plan.deferral[2], code))
            if decision.next_eligible_on is None or (plan.deferral and plan.deferral[1]):
                donor.gone = True
                self._replace(donor, day)
            return
        self._collect(donor, plan)

    def _screening(self, person: people.Donor, finding) -> rules.Screening:
        rng = self.rng
        diastolic = rng.randint(62, 84)
        values = {
            "weight_kg": round(person.weight + rng.uniform(-1.5, 1.5), 1),
            "systolic": max(rng.randint(100, 136), diastolic + 32),
            "diastolic": diastolic,
            "pulse": rng.randint(62, 94),
            "temperature_c": round(rng.uniform(36.1, 37.1), 1),
            "total_protein_g_l": round(rng.uniform(62, 80), 1),
            "alt_u_l": round(rng.uniform(5, 24), 1),
        }
        questions, rapid = dict(QUESTIONS_OK), dict(RAPID_OK)
        name = finding[0] if finding else None
        if name == "systolic":
            values["systolic"] = rng.randint(140, 165)
        elif name == "diastolic":
            values["diastolic"] = rng.randint(90, 104)
            values["systolic"] = max(values["systolic"], values["diastolic"] + 30)
            values["systolic"] = min(values["systolic"], 139)
        elif name == "pulse":
            values["pulse"] = rng.choice((rng.randint(48, 59), rng.randint(101, 118)))
        elif name == "temperature":
            values["temperature_c"] = round(rng.uniform(37.6, 38.6), 1)
        elif name == "protein":
            values["total_protein_g_l"] = round(rng.uniform(52, 59.8), 1)
        elif name == "alt":
            values["alt_u_l"] = round(rng.uniform(26, 70), 1)
        elif name == "rapid_test":
            rapid[rng.choices(*zip(*MARKER_SHARES, strict=True))[0]] = True
        elif name in questions:
            questions[name] = not questions[name]
        return rules.Screening(**values, rapid_tests=rapid, questionnaire=questions)

    def _collect(self, donor: PlasmaDonor, plan: Plan) -> None:
        rng, rates, person = self.rng, self.rates, donor.person
        started = plan.checkin + timedelta(minutes=rng.uniform(25, 60))
        ended = started + timedelta(minutes=rng.uniform(35, 55))
        reaction = None
        if rng.random() < rates.plasma_donor_reaction:
            reaction = rng.choices(*zip(*REACTIONS, strict=True))[0]
            person.reacted = True
        limit = plan.decision.collection_limit.amount
        plan.collection = (
            started, ended, round(rng.uniform(limit - 40, limit), 1),
            round(rng.uniform(50, 65), 1), reaction,
        )  # fmt: skip
        donor.recent.append((plan.day, reaction is not None))
        tested = self.clock.at(plan.day + timedelta(1), rng.uniform(8 * 60, 11 * 60))
        protein, alt = round(rng.uniform(62, 80), 1), round(rng.uniform(5, 24), 1)
        reactive_rate = rates.plasma_reactive_first if plan.first else rates.plasma_reactive_repeat
        if rng.random() < reactive_rate:
            marker = rng.choices(*zip(*MARKER_SHARES, strict=True))[0]
            plan.lab = (tested, "reactive", protein, alt, (marker,))
            donor.gone = True  # deferred permanently everywhere
            self._replace(donor, plan.day)
            return
        if rng.random() < rates.plasma_out_of_range:
            if rng.random() < 0.5:
                protein = round(rng.uniform(52, 59.8), 1)
            else:
                alt = round(rng.uniform(26, 80), 1)
            plan.lab = (tested, "out_of_range", protein, alt, ())
        else:
            plan.lab = (tested, "negative", protein, alt, ())
        person_max = 55 if person.reacted else 60
        if rng.random() < rates.plasma_churn or person.age_on(plan.day) >= person_max:
            donor.gone = True
            self._replace(donor, plan.day)

    # --- the day's visits, written ---------------------------------------------------------

    def run_day(self, day: date) -> None:
        due = self.bucket.pop(day, [])
        due.sort(key=lambda d: (d.station.org.id, d.queue[0].checkin, d.serial))
        for donor in due:
            plan = donor.queue.popleft()
            self._fill(donor)
            self._write(donor, plan)
            if donor.queue:
                self.bucket.setdefault(donor.queue[0].day, []).append(donor)

    def _write(self, donor: PlasmaDonor, plan: Plan) -> None:
        clock, writer, rng = self.clock, self.ctx.writer, self.rng
        last = plan.collection[1] if plan.collection else plan.checkin + timedelta(minutes=30)
        if last > clock.end:
            return  # later today: not yet happened
        station = donor.station.org
        if donor.person.id is None:
            registered = donor.registered_at or plan.checkin - timedelta(minutes=10)
            self.ctx.registry.register(rng, donor.person, registered)
        screened = plan.checkin + timedelta(minutes=rng.uniform(8, 20))
        visit_id = writer.next_id("plasma_visit")
        s = plan.screening
        writer.add("plasma_visit", (
            visit_id, donor.person.id, station.id, plan.day,
            VisitStatus.COLLECTED if plan.collection else VisitStatus.INELIGIBLE, plan.checkin,
            s.weight_kg, s.systolic, s.diastolic, s.pulse, s.temperature_c, s.total_protein_g_l,
            s.alt_u_l, None, dict(s.rapid_tests), dict(s.questionnaire),
            self.profiles[station.id].code, _reasons(plan.decision),
            plan.decision.next_eligible_on, screened,
        ))  # fmt: skip
        if plan.deferral is not None:
            code, permanent, ends = plan.deferral
            self.ctx.defer(donor.person.id, station.id, plan.day, code, permanent, ends,
                           "screening", screened)  # fmt: skip
        if plan.collection is not None:
            self._write_collection(donor, plan, visit_id)

    def _write_collection(self, donor: PlasmaDonor, plan: Plan, visit_id: int) -> None:
        ctx, clock, writer = self.ctx, self.clock, self.ctx.writer
        station = donor.station.org
        started, ended, weight, anticoagulant, reaction = plan.collection
        din = ctx.din(station.facility_id, plan.day.year)
        tested, outcome, protein, alt, markers = plan.lab
        tested_yet = tested <= clock.end
        state, destroyed, released_at, shipment = UnitState.QUARANTINE, None, None, None
        if tested_yet and outcome != "negative":
            state = UnitState.DESTROYED
            destroyed = "reactive_marker" if outcome == "reactive" else "out_of_range"
        elif tested_yet:
            later = next((p for p in donor.queue if p.negative), None)
            if later is not None and later.lab[0] <= clock.end:
                released_at = self._release_at(donor.station, plan.day, later.lab[0])
                if released_at > clock.end:
                    released_at = None
                else:
                    state = UnitState.RELEASED
                    shipment = self._shipment(donor.station, released_at)
                    if shipment is not None:
                        state = UnitState.SHIPPED
        unit_id = writer.next_id("plasma_collection")
        writer.add("plasma_collection", (
            unit_id, visit_id, donor.person.id, station.id, din, ctx.check(din),
            f"PCS2-{self.rng.randint(1, 12):02d}", f"LOT-{plan.day:%y%m}", started, ended,
            weight, anticoagulant, reaction, donor.person.abo, donor.person.rhd, state,
            destroyed, released_at, {},
        ))  # fmt: skip
        if shipment is not None:
            shipment_id, box, received = shipment
            writer.add("plasma_shipment_item", (
                writer.next_id("plasma_shipment_item"), shipment_id, unit_id, f"B{box:03d}",
                "ok" if received else None,
            ))  # fmt: skip
        if not tested_yet:
            return
        writer.add("plasma_lab_result", (
            writer.next_id("plasma_lab_result"), unit_id, protein, alt,
            *("reactive" if m in markers else "negative" for m in INFECTIOUS_MARKERS),
            outcome, tested,
        ))  # fmt: skip
        if outcome == "reactive":
            note = f"{', '.join(MARKER_NAMES.get(m, m) for m in markers)} ({din})"
            ctx.defer(donor.person.id, station.id, clock.day_of(tested), "reactive_marker",
                      True, None, "lab", tested, note=note)  # fmt: skip
            ctx.lookback(donor.person.id, station.id, din, list(markers), tested)


def _reasons(decision: rules.Decision) -> list[dict]:
    """As ``blood.plasma.service.visits.reasons_to_json`` stores them."""
    return [
        {
            "code": r.code,
            "facts": {k: v.isoformat() if isinstance(v, date) else v for k, v in r.facts.items()},
        }
        for r in decision.reasons
    ]
