"""``POST /api/v1/supervision/inbound``: where a lower-level instance of this system pushes
its summaries (an upper-level instance's federation endpoint).

It authenticates by the request's signature, not by a bearer token: ``X-Blood-Sender``
names an inbound source of this instance (``flask --app app blood inbound-source add``),
``X-Blood-Signature`` must be the HMAC-SHA256 of ``<X-Blood-Timestamp>.<body>`` with that
source's secret, and the timestamp within five minutes; anything else answers 401 in the
one error shape. The same ``Idempotency-Key`` again answers 200 with the first result and
adds nothing. See docs/supervision.md.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db, idempotency
from blood.supervision.service import inbound

PATH = "/supervision/inbound"

blp = Blueprint(
    "supervision_inbound_api",
    __name__,
    description="Federation: signed summaries pushed by lower-level instances",
)
# Signed, not token-authenticated: the app's CSRF/token check and the generic
# Idempotency-Key handling leave this path to its own verification and deduplication.
idempotency.SIGNED_PATHS.add("/api/v1" + PATH)

RESULT_EXAMPLE = {
    "status": "accepted",
    "id": 12,
    "idempotency_key": "0b1f3d0e-7c1a-4c55-9d0b-3f4c2a9e8b71",
    "kind": "daily",
    "period": "2026-12-03",
    "received_at": "2026-12-04T06:00:02.120000+00:00",
}


@blp.route(PATH)
class Inbound(MethodView):
    @blp.doc(
        security=[],
        parameters=[
            {
                "in": "header",
                "name": "X-Blood-Sender",
                "required": True,
                "schema": {"type": "string"},
            },
            {
                "in": "header",
                "name": "X-Blood-Timestamp",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
            },
            {
                "in": "header",
                "name": "X-Blood-Signature",
                "required": True,
                "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
            },
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": True,
                "schema": {"type": "string", "maxLength": 80},
            },
        ],
        requestBody={
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "A summary document (docs/summary.schema.json), or a test "
                        'document ({"test": true, ...}) that is verified and not kept',
                    }
                }
            },
        },
        responses={
            "201": {
                "description": "Accepted: the figures joined the roll-up",
                "content": {"application/json": {"example": RESULT_EXAMPLE}},
            },
            "200": {"description": "Already received (the first result), or a test verified"},
            "401": {"description": "Unknown sender, bad signature or stale timestamp"},
            "422": {"description": "Not a summary document"},
        },
    )
    def post(self):
        """Receive one signed summary from a lower-level instance"""
        received = inbound.receive(
            session=db.session(), headers=request.headers, body=request.get_data(cache=True)
        )
        headers = {"Idempotency-Replayed": "true"} if received.replayed else {}
        return received.body, received.status, headers
