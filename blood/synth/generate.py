"""The synthetic province, generated: organisations and users through the services, then the
history day by day — plasma stations (``plasma``), blood centres and the life of every unit
(``centres``, ``units``), hospitals' transfusions and reactions (``clinical``) — written in
bulk (``writer``: COPY on PostgreSQL) in the caller's transaction.

The history is written straight into the tables, as the services would have left them, so
the stock pages, the clinical pages and ``compute_indicators`` read it as they read real
records. What it does NOT write: audit rows (the audit chain covers the organisations and
users made through the services, not the synthetic history — no one did those actions),
orders (dispatches are issues without an order), supervision facts (run
``flask --app app blood compute-indicators --days N`` afterwards) and alerts (the first
``blood evaluate-alerts`` raises the severe reactions, which are left un-alerted).

Reproducible: the same seed, scale, years, end instant and rates give the same rows (each
generator draws from its own ``random.Random`` seeded from the seed and its name).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from blood import settings
from blood.synth.centres import BloodCentres
from blood.synth.clinical import Clinic
from blood.synth.clock import Clock
from blood.synth.context import Context
from blood.synth.people import Registry
from blood.synth.plasma import PlasmaStations
from blood.synth.province import Province, build
from blood.synth.rates import PLASMA_DONATIONS_PER_YEAR, WHOLE_BLOOD_DONATIONS_PER_YEAR, Rates
from blood.synth.writer import BulkWriter

# The synthetic inspectors' password (a benchmark database, never a deployment's).
DEFAULT_PASSWORD = "synth-inspector-2026"


@dataclass
class Result:
    province: Province
    first: date
    last: date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def days_of(years: float) -> int:
    return max(1, round(years * 365.25))


def generate(
    session: Session,
    *,
    years: float,
    seed: str,
    scale: float,
    end: datetime | None = None,
    rates: Rates | None = None,
    password: str = DEFAULT_PASSWORD,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Generate the province and ``years`` of its history ending at ``end`` (default: now,
    to the minute) into the session's transaction (the caller commits). ``progress`` is
    called with 1 after each day."""
    began = time.perf_counter()
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    province = build(session, scale=scale, password=password)
    session.flush()
    zone = province.stations[0].org.timezone if province.stations else "Asia/Shanghai"
    last_day = end.astimezone(ZoneInfo(zone)).date()
    clock = Clock(start=last_day - timedelta(days=days_of(years) - 1), end=end, timezone=zone)
    writer = BulkWriter(session)
    codes = {org.id: org.code for org in province.organisations}
    registry = Registry(writer, settings.of(session).vault, codes)
    context = Context(
        session=session,
        seed=str(seed),
        rates=rates or Rates(),
        clock=clock,
        writer=writer,
        registry=registry,
        manufacturer=province.manufacturer,
        plasma_per_year=PLASMA_DONATIONS_PER_YEAR * scale,
        whole_blood_per_year=WHOLE_BLOOD_DONATIONS_PER_YEAR * scale,
    )
    stations = PlasmaStations(context, province.stations)
    clinic = Clinic(context)
    centres = BloodCentres(context, province.centres, clinic)
    for day in clock.days():
        stations.run_day(day)
        centres.run_day(day)
        # Nothing made from tomorrow on is transfused before tomorrow begins.
        clinic.drain(clock.midnight(day + timedelta(days=1)))
        writer.flush_if_full()
        if progress is not None:
            progress(1)
    clinic.drain(None)
    counters = dict(context.counters)
    counters.update({f"donor-card:{org}": n for org, n in registry.cards.items()})
    counters.update(centres.finish())
    numbers, shipment_counters = stations.shipment_numbers()
    counters.update(shipment_counters)
    writer.finish(counters)
    if numbers:
        session.connection().execute(
            sa.text("UPDATE plasma_shipment SET number = :number WHERE id = :id"),
            [{"id": shipment_id, "number": number} for shipment_id, number in numbers],
        )
    rows = dict(writer.written)
    return Result(province, clock.start, clock.last_day, rows, time.perf_counter() - began)
