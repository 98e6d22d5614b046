"""Trace and look-back benchmarks on a synthetic province (``blood.synth``), on PostgreSQL
(``BLOOD_BENCH_DATABASE_URL``; skipped without it).

One province of ``BLOOD_BENCH_TRACE_SCALE`` (default 0.02) with ``BLOOD_BENCH_TRACE_YEARS``
(default 1) of history, then one of its plasma donors given five years of history (a donation
every 14 days, each tested negative, shipped to the manufacturer) written straight into it.
Timed, ``BLOOD_BENCH_TRACE_RUNS`` times each (default 50), median and p95:

- the trace of one of that donor's DINs, as the province's inspector (``trace_din``);
- opening a look-back on the donor's latest donation, as the station's quality manager
  (``open_manual_case``: every donation of the five years read, the window's units blocked,
  the recall notices written, audited), each run rolled back so every run does the same work.

Target (issue 14): each under 50 ms.

    BLOOD_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python -m bench.trace
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from blood import create_app, isbt128, migrate
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import get_db
from blood.plasma.models import Collection, LabResult, Shipment, ShipmentItem, Visit
from blood.synth.generate import generate
from blood.trace.service import ManualCaseInput, open_manual_case, trace_din

SCALE = float(os.environ.get("BLOOD_BENCH_TRACE_SCALE", "0.02"))
YEARS = float(os.environ.get("BLOOD_BENCH_TRACE_YEARS", "1"))
RUNS = int(os.environ.get("BLOOD_BENCH_TRACE_RUNS", "50"))
HISTORY_YEARS = 5
END = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
SEED = "bench-trace"
NEGATIVE = dict.fromkeys(("hbsag", "anti_hcv", "anti_hiv", "syphilis"), "negative")


def _figures(label: str, runs: list[float]) -> tuple[float, float]:
    ordered = sorted(runs)
    median = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"  {label:<58} median {median * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
        f"(n={len(runs)}, best {ordered[0] * 1000:.1f})"
    )
    return median, p95


def five_years(session, *, station: Organisation, manufacturer: Organisation) -> tuple[int, list]:
    """A donor of the station given a plasma donation every 14 days for five years before the
    history's end: each tested negative the next day and shipped a fortnight later."""
    donor_id = session.scalar(
        sa.select(Collection.donor_id).where(Collection.station_id == station.id).limit(1)
    )
    at = END - timedelta(days=round(365.25 * HISTORY_YEARS))
    dins, serial = [], 0
    while at < END - timedelta(days=2):
        serial += 1
        din = isbt128.make_din("P3399", at.year, 900_000 + serial)
        visit = Visit(
            donor_id=donor_id,
            station_id=station.id,
            visit_date=at.date(),
            status="collected",
            checked_in_at=at,
        )
        session.add(visit)
        session.flush()
        shipped = at + timedelta(days=100) < END
        collection = Collection(
            visit_id=visit.id,
            donor_id=donor_id,
            station_id=station.id,
            din=din,
            check_character=isbt128.check_character(din),
            machine="PCS2",
            kit_lot="K1",
            started_at=at,
            ended_at=at + timedelta(minutes=40),
            total_weight_g=580.0,
            anticoagulant_ml=60.0,
            abo="A",
            rhd="+",
            state="shipped" if shipped else "quarantine",
            released_at=at + timedelta(days=95) if shipped else None,
        )
        session.add(collection)
        session.flush()
        session.add(
            LabResult(
                collection_id=collection.id,
                outcome="negative",
                tested_at=at + timedelta(days=1),
                **NEGATIVE,
            )
        )
        if shipped:
            shipment = Shipment(
                number=f"BENCH-S{serial:05d}",
                station_id=station.id,
                manufacturer_id=manufacturer.id,
                shipped_at=at + timedelta(days=97),
            )
            session.add(shipment)
            session.flush()
            session.add(
                ShipmentItem(shipment_id=shipment.id, collection_id=collection.id, box_label="B1")
            )
        dins.append(din)
        at += timedelta(days=14)
    session.flush()
    return donor_id, dins


def main() -> None:
    base = os.environ.get("BLOOD_BENCH_DATABASE_URL")
    if not base or make_url(base).get_backend_name() != "postgresql":
        print("trace benchmarks: skipped (set BLOOD_BENCH_DATABASE_URL to PostgreSQL)")
        return
    print(f"trace benchmarks on a synthetic province, scale {SCALE:g}, {YEARS:g} years")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"blood_bench_trace_{os.getpid()}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    app = None
    try:
        migrate.upgrade(url)
        app = create_app({"ENV": "testing", "DATABASE_URL": url})
        db = get_db(app)
        started = time.perf_counter()
        with app.app_context(), db.new_session(bind=db.engine) as session:
            result = generate(session, years=YEARS, seed=SEED, scale=SCALE, end=END)
            station = session.scalar(
                sa.select(Organisation)
                .where(Organisation.kind == OrgKind.PLASMA_STATION)
                .order_by(Organisation.id)
            )
            manufacturer = session.scalar(
                sa.select(Organisation).where(Organisation.kind == OrgKind.MANUFACTURER)
            )
            province = session.scalar(
                sa.select(Organisation)
                .where(Organisation.kind == OrgKind.AUTHORITY)
                .order_by(Organisation.path)
            )
            donor_id, dins = five_years(session, station=station, manufacturer=manufacturer)
            session.commit()
            station_id, province_id = station.id, province.id
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        rows = sum(result.rows.values())
        print(
            f"  data: {rows:,} rows (plasma donations "
            f"{result.rows.get('plasma_collection', 0):,}, whole-blood and platelet donations "
            f"{result.rows.get('blood_donation', 0):,}, transfusions "
            f"{result.rows.get('clinical_transfusion', 0):,}); donor {donor_id} given "
            f"{len(dins)} donations over {HISTORY_YEARS} years; built in "
            f"{time.perf_counter() - started:.0f} s"
        )
        with app.app_context(), db.new_session(bind=db.engine) as session:
            inspector = Actor.for_organisation(
                "user", None, "bench", session.get(Organisation, province_id), [Role.INSPECTOR]
            )
            quality = Actor.for_organisation(
                "user", None, "bench", session.get(Organisation, station_id), [Role.QUALITY]
            )
            din = dins[len(dins) // 2]
            trace_din(session=session, actor=inspector, din=din)  # warm-up
            runs = []
            for _ in range(RUNS):
                start = time.perf_counter()
                trace_din(session=session, actor=inspector, din=din)
                runs.append(time.perf_counter() - start)
            _figures("trace_din: a shipped plasma DIN, province inspector", runs)
            runs = []
            data = ManualCaseInput(din=dins[-1], markers=["nat"])
            for index in range(RUNS + 1):
                session.rollback()
                start = time.perf_counter()
                case = open_manual_case(session=session, actor=quality, data=data)
                session.flush()
                elapsed = time.perf_counter() - start
                if index:  # the first is the warm-up
                    runs.append(elapsed)
            in_window = session.scalar(
                sa.text("SELECT count(*) FROM trace_case_unit WHERE case_id = :id"),
                {"id": case.id},
            )
            session.rollback()
            _figures(f"open a look-back: 5-year donor ({in_window} units in window)", runs)
    finally:
        if app is not None:
            get_db(app).engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
