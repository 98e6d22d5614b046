"""Supervision benchmarks on a synthetic province (``blood.synth``), on PostgreSQL
(``BLOOD_BENCH_DATABASE_URL``; skipped without it: SQLite is not what a province runs on).

Two provinces of the same scale whose histories end at the same instant: one with
``BLOOD_BENCH_SHORT_DAYS`` of history (default 120: every flow is in its steady state —
stock and the 28-day usage window, and plasma released after its 90-day quarantine and
shipped), one with ``BLOOD_BENCH_SYNTH_YEARS`` (default 2). Timed in each: computing one local
day's indicators for every organisation (the last whole day, ``now`` the next noon, as the
scheduler's run after midnight does it with a few hours more) — the ratio of the two says
whether the cost follows the day's rows or the history (target ≤ 1.3). Then, in the long
one, after computing the month's facts: the dashboard services for the province and a month
(``jurisdiction_overview``, ``stock_board``, ``trend``), and the dashboard page itself
through the Flask test client when it exists.

    BLOOD_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        BLOOD_BENCH_SYNTH_SCALE=0.1 python -m bench.supervision

``BLOOD_BENCH_SYNTH_SCALE`` (default 0.05): 1.0 ≈ a province's year (1M plasma donations,
0.6M whole-blood donations, ~1.3M transfusions).
"""

from __future__ import annotations

import os
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from blood import create_app, migrate
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.db import get_db
from blood.supervision import periods
from blood.supervision.service.compute import compute_indicators
from blood.supervision.service.dashboard import jurisdiction_overview, trend
from blood.supervision.service.stock_board import stock_board
from blood.synth.generate import DEFAULT_PASSWORD, generate

SCALE = float(os.environ.get("BLOOD_BENCH_SYNTH_SCALE", "0.05"))
YEARS = float(os.environ.get("BLOOD_BENCH_SYNTH_YEARS", "2"))
SHORT_DAYS = int(os.environ.get("BLOOD_BENCH_SHORT_DAYS", "120"))
END = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)  # a Monday, noon in Zhejiang
SEED = "bench"
CONFIG = {"ENV": "testing"}


def _timed(label: str, fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    print(f"  {label:<58} median {median * 1000:9.1f} ms  (best {min(runs) * 1000:.1f})")
    return median


class Province:
    """A throwaway database holding one synthetic province."""

    def __init__(self, base: str, *, years: float, label: str):
        self.admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        self.name = f"blood_bench_synth_{label}_{os.getpid()}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(base).set(database=self.name).render_as_string(hide_password=False)
        migrate.upgrade(self.url)
        self.app = create_app({**CONFIG, "DATABASE_URL": self.url})
        started = time.perf_counter()
        with self.app.app_context(), self.session() as session:
            self.result = generate(session, years=years, seed=SEED, scale=SCALE, end=END)
            session.commit()
        with get_db(self.app).engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        rows = sum(self.result.rows.values())
        print(
            f"  {label}: {self.result.first} – {self.result.last}, {rows:,} rows "
            f"(plasma donations {self.result.rows.get('plasma_collection', 0):,}, whole-blood "
            f"and platelet donations {self.result.rows.get('blood_donation', 0):,}, "
            f"transfusions {self.result.rows.get('clinical_transfusion', 0):,}) "
            f"in {time.perf_counter() - started:.0f} s"
        )

    def session(self):
        return get_db(self.app).new_session(bind=get_db(self.app).engine)

    def compute_run(self):
        """One day for every organisation, rolled back (a re-run replaces the day's rows:
        each run does the same work)."""
        day = self.result.last - timedelta(days=1)

        def run() -> float:
            with self.app.app_context(), self.session() as session:
                start = time.perf_counter()
                compute_indicators(session=session, actor=Actor.system(), day=day, now=END)
                elapsed = time.perf_counter() - start
                session.rollback()
            return elapsed

        return day, run

    def label_of(self) -> str:
        days = (self.result.last - self.result.first).days + 1
        return f"{days} days of history"

    def drop(self) -> None:
        get_db(self.app).engine.dispose()
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


def dashboard(province: Province) -> dict[str, float]:
    """The month's facts computed once, then the dashboard's services and page."""
    app, last = province.app, province.result.last
    month = periods.month(last)
    started = time.perf_counter()
    with app.app_context(), province.session() as session:
        compute_indicators(session=session, actor=Actor.system(), day=last, days=last.day, now=END)
        session.commit()
    print(f"  facts of {month.label} computed in {time.perf_counter() - started:.1f} s")
    figures: dict[str, float] = {}
    with app.app_context(), province.session() as session:
        org = session.scalar(sa.select(Organisation).where(Organisation.code == "ZJ-HC"))
        inspector = Actor.for_organisation("user", None, "bench", org, [Role.INSPECTOR])
        common = {"session": session, "actor": inspector}
        figures["overview"] = _timed(
            f"jurisdiction_overview: province, {month.label}",
            lambda: jurisdiction_overview(**common, period=month.label),
        )
        figures["stock_board"] = _timed(
            "stock_board: province (every centre and hospital)",
            lambda: stock_board(**common),
        )
        for indicator in ("plasma_donations", "transfusions"):
            figures[f"trend:{indicator}"] = _timed(
                f"trend {indicator}: province, {month.label} by day",
                lambda i=indicator: trend(**common, indicator=i, period=month.label),
            )
    if "supervision.dashboard" in app.view_functions:
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        answer = client.post(
            "/login",
            data={
                "username": "zj.inspector",
                "password": DEFAULT_PASSWORD,
                "csrf_token": token.group(1) if token else "",
            },
        )
        if answer.status_code in (200, 302):
            url = f"/supervision/?period={month.label}"

            def page() -> None:
                response = client.get(url, headers={"Accept-Language": "zh-CN"})
                assert response.status_code == 200, response.status_code

            try:
                figures["page"] = _timed(f"GET {url} (dashboard page, zh_CN)", page)
            except AssertionError as error:
                print(f"  dashboard page not timed: answered {error}")
        else:
            print(f"  dashboard page not timed: log-in answered {answer.status_code}")
    else:
        print("  dashboard page not timed: blood/supervision/views has no dashboard yet")
    return figures


def compare(short: Province, long: Province, repeat: int = 7) -> float:
    """The day's computation in each province, alternately (the machine is shared: both
    see the same load), after one warm-up run each."""
    day, run_short = short.compute_run()
    _day, run_long = long.compute_run()
    run_short(), run_long()
    runs: dict[str, list[float]] = {"short": [], "long": []}
    for _ in range(repeat):
        runs["short"].append(run_short())
        runs["long"].append(run_long())
    medians = {}
    for name, province in (("short", short), ("long", long)):
        medians[name] = statistics.median(runs[name])
        print(
            f"  {f'compute one day ({day}), {province.label_of()}':<58} "
            f"median {medians[name] * 1000:9.1f} ms  (best {min(runs[name]) * 1000:.1f})"
        )
    ratio = medians["long"] / medians["short"]
    print(
        f"  → ratio with {YEARS:g} years of history / {SHORT_DAYS} days: {ratio:.2f} (target ≤ 1.3)"
    )
    return ratio


def main() -> None:
    base = os.environ.get("BLOOD_BENCH_DATABASE_URL")
    if not base or make_url(base).get_backend_name() != "postgresql":
        print("supervision benchmarks: skipped (set BLOOD_BENCH_DATABASE_URL to PostgreSQL)")
        return
    print(f"supervision benchmarks on a synthetic province, scale {SCALE:g}, seed {SEED!r}")
    short = long = None
    try:
        short = Province(base, years=SHORT_DAYS / 365.25, label="short")
        long = Province(base, years=YEARS, label="long")
        compare(short, long)
        short.drop()
        short = None
        dashboard(long)
    finally:
        for province in (short, long):
            if province is not None:
                province.drop()


if __name__ == "__main__":
    main()
