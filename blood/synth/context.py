"""What every generator of a synthetic province shares: the options, the clock, the writer,
the donor registry, the services' figures, and the named counters (DINs, card numbers…)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from blood import isbt128, settings
from blood.accounts.models import Organisation
from blood.donors import rules
from blood.donors.service import profile_for
from blood.stock import service as stock
from blood.synth.clock import Clock
from blood.synth.people import Registry
from blood.synth.rates import Calendar, Rates
from blood.synth.writer import BulkWriter


@dataclass
class Context:
    session: Session
    seed: str
    rates: Rates
    clock: Clock
    writer: BulkWriter
    registry: Registry
    manufacturer: Organisation
    plasma_per_year: float
    whole_blood_per_year: float
    calendar: Calendar = field(default_factory=Calendar)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def settings(self) -> settings.Settings:
        return settings.of(self.session)

    @property
    def quarantine_days(self) -> int:
        return self.settings.plasma_quarantine_days

    def profile(self, org: Organisation) -> rules.Profile:
        """The organisation's eligibility profile, with the deployment's overrides."""
        return profile_for(self.session, org)

    def shelf_life(self, code: str):
        return stock.shelf_life(self.session, stock.product(self.session, code))

    def din(self, facility_id: str, year: int) -> str:
        """The next DIN of the facility and year (the services' counter, ``blood.sequences``)."""
        name = f"din:{facility_id}:{year % 100:02d}"
        value = self.counters[name] = self.counters.get(name, 0) + 1
        return isbt128.make_din(facility_id, year, value)

    @staticmethod
    def check(din: str) -> str:
        return isbt128.check_character(din)

    def defer(
        self,
        donor_id: int,
        org_id: int,
        starts_on: date,
        code: str,
        permanent: bool,
        ends_on: date | None,
        source: str,
        at: datetime,
        *,
        note: str | None = None,
    ) -> None:
        """A deferral in the shared registry, as ``donors.defer_donor`` records it."""
        self.writer.add(
            "deferral",
            (
                self.writer.next_id("deferral"), donor_id, permanent, starts_on,
                None if permanent else ends_on, code, source, org_id, note, at,
            ),
        )  # fmt: skip

    def lookback(self, donor_id: int, org_id: int, din: str, markers: list, at: datetime) -> None:
        self.writer.add(
            "lookback_trigger",
            (self.writer.next_id("lookback_trigger"), donor_id, org_id, din, markers, "open", at),
        )
