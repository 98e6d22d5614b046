"""Blood centres' history: whole-blood (200/300/400 mL) and apheresis-platelet donations by
donors who come back after the interval, the laboratory's results the next morning (every
marker of ``Settings.blood_lab_markers``, the confirmed group), the components split from
each donation, and — through ``units.Fates`` — each unit's life: release, the daily delivery
to a hospital (one dispatch per centre, hospital and day), receipt, transfusion, returns,
discards, temperature excursions and expiries, with the daily usage roll-up the stock levels
read. Transfusions are handed to ``clinical.Clinic``, which writes the hospital's record.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import date, datetime, timedelta

from blood.clinical import rules as clinical_rules
from blood.donors import rules
from blood.stock.lifecycle import Action
from blood.synth import people
from blood.synth.clinical import Clinic
from blood.synth.context import Context
from blood.synth.province import Centre
from blood.synth.rates import WHOLE_BLOOD_VOLUMES
from blood.synth.units import Fates, UnitRef, receipt_at

WB, PL = rules.DonationKind.WHOLE_BLOOD, rules.DonationKind.PLATELETS
# What a donation is split into: (product code, component, share of the donation's volume).
# 400 mL → 280 mL red cells + 200 mL plasma, as the demo's split (within the 1.4 ratio).
SPLIT = (("E0001", "red_cells", 0.70), ("E0004", "plasma", 0.50))
SPLIT_CRYO = (("E0001", "red_cells", 0.70), ("E0005", "plasma", 0.45), ("E0006", "cryo", 0.10))
APHERESIS = (("E0003", "platelets", 1.0),)
PLATELET_VOLUME_ML = 250
# Why a prospective whole-blood donor is turned away (weights), and the days deferred.
SCREEN_DEFERRALS = (("low_hb", 45, 90), ("blood_pressure", 25, 14), ("recent_illness", 15, 14),
                    ("medication", 10, 14), ("tattoo_piercing", 5, 180))  # fmt: skip
REACTIONS = (("vasovagal", 75), ("haematoma", 25))
LAB_STAFF, ISSUER, RECEIVER = "检验科", "发血科", "输血科"


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (normal approximation above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class CentreDonor:
    __slots__ = ("centre", "donations", "person")

    def __init__(self, person: people.Donor, centre: Centre):
        self.person, self.centre, self.donations = person, centre, 0


class BloodCentres:
    def __init__(self, context: Context, centres: list[Centre], clinic: Clinic):
        self.ctx, self.centres, self.clinic = context, centres, clinic
        self.clock, self.rates, self.writer = context.clock, context.rates, context.writer
        self.rng = random.Random(f"{context.seed}:centres")
        self.fates = Fates(self.clock, self.rates, random.Random(f"{context.seed}:units"))
        config = context.settings
        self.markers = config.blood_lab_markers
        self.alt_limit = config.blood_alt_max_u_l
        self.ml_per_unit = config.clinical_ml_per_unit
        self.profiles = {c.org.id: context.profile(c.org) for c in centres}
        codes = {code for split in (SPLIT, SPLIT_CRYO, APHERESIS) for code, _c, _s in split}
        self.shelf = {code: context.shelf_life(code) for code in codes}
        self.due: dict[date, list[CentreDonor]] = {}  # returning donors by the day they come
        self.platelet_donors: dict[int, list[tuple[date, CentreDonor]]] = {
            c.org.id: [] for c in centres
        }
        self.index = {h.org.id: (c, i, h) for c in centres for i, h in enumerate(c.hospitals)}
        self.dispatches: dict[tuple, int] = {}
        self.dispatch_numbers: dict[int, int] = {}  # centre id → highest number used
        self.usage: Counter = Counter()  # (org, day, component, abo, rhd) → units

    # --- a day -----------------------------------------------------------------------------

    def run_day(self, day: date) -> None:
        due = self.due.pop(day, [])
        for centre in self.centres:
            mean = self.ctx.whole_blood_per_year * centre.share / 365.25
            wanted = poisson(self.rng, mean * self.ctx.calendar.whole_blood(day))
            mine = [d for d in due if d.centre is centre]
            for donor in mine[wanted:]:  # more came back than the day holds: tomorrow
                self.due.setdefault(day + timedelta(1), []).append(donor)
            coming = mine[:wanted]
            coming += [self._new_donor(centre, day) for _ in range(wanted - len(coming))]
            for donor in coming:
                self._visit(donor, day, WB)
            platelets = poisson(self.rng, wanted * self.rates.platelet_share)
            for donor in self._platelet_donors(centre, day, platelets):
                self._visit(donor, day, PL)

    def _new_donor(self, centre: Centre, day: date) -> CentreDonor:
        region = self.rng.choice(centre.counties)
        person = people.new_donor(self.rng, centre.org.id, region, day, male_share=0.55,
                                  ages=(18, 55))  # fmt: skip
        return CentreDonor(person, centre)

    def _platelet_donors(self, centre: Centre, day: date, count: int) -> list[CentreDonor]:
        """Regular apheresis donors whose interval has passed, then new ones."""
        pool = self.platelet_donors[centre.org.id]
        ready = [entry for entry in pool if entry[0] <= day][:count]
        for entry in ready:
            pool.remove(entry)
        found = [donor for _day, donor in ready]
        return found + [self._new_donor(centre, day) for _ in range(count - len(found))]

    def _visit(self, donor: CentreDonor, day: date, kind: rules.DonationKind) -> None:
        rng, rates, clock, writer = self.rng, self.rates, self.clock, self.writer
        centre = donor.centre.org
        person = donor.person
        minutes = rng.uniform(8.5 * 60, 17.5 * 60)
        collected = clock.at(day, minutes)
        if collected > clock.end:
            return
        if person.id is None:
            self.ctx.registry.register(rng, person, collected - timedelta(minutes=20))
        if donor.donations == 0 and rng.random() < rates.whole_blood_screen_fail:
            code, _weight, days = rng.choices(SCREEN_DEFERRALS, [r[1] for r in SCREEN_DEFERRALS])[0]
            self.ctx.defer(person.id, centre.id, day, code, False, day + timedelta(days),
                           "screening", collected - timedelta(minutes=10))  # fmt: skip
            return
        donor.donations += 1
        volume = PLATELET_VOLUME_ML if kind is PL else rng.choices(
            *zip(*WHOLE_BLOOD_VOLUMES, strict=True))[0]  # fmt: skip
        reaction = None
        if rng.random() < rates.whole_blood_donor_reaction:
            reaction = rng.choices(*zip(*REACTIONS, strict=True))[0]
            person.reacted = True
        din = self.ctx.din(centre.facility_id, day.year)
        tested = clock.at(day + timedelta(1), rng.uniform(8 * 60, 12 * 60))
        tested_yet = tested <= clock.end
        donation_id = writer.next_id("blood_donation")
        diastolic = rng.randint(62, 84)
        screening = {
            "weight_kg": round(person.weight + rng.uniform(-1.5, 1.5), 1),
            "systolic": max(rng.randint(100, 136), diastolic + 32),
            "diastolic": diastolic,
            "pulse": rng.randint(62, 94),
            "hb_g_l": rng.randint(125, 165) if person.sex == "M" else rng.randint(118, 150),
        }
        writer.add("blood_donation", (
            donation_id, person.id, centre.id, din, self.ctx.check(din), kind.value, volume,
            collected, reaction, person.abo, person.rhd, screening,
            person.abo if tested_yet else None, person.rhd if tested_yet else None,
            "confirmed" if tested_yet else None, tested if tested_yet else None, {},
        ))  # fmt: skip
        failed, reactive = self._lab(donation_id, centre.id, tested, repeat=donor.donations > 1,
                                     write=tested_yet)  # fmt: skip
        split = APHERESIS if kind is PL else (
            SPLIT_CRYO if volume == 400 and rng.random() < rates.cryo_split else SPLIT)  # fmt: skip
        for code, component, share in split:
            self._unit(donor.centre, person, din, donation_id, code, component,
                       round(volume * share), volume, collected, tested, failed)  # fmt: skip
        if reactive and tested_yet:
            self.ctx.defer(person.id, centre.id, clock.day_of(tested), "reactive_marker", True,
                           None, "lab", tested, note=f"{', '.join(reactive)} ({din})")  # fmt: skip
            self.ctx.lookback(person.id, centre.id, din, reactive, tested)
        if reactive:
            return  # deferred for good
        self._return(donor, day, kind)

    def _return(self, donor: CentreDonor, day: date, kind: rules.DonationKind) -> None:
        rng, rates = self.rng, self.rates
        intervals = self.profiles[donor.centre.org.id].intervals
        if kind is PL:
            if rng.random() < rates.platelet_churn:
                return
            back = intervals[(PL, PL)].after(day) + timedelta(
                int(rng.expovariate(1 / rates.platelet_extra_gap_days)))  # fmt: skip
            self.platelet_donors[donor.centre.org.id].append((back, donor))
            return
        if rng.random() >= rates.whole_blood_return or donor.person.age_on(day) >= 55:
            return
        back = intervals[(WB, WB)].after(day) + timedelta(
            int(rng.expovariate(1 / rates.whole_blood_extra_gap_days)))  # fmt: skip
        if back <= self.clock.last_day:
            self.due.setdefault(back, []).append(donor)

    def _lab(self, donation_id: int, centre_id: int, tested: datetime, *, repeat: bool,
             write: bool) -> tuple[str | None, list[str]]:  # fmt: skip
        """Every marker's result: (the discard reason if one failed, the reactive markers)."""
        rng, rates, writer = self.rng, self.rates, self.writer
        factor = rates.repeat_donor_marker_factor if repeat else 1.0
        reactive, high = [], False
        for marker in self.markers:
            if marker == "alt":
                high = rng.random() < rates.alt_above_limit
                value = round(rng.uniform(self.alt_limit + 1, self.alt_limit + 80) if high
                              else rng.uniform(5, self.alt_limit - 5), 1)  # fmt: skip
                row = ("above_limit" if high else "within_limit", value, self.alt_limit)
            else:
                rate = rates.marker_reactive.get(marker, rates.other_marker_reactive) * factor
                if rng.random() < rate:
                    reactive.append(marker)
                row = ("reactive" if marker in reactive else "negative", None, None)
            if write:
                writer.add("blood_test_result", (
                    writer.next_id("blood_test_result"), donation_id, centre_id, marker, *row,
                    LAB_STAFF, tested,
                ))  # fmt: skip
        failed = "reactive_test" if reactive else ("test_out_of_range" if high else None)
        return failed, reactive

    # --- one unit and its life ---------------------------------------------------------------

    def _unit(self, centre: Centre, person: people.Donor, din, donation_id, code, component,
              volume, source_ml, collected, tested, failed) -> None:  # fmt: skip
        writer = self.writer
        unit_id = writer.next_id("blood_unit")
        counted = (
            clinical_rules.counted_ml(source_ml=source_ml, unit_ml=volume,
                                      ml_per_unit=self.ml_per_unit)
            if component == "red_cells" else None
        )  # fmt: skip
        abo, rhd = person.abo, person.rhd
        unit = UnitRef(unit_id, din, code, component, abo, rhd, volume, counted, collected,
                       collected + self.shelf[code], centre.org.id)  # fmt: skip
        fate = self.fates.decide(unit, centre, tested_at=tested, failed=failed)
        writer.add("blood_unit", (
            unit_id, din, self.ctx.check(din), code, "00", component, abo, rhd, volume,
            collected, unit.expires_at, fate.state.value, fate.owner, centre.org.id,
            donation_id, fate.reason, fate.updated,
        ))  # fmt: skip
        items: list[list] = []  # [dispatch id, temperature ok] per issue
        for (
            at,
            _uid,
            _order,
            _unit,
            action,
            before,
            after,
            org,
            counterpart,
            reason,
            extra,
        ) in fate.events:
            writer.add("blood_unit_movement", (
                writer.next_id("blood_unit_movement"), unit_id, action, before, after, org,
                counterpart, component, abo, rhd, at, reason,
            ))  # fmt: skip
            if action == Action.ISSUE:
                self.usage[(org, self.clock.day_of(at), component, abo, rhd)] += 1
                items.append([self._dispatch(extra, at), None])
            elif action == Action.RECEIVE:
                items[-1][1] = extra[1]
            elif action == Action.HOLD and fate.excursion is not None:
                outcome, closed = fate.excursion
                writer.add("blood_temperature_excursion", (
                    writer.next_id("blood_temperature_excursion"), unit_id, items[-1][0], org,
                    RECEIVER, at, outcome, closed,
                ))  # fmt: skip
            elif action == Action.TRANSFUSE:
                self.usage[(org, self.clock.day_of(at), component, abo, rhd)] += 1
                self.clinic.schedule(unit, self.index[org][2], extra)
        for dispatch_id, temperature_ok in items:
            writer.add("blood_dispatch_item", (
                writer.next_id("blood_dispatch_item"), dispatch_id, unit_id, temperature_ok,
            ))  # fmt: skip

    def _dispatch(self, key: tuple, issued: datetime) -> int:
        found = self.dispatches.get(key)
        if found is not None:
            return found
        centre_id, hospital_id, day = key
        centre, index, hospital = self.index[hospital_id]
        number = (day - self.clock.start).days * len(centre.hospitals) + index + 1
        if self.dispatch_numbers.get(centre_id, 0) < number:
            self.dispatch_numbers[centre_id] = number
        received = receipt_at(issued, hospital)
        received_yet = received <= self.clock.end
        found = self.dispatches[key] = self.writer.next_id("blood_dispatch")
        self.writer.add("blood_dispatch", (
            found, f"{centre.org.code}-D{number:05d}", "issue", centre_id, hospital_id, None,
            "received" if received_yet else "in_transit", issued, ISSUER,
            received if received_yet else None, RECEIVER if received_yet else None,
        ))  # fmt: skip
        return found

    # --- the end -----------------------------------------------------------------------------

    def finish(self) -> dict[str, int]:
        """Write the daily usage roll-up; the dispatch counters the services go on from."""
        for (org, day, component, abo, rhd), units in sorted(self.usage.items()):
            self.writer.add("blood_daily_usage", (org, day, component, abo, rhd, units))
        self.usage.clear()
        return {f"dispatch:{centre}": n for centre, n in self.dispatch_numbers.items()}
