"""The floor of the HTTP benchmark: the cheapest authenticated read and write this stack
serves, measured beside the real endpoints in the same run.

gunicorn serves ``bench.floor:app`` in the benchmark: the very application of ``app.py``
(the same configuration, request hooks, token cache, idempotency and commit), plus two routes
that do no work of their own — a read of ``SELECT 1`` and a write of one row into a scratch
table (``bench_floor``, made by the benchmark in its own database). They show how close to
``/healthz`` any endpoint of this application can come at all: a real write does its rules
and a dozen statements on top of what the floor write does. Never served in production.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import app
from blood import db
from blood.accounts.auth import require_actor

FLOOR = sa.table("bench_floor", sa.column("organisation_id"))


@app.get("/api/v1/bench-floor")
def floor_read():
    require_actor()
    db.session().execute(sa.text("SELECT 1"))
    return {"ok": True}


@app.post("/api/v1/bench-floor")
def floor_write():
    actor = require_actor()
    db.session().execute(sa.insert(FLOOR).values(organisation_id=actor.organisation_id))
    return {"ok": True}, 201
