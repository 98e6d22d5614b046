"""HTTP benchmark: gunicorn on PostgreSQL, driven by wrk from a separate process.

    BLOOD_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make bench

Every figure is a ratio to ``GET /healthz`` measured in the same run, with the same gunicorn
settings (2 sync workers) and the same wrk settings (2 threads, 8 connections): absolute
requests per second depend on the machine and whatever else runs on it; the ratio says how much
work an endpoint adds to the cheapest possible request. wrk, gunicorn and PostgreSQL share the
machine's cores, so compare ratios within one run, never figures across machines.

Sections:
1. throughput and latency of each endpoint at full load (rounds of ROUND_SECONDS);
2. p50/p99 of the single writes at about half their maximum rate (wrk's ``delay()`` spaces
   each connection's requests);
3. isolation: the p99 of one hospital's orders while another organisation receives dispatches
   of 200 units, against its p99 without that;
4. batch ingestion: 1,000 transfusions in one request, against plain psycopg writes of the
   very rows it wrote (``_batch_ingestion``);
5. statements per request and a profile of the slowest write, in process.

``BLOOD_BENCH_HTTP_ONLY=batch`` runs section 4 alone, BATCH_RUNS times.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg.types.json
import sqlalchemy as sa

from blood import create_app, migrate
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.accounts.service import create_token
from blood.db import get_db

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BLOOD_BENCH_HTTP_ROUNDS", "3"))
ROUND_SECONDS = int(os.environ.get("BLOOD_BENCH_HTTP_SECONDS", "15"))
CONNECTIONS, THREADS, WORKERS = 8, 2, 2
EXTRA_ORDERS = int(os.environ.get("BLOOD_BENCH_HTTP_ORDERS", "5000"))
RECEIVED_UNITS = 40_000  # units waiting at the hospital to be transfused by the benchmark
BULK_DISPATCHES, BULK_SIZE = 60, 200
PROFILED, MAX_PROFILE_LINES = 300, 25
# Extra gunicorn options for the main sections, e.g. "--worker-class gthread --threads 4".
# The floor's scratch table (bench/floor.py writes one row a request into it).
CREATE_FLOOR = (
    "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, organisation_id int)"
)
# BLOOD_BENCH_HTTP_ONLY=batch: only the batch ingestion, BATCH_RUNS times (while working on it).
ONLY = os.environ.get("BLOOD_BENCH_HTTP_ONLY", "")
BATCH_RUNS = 3
GUNICORN_ARGS = tuple(os.environ.get("BLOOD_BENCH_GUNICORN_ARGS", "").split())

ORDER = {
    "centre": "ZJ-BC",
    "urgency": "routine",
    "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 2}],
}


def transfusion(din: str, patient: str) -> dict:
    """A transfusion as a hospital's HIS sends it (docs/hospital-api.md)."""
    now = datetime.now(UTC)
    return {
        "din": din,
        "product_code": "E0001",
        "division": "00",
        "patient_record_number": patient,
        "patient_sex": "F",
        "patient_birth_year": 1961,
        "patient_abo": "O",
        "patient_rhd": "+",
        "department": "普外科",
        "ward": "5B",
        "indication": "D62",
        "surgical": True,
        "pre_hb_g_l": 68,
        "started_at": (now - timedelta(hours=2)).isoformat(),
        "ended_at": (now - timedelta(minutes=30)).isoformat(),
        "volume_given_ml": 280,
        "ordering_doctor": "D0312",
        "approvals": [{"tier": "senior_doctor", "staff_id": "D0107"}],
    }


ELIGIBILITY = {
    "donor": "PS-CHUNAN-000002",
    "weight_kg": 62,
    "systolic": 118,
    "diastolic": 76,
    "pulse": 72,
}


@dataclass
class Result:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    refused: str = ""
    requests: int = 0

    def line(self, baseline: float) -> str:
        ratio = self.rps / baseline if baseline else 0
        return (
            f"  {self.label:<44} {self.rps:8.0f} req/s  p50 {self.p50_ms:6.1f} ms  "
            f"p99 {self.p99_ms:6.1f} ms  ratio {ratio:5.3f}"
            + (f"  ({self.errors} non-2xx: {self.refused})" if self.errors else "")
        )


# --- the dataset -----------------------------------------------------------------------------


def _database(base: str) -> tuple[str, callable]:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"blood_bench_http_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return sa.engine.make_url(base).set(database=name).render_as_string(False), drop


def build(app) -> dict:
    """The demo province, plus a hospital with thousands of orders, tens of thousands of units
    waiting to be transfused, and dispatches of 200 units in transit to another hospital."""
    from blood.demo import load_demo
    from blood.stock.models import Dispatch, DispatchItem, Order, OrderLine, Unit

    engine = get_db(app).engine
    with app.app_context(), get_db(app).new_session(bind=engine) as session:
        load_demo(session)
        session.commit()
        orgs = {o.code: o for o in session.exec(sa.select(Organisation)).scalars()}
        tokens = {}
        for code in ("H-ZJU1", "H-ZJPPH", "PS-CHUNAN"):
            _row, tokens[code] = create_token(
                session=session, actor=Actor.system("bench"), organisation=orgs[code], name="bench"
            )
        session.commit()
    hospital, other, centre = orgs["H-ZJU1"], orgs["H-ZJPPH"], orgs["ZJ-BC"]
    now = datetime.now(UTC)
    with engine.begin() as connection:
        first = connection.execute(sa.select(sa.func.coalesce(sa.func.max(Order.id), 0))).scalar()
        orders = [
            {
                "id": first + n + 1,
                "number": f"H-ZJU1-B{n:06d}",
                "hospital_id": hospital.id,
                "centre_id": centre.id,
                "urgency": "routine",
                "status": "fulfilled",
                "created_at": now - timedelta(minutes=n),
                "created_by": "bench",
            }
            for n in range(EXTRA_ORDERS)
        ]
        connection.execute(sa.insert(Order), orders)
        connection.execute(
            sa.insert(OrderLine),
            [
                {
                    "order_id": o["id"],
                    "component": "red_cells",
                    "abo": "O",
                    "rhd": "+",
                    "quantity": 2,
                    "fulfilled": 2,
                }
                for o in orders
            ],
        )
        base = connection.execute(sa.select(sa.func.coalesce(sa.func.max(Unit.id), 0))).scalar()
        units, dins = [], []
        for n in range(RECEIVED_UNITS + BULK_DISPATCHES * BULK_SIZE):
            din = f"B3300{now.year % 100:02d}{900000 + n:06d}"
            to_hospital = n < RECEIVED_UNITS
            units.append(
                {
                    "id": base + n + 1,
                    "din": din,
                    "check_character": "0",
                    "product_code": "E0001",
                    "division": "00",
                    "component": "red_cells",
                    "abo": "O",
                    "rhd": "+",
                    "volume_ml": 280,
                    "collected_at": now - timedelta(days=3),
                    "expires_at": now + timedelta(days=30),
                    "state": "received" if to_hospital else "issued",
                    "owner_id": hospital.id if to_hospital else other.id,
                    "centre_id": centre.id,
                    "updated_at": now,
                }
            )
            if to_hospital:
                dins.append(din)
        for start in range(0, len(units), 5000):
            connection.execute(sa.insert(Unit), units[start : start + 5000])
        dispatch_base = connection.execute(
            sa.select(sa.func.coalesce(sa.func.max(Dispatch.id), 0))
        ).scalar()
        dispatches, items = [], []
        for d in range(BULK_DISPATCHES):
            number = f"ZJ-BC-B{d:05d}"
            dispatches.append(
                {
                    "id": dispatch_base + d + 1,
                    "number": number,
                    "kind": "issue",
                    "from_id": centre.id,
                    "to_id": other.id,
                    "status": "in_transit",
                    "dispatched_at": now,
                    "dispatched_by": "bench",
                }
            )
            for k in range(BULK_SIZE):
                unit = units[RECEIVED_UNITS + d * BULK_SIZE + k]
                items.append({"dispatch_id": dispatch_base + d + 1, "unit_id": unit["id"]})
        connection.execute(sa.insert(Dispatch), dispatches)
        connection.execute(sa.insert(DispatchItem), items)
        # Rows were written with their ids: the sequences continue after them.
        for table in ("blood_order", "blood_unit", "blood_dispatch"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    _settle(engine)
    bulk = [
        {
            "dispatch": d["number"],
            "units": [
                {"din": u["din"], "product_code": "E0001", "division": "00", "temperature_ok": True}
                for u in units[
                    RECEIVED_UNITS + i * BULK_SIZE : RECEIVED_UNITS + (i + 1) * BULK_SIZE
                ]
            ],
        }
        for i, d in enumerate(dispatches)
    ]
    return {"tokens": tokens, "dins": dins, "bulk": bulk}


def _settle(engine) -> None:
    """VACUUM ANALYZE after the bulk load: a running database has its statistics and its
    visibility map, and autovacuum would otherwise wake up in the middle of the first rounds
    and compete with them for the same cores."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


# --- gunicorn and wrk ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(url: str, instance: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BLOOD_")},
        "BLOOD_DATABASE_URL": url,
        "BLOOD_ENV": "production",
        "BLOOD_SECRET_KEY": "bench-secret-" + "s" * 32,
        "BLOOD_PII_KEY": "bench-pii-key-" + "p" * 32,
        "BLOOD_INSTANCE_PATH": str(instance),
        # The log-in limiter counts POSTs to /login only; the API is what is measured here.
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            *extra,
            "bench.floor:app",  # the application of app.py, plus the floor's two routes
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


LUA = r"""
local token = "%(token)s"
local method = "%(method)s"
local path = "%(path)s"
local body_template = %(body)s
local dins_file = "%(dins)s"
local delay_ms = %(delay)d
local dins, thread_id, counter = {}, 0, 0
local threads = {}
function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end
function init(args)
  if dins_file ~= "" then
    local n = 0
    for line in io.lines(dins_file) do
      n = n + 1
      if n %% %(threads)d == (id - 1) then table.insert(dins, line) end
    end
  end
end
function request()
  counter = counter + 1
  local headers = {["Authorization"] = "Bearer " .. token}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    local key = string.format("%(run)s-%%d-%%d", id, counter)
    headers["Idempotency-Key"] = key
    body = body_template
    if #dins > 0 then
      body = string.gsub(body, "DIN_HERE", dins[(counter - 1) %% #dins + 1])
    end
    if string.find(body, "PATIENT_HERE", 1, true) then
      body = string.gsub(body, "PATIENT_HERE", string.format("P%%d-%%d", id, counter))
    end
  end
  return wrk.format(method, path, headers, body)
end
function delay()
  return delay_ms
end
function response(status, headers, body)
  if status >= 300 then
    local key = "c" .. status
    _G[key] = (_G[key] or 0) + 1
  end
end
function done(summary, latency, requests)
  local refused = ""
  for code = 300, 599 do
    local n = 0
    for _, thread in ipairs(threads) do n = n + (thread:get("c" .. code) or 0) end
    if n > 0 then refused = refused .. string.format(" %%d:%%d", code, n) end
  end
  io.write(string.format("BENCH %%d %%d %%d %%.3f %%.3f%%s\n", summary.requests,
    summary.errors.status, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, refused))
end
"""


def _wrk(
    base: str,
    label: str,
    *,
    method: str = "GET",
    path: str,
    token: str = "",
    body: dict | None = None,
    dins=None,
    seconds: int = ROUND_SECONDS,
    delay_ms: int = 0,
) -> Result:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        LUA
        % {
            "token": token,
            "method": method,
            "path": path,
            "body": json.dumps(json.dumps(body)) if body is not None else "nil",
            "dins": str(dins() if callable(dins) else (dins or "")),
            "delay": delay_ms,
            "threads": THREADS,
            "run": secrets.token_hex(6),  # Idempotency-Keys never repeat across runs
        }
    )
    completed = subprocess.run(
        [
            "wrk",
            "-t",
            str(THREADS),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "-s",
            str(script),
            base + path,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    script.unlink()
    match = re.search(r"BENCH (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)(.*)", completed.stdout)
    if match is None:
        raise RuntimeError(f"wrk said: {completed.stdout}\n{completed.stderr}")
    requests, errors, micros, p50, p99, refused = match.groups()
    return Result(
        label,
        int(requests) / (int(micros) / 1e6),
        float(p50),
        float(p99),
        int(errors),
        refused.strip(),
        int(requests),
    )


def _half_delay(base: str, full: Result, options: dict) -> tuple[int, float]:
    """The wait (ms) between one connection's requests that brings CONNECTIONS connections
    together to about half of ``full``'s rate, and that rate: the request period minus the
    request's own latency at that lighter load, measured by a short probe first (the latency
    at full load includes queueing and would overshoot the rate)."""
    target = full.rps / 2
    period_ms = CONNECTIONS * 1000 / target
    probe = _wrk(base, "probe", delay_ms=int(period_ms), seconds=3, **options)
    return max(1, int(period_ms - probe.p50_ms)), target


def _best_of(rounds: int, run) -> Result:
    results = [run() for _ in range(rounds)]
    best = max(results, key=lambda r: r.rps)
    best.p50_ms = sorted(r.p50_ms for r in results)[len(results) // 2]
    best.p99_ms = sorted(r.p99_ms for r in results)[len(results) // 2]
    return best


# --- isolation: one organisation's bulk work and another's single writes ----------------------


def _isolation(url, instance, base, data, full: Result, baseline: float, runs: dict) -> None:
    """H-ZJU1's orders at half rate, without and with H-ZJPPH receiving dispatches of 200
    units one after the other. The receipts go to a second gunicorn (same settings, same
    database), so that the orders' workers are never busy with a receipt: what the two share
    is PostgreSQL (its locks) and the machine's cores, which is what the goal is about —
    writers in different organisations do not wait for each other. (Through the same two
    sync workers, a receipt of ~2 s takes one of them, and the orders queue for the other.)"""
    print(
        "\n  isolation: H-ZJU1's orders at half rate while H-ZJPPH receives dispatches of "
        f"{BULK_SIZE} units (through a second gunicorn on the same database):"
    )
    options = runs["POST /api/v1/orders"]
    bulk_server, bulk_base = _serve(url, instance, *GUNICORN_ARGS)
    try:
        delay, _target = _half_delay(base, full, options)
        quiet = _wrk(base, "orders, nothing else running", delay_ms=delay, **options)
        stop = threading.Event()
        received = []

        def receive_in_bulk() -> None:
            token = data["tokens"]["H-ZJPPH"]
            for payload in data["bulk"]:
                if stop.is_set():
                    return
                request = urllib.request.Request(
                    f"{bulk_base}/api/v1/receipts",
                    data=json.dumps(payload).encode(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    method="POST",
                )
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=120) as answer:
                    answer.read()
                received.append(time.perf_counter() - started)

        waits: Counter = Counter()
        sampler = threading.Thread(target=_sample_lock_waits, args=(url, stop, waits))
        bulk = threading.Thread(target=receive_in_bulk)
        bulk.start()
        sampler.start()
        busy = _wrk(base, "orders, while 200-unit receipts run", delay_ms=delay, **options)
        stop.set()
        bulk.join()
        sampler.join()
    finally:
        os.killpg(bulk_server.pid, signal.SIGTERM)
        bulk_server.wait(timeout=30)
    print(quiet.line(baseline))
    print(busy.line(baseline))
    if received:
        print(
            f"    ({len(received)} receipts of {BULK_SIZE} units during the run, "
            f"median {sorted(received)[len(received) // 2] * 1000:.0f} ms each; "
            f"p99 ratio busy/quiet {busy.p99_ms / quiet.p99_ms:.2f})"
        )
    samples = waits.pop("samples", 0)
    print(
        f"    (pg_stat_activity sampled {samples} times meanwhile: a backend waiting on a lock in "
        + (", ".join(f"{n} of them ({kind})" for kind, n in waits.most_common()) or "none")
        + ")"
    )


def _sample_lock_waits(url: str, stop: threading.Event, waits: Counter) -> None:
    """Every 20 ms, whether some backend waits on a lock, and on which kind (advisory: an
    audit chain; transactionid, tuple: a row another transaction holds)."""
    import psycopg

    dsn = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        while not stop.is_set():
            kinds = {
                row[0]
                for row in connection.execute(
                    "SELECT wait_event FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            }
            waits["samples"] += 1
            for kind in kinds:
                waits[kind] += 1
            time.sleep(0.02)


# --- batch ingestion --------------------------------------------------------------------------


# The tables a batch of transfusions writes its rows into, children after their parents (the
# units are updated, not inserted; the daily usage is a handful of upserted rows, left out).
FLOOR_ROUNDS = 5
BATCH_TABLES = (
    "clinical_transfusion",
    "clinical_transfusion_approval",
    "clinical_transfusion_flag",
    "blood_unit_movement",
    "audit_log",
)


def _batch_ingestion(url: str, base: str, token: str, unused) -> None:
    """A nightly batch of 1,000 transfusions through the API, against two floors measured in
    the same run with plain psycopg ``executemany``: the issue's, the same records into the
    same table; and every row the batch wrote, into every table it wrote them to (the records,
    their approvals and flags, the units' movements, the audit rows, and the units' new
    state) — what any implementation keeping the stock's movements and the audit trail must
    write, with no Python of its own."""
    dsn = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as connection:
        before = {
            table: connection.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            for table in BATCH_TABLES
        }
    payload = [transfusion(next(unused), f"batch-{n % 300}") for n in range(1000)]
    request = urllib.request.Request(
        f"{base}/api/v1/transfusions/batch",
        data=json.dumps({"items": payload}).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"batch-{secrets.token_hex(6)}",
        },
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as answer:
        result = json.loads(answer.read())
    api_seconds = time.perf_counter() - started
    recorded = sum(1 for item in result["results"] if item["status"] == 201)
    with psycopg.connect(dsn) as connection:
        written = {}
        for table in BATCH_TABLES:
            cursor = connection.execute(
                f"SELECT * FROM {table} WHERE id > %s ORDER BY id", (before[table],)
            )
            written[table] = ([c.name for c in cursor.description], cursor.fetchall())
        unit_ids = [
            row[0]
            for row in connection.execute(
                "SELECT unit_id FROM clinical_transfusion WHERE id > %s",
                (before["clinical_transfusion"],),
            ).fetchall()
        ]
        # Best of FLOOR_ROUNDS: a thousand rows take a tenth of a second, and one busy moment
        # of the machine would halve a single measurement.
        one_table = min(
            _reinsert(connection, written, ("clinical_transfusion",), unit_ids=None)
            for _ in range(FLOOR_ROUNDS)
        )
        every_table = min(
            _reinsert(connection, written, BATCH_TABLES, unit_ids=unit_ids)
            for _ in range(FLOOR_ROUNDS)
        )
        copied = min(
            _reinsert(connection, written, BATCH_TABLES, unit_ids=unit_ids, copy=True)
            for _ in range(FLOOR_ROUNDS)
        )
    api_rate = recorded / api_seconds
    one_rate, every_rate = recorded / one_table, recorded / every_table
    copy_rate = recorded / copied
    counts = ", ".join(f"{t} {len(written[t][1])}" for t in BATCH_TABLES)
    print("\n  batch ingestion (1,000 transfusions in one POST …/batch):")
    print(f"    through the API: {recorded} recorded in {api_seconds:.2f} s = {api_rate:,.0f}/s")
    print(f"    psycopg executemany of the same records into their table: {one_rate:,.0f}/s")
    print(f"      ratio {api_rate / one_rate:.3f}")
    print(f"    rows the batch wrote: {counts}; and {len(unit_ids)} units updated")
    print(
        f"    psycopg executemany of every one of those rows, and the units' UPDATE: "
        f"{every_rate:,.0f}/s (a floor for any implementation)"
    )
    floors = every_rate / one_rate
    print(f"      ratio {api_rate / every_rate:.3f}; the floors' own ratio {floors:.3f}")
    print(
        f"    COPY of every one of those rows, and the units' UPDATE in one statement: "
        f"{copy_rate:,.0f}/s; its own ratio to the first floor {copy_rate / one_rate:.3f}"
    )


def _reinsert(connection, written: dict, tables, *, unit_ids, copy: bool = False) -> float:
    """Delete every row the batch wrote, and write the very same rows of ``tables`` again
    with ``executemany`` (and, given ``unit_ids``, the units' move back to ``transfused``):
    the seconds the writes and their commit took."""
    for table in reversed(BATCH_TABLES):
        ids = [row[0] for row in written[table][1]]
        connection.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", (ids,))
    if unit_ids is not None:
        connection.execute(
            "UPDATE blood_unit SET state = 'received' WHERE id = ANY(%s)", (unit_ids,)
        )
    connection.commit()
    started = time.perf_counter()
    if copy:
        with connection.cursor() as cursor:
            for table in tables:
                columns, rows = written[table]
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
                    for row in rows:
                        out.write_row(
                            [
                                psycopg.types.json.Jsonb(v) if isinstance(v, dict | list) else v
                                for v in row
                            ]
                        )
            cursor.execute(
                "UPDATE blood_unit SET state = 'transfused', updated_at = now() WHERE id = ANY(%s)",
                (unit_ids,),
            )
        connection.commit()
        return time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in tables:
            columns, rows = written[table]
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                [
                    tuple(
                        psycopg.types.json.Jsonb(v) if isinstance(v, dict | list) else v
                        for v in row
                    )
                    for row in rows
                ],
            )
        if unit_ids is not None:
            cursor.executemany(
                "UPDATE blood_unit SET state = 'transfused', updated_at = now() WHERE id = %s",
                [(unit_id,) for unit_id in unit_ids],
            )
    connection.commit()
    return time.perf_counter() - started


# --- slow clients: why the proxy must buffer ---------------------------------------------------


def _slow_clients(url: str, instance: Path, token: str) -> None:
    """Two clients that send half a request and wait (a phone on a bad network, or an
    attack): a sync worker is stuck with each until its timeout; a threaded one is not."""
    print("\n  two slow clients holding half-sent requests, GET /api/v1/me meanwhile:")
    for label, extra in (
        ("sync workers (2)", ()),
        ("gthread workers (2 × 4 threads)", ("--worker-class", "gthread", "--threads", "4")),
    ):
        server, base = _serve(url, instance, *extra)
        port = int(base.rsplit(":", 1)[1])
        stuck = []
        try:
            for _ in range(WORKERS):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n")  # never finished
                stuck.append(sock)
            time.sleep(0.5)
            result = _wrk(base, label, path="/api/v1/me", token=token, seconds=5)
            print(f"    {label:<40} {result.rps:8.0f} req/s  p99 {result.p99_ms:7.1f} ms")
        finally:
            for sock in stuck:
                sock.close()
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


# --- in-process: statements and profile --------------------------------------------------------


def _in_process(url: str, tokens: dict, dins: list[str]) -> None:
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "PII_KEY": "bench-pii-key-" + "p" * 32,
            "SECRET_KEY": "x" * 40,
            "API_TOKEN_CACHE_SECONDS": 30,
        }
    )
    client = app.test_client()
    engine = get_db(app).engine
    statements: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    headers = {"Authorization": f"Bearer {tokens['H-ZJU1']}"}
    writes = {
        "POST /api/v1/orders": lambda n: client.post(
            "/api/v1/orders", json=ORDER, headers={**headers, "Idempotency-Key": f"p-o-{n}"}
        ),
        "POST /api/v1/transfusions": lambda n: client.post(
            "/api/v1/transfusions",
            json=transfusion(dins[-(n + 1)], f"profile-{n}"),
            headers={**headers, "Idempotency-Key": f"p-t-{n}"},
        ),
    }
    station = {"Authorization": f"Bearer {tokens['PS-CHUNAN']}"}
    other = {"Authorization": f"Bearer {tokens['H-ZJPPH']}"}
    requests = {
        "GET /api/v1/me": lambda n: client.get("/api/v1/me", headers=headers),
        "GET /api/v1/stock (hospital)": lambda n: client.get("/api/v1/stock", headers=other),
        "GET /api/v1/orders (page 1)": lambda n: client.get("/api/v1/orders", headers=headers),
        "POST /api/v1/eligibility": lambda n: client.post(
            "/api/v1/eligibility",
            json=ELIGIBILITY,
            headers={**station, "Idempotency-Key": f"p-e-{n}"},
        ),
        **writes,
    }
    print("\n  statements per request (in process, after a warm-up request; COMMIT not counted):")
    for label, send in requests.items():
        send(10_000)
        statements.clear()
        response = send(10_001)
        kinds = {k: statements.count(k) for k in dict.fromkeys(statements)}
        status = response.status_code
        print(f"    {label:<44} {len(statements):3d} statements {kinds}  (HTTP {status})")
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(PROFILED):
        writes["POST /api/v1/transfusions"](1_000 + n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = {
        (Path(filename), function): cumulative
        for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in (
            stats.stats.items()
        )
    }
    total = sum(t for (f, fn), t in entries.items() if f.name == "app.py" and fn == "wsgi_app")
    print(
        f"\n  where a transfusion's time goes (cProfile, {PROFILED} requests in process, "
        f"{1000 * total / PROFILED:.1f} ms each under the profiler):"
    )
    # The project's own functions, by cumulative time (a function's share includes what it
    # calls, so shares overlap: read them as a call tree, not as a sum).
    ours = sorted(
        (
            (t, f"{f.relative_to(ROOT)}:{fn}")
            for (f, fn), t in entries.items()
            if f.is_relative_to(ROOT / "blood") and t >= 0.03 * total
        ),
        reverse=True,
    )
    for seconds, name in ours[:MAX_PROFILE_LINES]:
        print(f"    {100 * seconds / total:5.1f} %  {name}")
    waiting = sum(
        stats.stats[key][2]  # own time: sending the statement, waiting for its answer
        for key in stats.stats
        if "psycopg" in key[0] and key[2] in {"wait", "_send_query_prepared", "_exec_command"}
    )
    print(f"    {100 * waiting / total:5.1f} %  in psycopg sending statements and waiting for them")
    engine.dispose()


# --- the benchmark ---------------------------------------------------------------------------


def main() -> int:
    base_url = os.environ.get("BLOOD_BENCH_DATABASE_URL", "")
    if not base_url.startswith("postgresql") or shutil.which("wrk") is None:
        print("\nHTTP benchmark skipped: it needs BLOOD_BENCH_DATABASE_URL (PostgreSQL) and wrk.")
        return 0
    url, drop = _database(base_url)
    instance = Path(tempfile.mkdtemp(prefix="blood-bench-http-"))
    server = None
    try:
        migrate.upgrade(url)
        with sa.create_engine(url).begin() as connection:
            connection.exec_driver_sql(CREATE_FLOOR)
        app = create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": url,
                "PII_KEY": "bench-pii-key-" + "p" * 32,
                "SECRET_KEY": "x" * 40,
            }
        )
        started = time.perf_counter()
        data = build(app)
        get_db(app).engine.dispose()
        workers = f"{WORKERS} workers {' '.join(GUNICORN_ARGS) or '(sync)'}"
        print(
            f"\nHTTP benchmark: gunicorn ({workers}) on PostgreSQL, wrk "
            f"({THREADS} threads, {CONNECTIONS} connections), best of {ROUNDS} rounds of "
            f"{ROUND_SECONDS} s; data built in {time.perf_counter() - started:.0f} s"
        )
        unused = iter(data["dins"][: RECEIVED_UNITS // 2])

        def fresh_dins() -> Path:
            """Each transfusion run gets units nobody transfused yet."""
            path = instance / f"dins-{secrets.token_hex(4)}.txt"
            path.write_text("\n".join(next(unused) for _ in range(3000)))
            return path

        server, base = _serve(url, instance, *GUNICORN_ARGS)
        hospital, station = data["tokens"]["H-ZJU1"], data["tokens"]["PS-CHUNAN"]
        if ONLY == "batch":
            for _ in range(BATCH_RUNS):
                _batch_ingestion(url, base, hospital, unused)
            return 0
        runs = [
            ("GET /healthz", dict(path="/healthz")),
            ("GET /api/v1/me", dict(path="/api/v1/me", token=hospital)),
            # A hospital of ordinary size (the benchmark's transfusion hospital holds 40,000).
            (
                "GET /api/v1/stock (hospital)",
                dict(path="/api/v1/stock", token=data["tokens"]["H-ZJPPH"]),
            ),
            (
                f"GET /api/v1/orders ({EXTRA_ORDERS:,} orders, page 1)",
                dict(path="/api/v1/orders", token=hospital),
            ),
            # The floor: the same hooks, token and commit, and no work (bench/floor.py).
            ("GET floor (auth + SELECT 1)", dict(path="/api/v1/bench-floor", token=hospital)),
            (
                "POST floor (auth + idempotency + 1 INSERT)",
                dict(method="POST", path="/api/v1/bench-floor", token=hospital, body={}),
            ),
            (
                "POST /api/v1/eligibility",
                dict(method="POST", path="/api/v1/eligibility", token=station, body=ELIGIBILITY),
            ),
            (
                "POST /api/v1/orders",
                dict(method="POST", path="/api/v1/orders", token=hospital, body=ORDER),
            ),
            (
                "POST /api/v1/transfusions",
                dict(
                    method="POST",
                    path="/api/v1/transfusions",
                    token=hospital,
                    body=transfusion("DIN_HERE", "PATIENT_HERE"),
                    dins=fresh_dins,
                ),
            ),
        ]
        results = {}
        for label, options in runs:
            results[label] = _best_of(ROUNDS, lambda o=options, lb=label: _wrk(base, lb, **o))
        baseline = results["GET /healthz"].rps
        print("\n  full load:")
        for result in results.values():
            print(result.line(baseline))

        print("\n  single writes at about half their maximum rate:")
        half = {}
        for label in ("POST /api/v1/orders", "POST /api/v1/transfusions"):
            options = dict(runs)[label]
            delay, target = _half_delay(base, results[label], options)
            half[label] = _wrk(base, f"{label} @ ~{target:.0f}/s", delay_ms=delay, **options)
            print(half[label].line(baseline))

        _isolation(url, instance, base, data, results["POST /api/v1/orders"], baseline, dict(runs))
        _batch_ingestion(url, base, hospital, unused)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server = None
        _slow_clients(url, instance, hospital)
        _in_process(url, data["tokens"], data["dins"])
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
        drop()
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
