"""Benchmarks: how the hot paths scale with a province's worth of data.

    make bench                                    # SQLite in a temporary directory
    BLOOD_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make bench

Figures are for comparing runs on the same machine (and ratios within one run), never
absolute targets: they depend on the machine and whatever else runs on it. Sizes scale with
BLOOD_BENCH_SCALE (default 1: 60 hospitals, 200,000 units, 400,000 movements, 20,000 audit
rows; a real province has about 1–2 million transfusions a year).
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from blood import audit, create_app, migrate
from blood.accounts.roles import AuthorityLevel, OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import OrganisationInput, create_organisation
from blood.db import get_db
from blood.donors import rules
from blood.stock import service as stock
from blood.stock.models import DailyUsage, Unit, UnitMovement

SCALE = float(os.environ.get("BLOOD_BENCH_SCALE", "1"))
HOSPITALS = int(60 * SCALE)
UNITS = int(200_000 * SCALE)
AUDIT_ROWS = int(20_000 * SCALE)
GROUPS = stock.GROUPS
COMPONENTS = [("red_cells", "E0001"), ("plasma", "E0004"), ("platelets", "E0003")]


def timed(label: str, fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    print(f"  {label:<58} median {median * 1000:9.1f} ms  (best {min(runs) * 1000:.1f})")
    return median


def database_url() -> tuple[str, callable]:
    base = os.environ.get("BLOOD_BENCH_DATABASE_URL")
    if not base:
        directory = tempfile.mkdtemp(prefix="blood-bench-")
        return f"sqlite:///{directory}/bench.sqlite3", lambda: None
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"blood_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def daily_usage(orgs: dict, moves: list[dict]) -> list[dict]:
    """The daily usage of movements written directly (``transition`` keeps it for the
    movements it writes): the centre's issues and the hospitals' transfusions, by local day."""
    holders = {org.id: org for org in orgs.values()}
    used: Counter = Counter()
    for move in moves:
        holder = holders[move["organisation_id"]]
        if stock.counts_as_use(move["action"], holder.kind):
            day = stock.local_day(move["at"], holder.timezone)
            used[(holder.id, day, move["component"], move["abo"], move["rhd"])] += 1
    columns = ("organisation_id", "day", "component", "abo", "rhd")
    return [{**dict(zip(columns, key, strict=True)), "units": n} for key, n in used.items()]


def build(app) -> dict:
    engine = get_db(app).engine
    system = Actor.system("bench")
    rng = random.Random(1)
    orgs: dict = {}
    with app.app_context(), get_db(app).new_session(bind=engine) as session:
        orgs["ZJ"] = create_organisation(
            session=session,
            actor=system,
            data=OrganisationInput(
                code="ZJ",
                name_zh="省",
                name_en="Province",
                kind=OrgKind.AUTHORITY,
                level=AuthorityLevel.PROVINCE,
                division_code="330000",
            ),
        )
        for city in range(1, 11):
            code = f"C{city:02d}"
            orgs[code] = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code=code,
                    name_zh=code,
                    name_en=code,
                    kind=OrgKind.AUTHORITY,
                    level=AuthorityLevel.CITY,
                    division_code=f"33{city:02d}00",
                    parent_code="ZJ",
                ),
            )
        orgs["BC"] = create_organisation(
            session=session,
            actor=system,
            data=OrganisationInput(
                code="BC",
                name_zh="血液中心",
                name_en="BC",
                kind=OrgKind.BLOOD_CENTRE,
                parent_code="ZJ",
            ),
        )
        for number in range(HOSPITALS):
            code = f"H{number:03d}"
            orgs[code] = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code=code,
                    name_zh=code,
                    name_en=code,
                    kind=OrgKind.HOSPITAL,
                    parent_code=f"C{number % 10 + 1:02d}",
                ),
            )
        session.commit()
    hospitals = [orgs[f"H{n:03d}"].id for n in range(HOSPITALS)]
    centre = orgs["BC"].id
    now = datetime.now(UTC)
    units, moves = [], []
    for index in range(UNITS):
        component, code = rng.choice(COMPONENTS)
        abo, rhd = rng.choice(GROUPS)
        collected = now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        holder = rng.choice(hospitals + [centre] * 10)
        state = "available" if holder == centre else rng.choice(["received", "transfused"])
        units.append(
            {
                "id": index + 1,
                "din": f"B3300{26:02d}{index + 1:06d}",
                "check_character": "0",
                "product_code": code,
                "division": "00",
                "component": component,
                "abo": abo,
                "rhd": rhd,
                "volume_ml": 280,
                "collected_at": collected,
                "expires_at": collected + timedelta(days=35),
                "state": state,
                "owner_id": holder,
                "centre_id": centre,
                "updated_at": collected,
            }
        )
        if holder != centre:
            issued = collected + timedelta(days=1)
            moves.append(
                {
                    "unit_id": index + 1,
                    "action": "issue",
                    "from_state": "available",
                    "to_state": "issued",
                    "organisation_id": centre,
                    "component": component,
                    "abo": abo,
                    "rhd": rhd,
                    "at": issued,
                }
            )
            if state == "transfused":
                moves.append(
                    {
                        "unit_id": index + 1,
                        "action": "transfuse",
                        "from_state": "received",
                        "to_state": "transfused",
                        "organisation_id": holder,
                        "component": component,
                        "abo": abo,
                        "rhd": rhd,
                        "at": issued + timedelta(days=1),
                    }
                )
    usage = daily_usage(orgs, moves)
    with engine.begin() as connection:
        for start in range(0, len(units), 5000):
            connection.execute(sa.insert(Unit), units[start : start + 5000])
        for start in range(0, len(moves), 5000):
            connection.execute(sa.insert(UnitMovement), moves[start : start + 5000])
        for start in range(0, len(usage), 5000):
            connection.execute(sa.insert(DailyUsage), usage[start : start + 5000])
    with app.app_context(), get_db(app).new_session(bind=engine) as session:
        for n in range(AUDIT_ROWS):
            audit.record(
                session,
                system,
                "bench.event",
                entity_type="bench",
                entity_id=n,
                changes={"n": [None, n]},
            )
            if n % 2000 == 1999:
                session.commit()
        session.commit()
    if engine.dialect.name == "postgresql":
        # A running database has its statistics: autovacuum would otherwise analyse the new
        # rows in the middle of the timings.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    print(
        f"  data: {len(orgs)} organisations, {len(units)} units, {len(moves)} movements "
        f"({len(usage)} daily usage rows), {AUDIT_ROWS} audit rows"
    )
    return orgs


def main() -> None:
    url, cleanup = database_url()
    print(f"blood benchmarks on {make_url(url).get_backend_name()} (scale {SCALE})")
    try:
        migrate.upgrade(url)
        app = create_app({"ENV": "testing", "DATABASE_URL": url})
        started = time.perf_counter()
        orgs = build(app)
        print(f"  built in {time.perf_counter() - started:.1f} s")
        engine = get_db(app).engine

        def actor_of(code: str, role: Role) -> Actor:
            org = orgs[code]
            return Actor.for_organisation("user", None, "bench", org, [role])

        province = actor_of("ZJ", Role.INSPECTOR)
        city = actor_of("C01", Role.INSPECTOR)
        hospital = actor_of("H000", Role.TRANSFUSION_OFFICER)
        centre = actor_of("BC", Role.STOCK_CLERK)
        with app.app_context(), get_db(app).new_session(bind=engine) as session:
            for label, actor in (
                ("stock levels: province (whole jurisdiction)", province),
                ("stock levels: one city", city),
                ("stock levels: blood centre", centre),
                ("stock levels: one hospital", hospital),
            ):
                timed(label, lambda a=actor: stock.stock_levels(session=session, actor=a))
            timed("audit chain verify (all rows)", lambda: audit.verify(session), repeat=3)

        facts = rules.DonorFacts(sex="F", birth_date=date(1985, 6, 1))
        history = rules.History(
            donations=tuple(
                rules.PastDonation(
                    on=date(2026, 1, 1) + timedelta(days=16 * i), kind=rules.DonationKind.PLASMA
                )
                for i in range(20)
            )
        )
        screening = rules.Screening(weight_kg=60, systolic=118, diastolic=76, pulse=72)
        decisions = 2000
        per_batch = timed(
            f"eligibility decide x{decisions} (pure, 20-donation history)",
            lambda: [
                rules.decide(rules.CN_PLASMA, facts, screening, history, date(2026, 11, 22))
                for _ in range(decisions)
            ],
        )
        print(f"  → {decisions / per_batch:,.0f} decisions per second")
        engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main()
    from bench import analytics, http, supervision, trace

    http.main()
    supervision.main()
    trace.main()
    analytics.main()
