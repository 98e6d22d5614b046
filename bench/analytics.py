"""The nightly forecast of a province, on PostgreSQL (``BLOOD_BENCH_DATABASE_URL``; SQLite
without it): 5 blood centres × 4 components × 8 ABO/RhD groups, two years of synthetic daily
issues, then ``run_forecasts`` as the scheduler runs it — its total time, and the backtest
accuracy table per component and group (MASE and MAPE of the model and of the seasonal-naive
baseline, over the centres).

    BLOOD_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.analytics

The history is synthetic and says what it is made of: each centre's daily issues are Poisson
draws around a mean that follows the weekday (weekends at half), the month (a summer rise, a
February dip) and the holidays (Spring Festival and National Day at 0.55: elective surgery
stops), with each group's share of a Chinese population (O 30 %, A 28 %, B 30 %, AB 12 %;
RhD-negative 0.4 % of each). Its accuracy figures say how well the method recovers such a
pattern — not how it would do on a real centre's history.
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from blood import create_app, migrate
from blood.accounts.roles import AuthorityLevel, OrgKind
from blood.accounts.scoping import Actor
from blood.accounts.service import OrganisationInput, create_organisation
from blood.analytics.holidays import holiday_days
from blood.analytics.models import ForecastSeries
from blood.analytics.service.forecast import run_forecasts
from blood.db import get_db
from blood.stock.models import COMPONENTS, GROUPS, DailyUsage, Unit

YEARS = 2
# Red-cell units issued a day by each centre (a provincial centre and four city centres).
CENTRES = {"BC-P": 260, "BC-1": 110, "BC-2": 80, "BC-3": 60, "BC-4": 40}
COMPONENT_SHARE = {"red_cells": 1.0, "plasma": 0.55, "platelets": 0.12, "cryo": 0.18}
ABO_SHARE = {"O": 0.30, "A": 0.28, "B": 0.30, "AB": 0.12}
RHD_NEGATIVE = 0.004
WEEKDAY = (1.05, 1.1, 1.1, 1.05, 1.0, 0.55, 0.5)
MONTH = {1: 1.0, 2: 0.85, 3: 1.0, 4: 1.0, 5: 1.02, 6: 1.05, 7: 1.12, 8: 1.12, 9: 1.0,
         10: 0.95, 11: 1.0, 12: 1.05}  # fmt: skip
HOLIDAY = 0.55
STOCK_DAYS = 6  # units each centre holds: about six days of its mean issues


def _database() -> tuple[str, callable]:
    base = os.environ.get("BLOOD_BENCH_DATABASE_URL")
    if not base:
        directory = tempfile.mkdtemp(prefix="blood-bench-analytics-")
        return f"sqlite:///{directory}/bench.sqlite3", lambda: None
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"blood_bench_analytics_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def _group_share(abo: str, rhd: str) -> float:
    return ABO_SHARE[abo] * (RHD_NEGATIVE if rhd == "-" else 1 - RHD_NEGATIVE)


def build(app, today: date) -> int:
    """The province, its centres, two years of daily issues and the stock each holds."""
    system = Actor.system("bench")
    rng = np.random.default_rng(16)
    holidays = holiday_days()
    start = today - timedelta(days=365 * YEARS)
    days = [start + timedelta(days=i) for i in range((today - start).days)]
    scale = np.array(
        [WEEKDAY[d.weekday()] * MONTH[d.month] * (HOLIDAY if d in holidays else 1.0) for d in days]
    )
    engine = get_db(app).engine
    rows = 0
    with app.app_context(), get_db(app).new_session(bind=engine) as session:
        province = create_organisation(
            session=session,
            actor=system,
            data=OrganisationInput(
                code="ZJ", name_zh="省卫健委", name_en="Province", kind=OrgKind.AUTHORITY,
                level=AuthorityLevel.PROVINCE, division_code="330000",
            ),
        )  # fmt: skip
        centres = {}
        for code in CENTRES:
            centres[code] = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code=code, name_zh=code, name_en=code, kind=OrgKind.BLOOD_CENTRE,
                    parent_code=province.code,
                ),
            )  # fmt: skip
        session.commit()
        ids = {code: org.id for code, org in centres.items()}
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for code, red_cells in CENTRES.items():
            usage, units = [], []
            for component in COMPONENTS:
                for abo, rhd in GROUPS:
                    level = red_cells * COMPONENT_SHARE[component] * _group_share(abo, rhd)
                    drawn = rng.poisson(level * scale)
                    usage += [
                        {
                            "organisation_id": ids[code],
                            "day": day,
                            "component": component,
                            "abo": abo,
                            "rhd": rhd,
                            "units": int(n),
                        }
                        for day, n in zip(days, drawn, strict=True)
                        if n
                    ]
                    for k in range(round(level * STOCK_DAYS)):
                        units.append(
                            {
                                "din": f"B{ids[code]:02d}{len(units):010d}",
                                "check_character": "0",
                                "product_code": "E0001",
                                "division": "00",
                                "component": component,
                                "abo": abo,
                                "rhd": rhd,
                                "volume_ml": 200,
                                "collected_at": now - timedelta(days=3),
                                "expires_at": now + timedelta(days=3 + k % 30),
                                "state": "available",
                                "owner_id": ids[code],
                                "centre_id": ids[code],
                                "updated_at": now,
                            }
                        )
            for first in range(0, len(usage), 10_000):
                connection.execute(sa.insert(DailyUsage), usage[first : first + 10_000])
            if units:
                connection.execute(sa.insert(Unit), units)
            rows += len(usage)
    return rows


def main() -> None:
    url, drop = _database()
    backend = make_url(url).get_backend_name()
    try:
        migrate.upgrade(url)
        app = create_app({"ENV": "testing", "DATABASE_URL": url})
        today = datetime.now(UTC).date()
        started = time.perf_counter()
        rows = build(app, today)
        built = time.perf_counter() - started
        series_count = len(CENTRES) * len(COMPONENTS) * len(GROUPS)
        print(
            f"\nanalytics benchmark on {backend}: {len(CENTRES)} centres × {len(COMPONENTS)} "
            f"components × {len(GROUPS)} groups = {series_count} series, {YEARS} years of daily "
            f"issues ({rows:,} rows), built in {built:.0f} s"
        )
        engine = get_db(app).engine
        with app.app_context(), get_db(app).new_session(bind=engine) as session:
            started = time.perf_counter()
            result = run_forecasts(session=session, actor=Actor.system("bench"))
            session.commit()
            elapsed = time.perf_counter() - started
            print(
                f"  nightly forecast: {elapsed:.1f} s for {result.series} series "
                f"({result.models} by the model, the rest by the baseline), "
                f"{1000 * elapsed / max(result.series, 1):.0f} ms a series"
            )
            _accuracy(session.execute(sa.select(ForecastSeries)).scalars().all())
        engine.dispose()
    finally:
        drop()


def _accuracy(series: list[ForecastSeries]) -> None:
    """The backtest per component and group, the centres' series averaged."""
    table: dict[tuple[str, str], list[ForecastSeries]] = defaultdict(list)
    for s in series:
        table[(s.component, f"{s.abo}{s.rhd}")].append(s)

    def avg(values) -> str:
        values = [v for v in values if v is not None]
        return f"{statistics.mean(values):.2f}" if values else "—"

    print("\n  backtest (rolling origin, 4 windows of 14 days), mean over the centres:")
    print(
        "  | component | group | series | model used | MASE model | MASE baseline "
        "| MAPE model % | MAPE baseline % | baseline because |"
    )
    print("  |---|---|---:|---:|---:|---:|---:|---:|---|")
    for (component, group), rows in sorted(
        table.items(), key=lambda kv: (COMPONENTS.index(kv[0][0]), kv[0][1])
    ):
        used = sum(1 for s in rows if s.method == "ets")
        notes = Counter(s.note for s in rows if s.method != "ets")
        because = ", ".join(f"{note or '—'} ×{n}" for note, n in notes.most_common()) or "—"
        print(
            f"  | {component} | {group} | {len(rows)} | {used} | "
            f"{avg(s.mase_model for s in rows)} | {avg(s.mase_baseline for s in rows)} | "
            f"{avg(s.mape_model for s in rows)} | {avg(s.mape_baseline for s in rows)} | "
            f"{because} |"
        )


if __name__ == "__main__":
    main()
