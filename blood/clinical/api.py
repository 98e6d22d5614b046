"""The hospital usage API: transfusions (one, or a batch), their outcome, adverse reactions,
returns and discards, and the reads a hospital reconciles its sending against (cursor over
the server's record time), and its stock unit by unit.

Handlers parse, call one service function and dump with the output schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.clinical import schemas
from blood.clinical import service as clinical
from blood.clinical.examples import (
    MOVEMENT_EXAMPLE,
    OUT_UNIT,
    PAGE_EXAMPLE,
    REACTION_EXAMPLE,
    REACTION_OUT_EXAMPLE,
    TRANSFUSION_EXAMPLE,
    TRANSFUSION_OUT_EXAMPLE,
)
from blood.errors import DomainError, ValidationFailed, error_body
from blood.pagination import DEFAULT_PAGE_SIZE, api_items, api_request
from blood.web import flatten_errors

blp = Blueprint(
    "clinical_api",
    __name__,
    description="Clinical use at hospitals: transfusions, outcomes, adverse reactions, returns "
    "and discards, and the reads for nightly reconciliation",
)
SECURITY = [{"bearerAuth": []}]
ERRORS = "All errors share one shape (`error` is the stable code, `facts` the figures)."


@blp.before_request
def _authenticate():
    require_actor()


def _error(error: DomainError) -> dict[str, Any]:
    """A refused item of a batch, in the API's one error shape."""
    fields = getattr(error, "fields", None)
    body = error_body(error.status, error.code, error.message, fields and {"json": fields})
    facts = {
        k: v for k, v in error.facts.items() if v is None or isinstance(v, str | int | float | bool)
    }
    if facts:
        body["facts"] = facts
    return body


def _load_item(
    schema: schemas.TransfusionIn, raw: dict
) -> clinical.TransfusionInput | ValidationFailed:
    try:
        return clinical.TransfusionInput.of(schema.load(raw))
    except ma.ValidationError as error:
        return ValidationFailed(flatten_errors(error.messages))


@blp.route("/transfusions")
class Transfusions(MethodView):
    @blp.arguments(schemas.TransfusionIn, example=TRANSFUSION_EXAMPLE)
    @blp.response(201, schemas.TransfusionOut, example=TRANSFUSION_OUT_EXAMPLE)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Record one unit given to one patient: the one way a unit becomes transfused.

        The unit must be in your hospital's stock (received, not expired, not used; another
        hospital's unit is 404). Refused (nothing written): ABO-incompatible red cells or
        plasma (`abo_incompatible`), RhD-positive red cells for an RhD-negative patient
        without the emergency flag and its reason (`rhd_incompatible`), a patient of unknown
        ABO group given other than group O red cells or AB plasma
        (`group_unknown_not_universal`), and the unit's state (`unit_already_transfused`,
        `unit_not_received`, `unit_on_hold`, `unit_expired`, `unit_not_in_stock`). Everything
        else is recorded; `flags` say what the transfusion committee should look at (missing
        approval for the patient's 24-hour volume, pre-transfusion values outside the
        indications, an emergency …)."""
        return clinical.record_transfusion_detail(
            session=db.session(), actor=require_actor(), data=clinical.TransfusionInput.of(data)
        )

    @blp.arguments(schemas.ListQuery, location="query")
    @blp.response(200, schemas.TransfusionPageOut, example=PAGE_EXAMPLE)
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Your transfusions in the order the server recorded them (an authority: its
        jurisdiction's; `hospital=CODE` for one), from `since`, after `cursor`, `limit` at
        a time (≤ 500): keep `next_cursor` and send it next time to read only what is new."""
        return clinical.list_transfusions(session=db.session(), actor=require_actor(), **query)


@blp.route("/transfusions/batch")
class TransfusionBatch(MethodView):
    @blp.arguments(
        schemas.TransfusionBatchIn,
        example={"items": [TRANSFUSION_EXAMPLE, {**TRANSFUSION_EXAMPLE, "din": "B330026000124"}]},
    )
    @blp.response(
        200,
        schemas.BatchOut,
        example={
            "recorded": 1,
            "refused": 1,
            "results": [
                {"index": 0, "status": 201, "transfusion": TRANSFUSION_OUT_EXAMPLE, "error": None},
                {
                    "index": 1,
                    "status": 404,
                    "transfusion": None,
                    "error": {
                        "code": 404,
                        "status": "Not Found",
                        "error": "not_found",
                        "message": "Not found.",
                        "request_id": "5f0c…",
                    },
                },
            ],
        },
    )
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Up to 1,000 transfusions at once, each as `POST /transfusions` takes it. Each
        item stands or falls alone: the answer lists every item by its `index`, with the
        record made (`status` 201) or its error in the API's one error shape. Send an
        `Idempotency-Key`: a retried batch replays this answer instead of recording twice."""
        return _batch(data["items"])


def _batch(raw_items: list[dict]) -> dict[str, Any]:
    schema = schemas.TransfusionIn()  # one for all items: a schema's set-up is not free
    results = clinical.record_batch(
        session=db.session(),
        actor=require_actor(),
        items=[_load_item(schema, raw) for raw in raw_items],
    )
    rows = [
        {"index": r.index, "status": 201, "transfusion": r.detail, "error": None}
        if r.detail
        else {
            "index": r.index,
            "status": r.error.status,
            "transfusion": None,
            "error": _error(r.error),
        }
        for r in results
    ]
    recorded = sum(1 for r in results if r.detail)
    return {"recorded": recorded, "refused": len(rows) - recorded, "results": rows}


@blp.route("/transfusions/search")
class PatientSearch(MethodView):
    @blp.arguments(schemas.PatientSearchIn, example={"patient_record_number": "ZY20260451"})
    @blp.response(200, schemas.TransfusionPageOut, example=PAGE_EXAMPLE)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Your patient's transfusions, found by sending the record number again (in the
        body, never in a URL: it would reach access logs). The number is hashed with your
        hospital's own key: no other organisation can find the patient (an authority is
        refused, `patient_lookup_own_hospital`)."""
        return clinical.patient_history(session=db.session(), actor=require_actor(), **data)


@blp.route("/transfusions/<int:transfusion_id>")
class TransfusionById(MethodView):
    @blp.response(200, schemas.TransfusionOut, example=TRANSFUSION_OUT_EXAMPLE)
    @blp.doc(security=SECURITY)
    def get(self, transfusion_id):
        """One transfusion, with its flags, outcomes and reactions (another hospital's: 404)."""
        return clinical.get_transfusion(
            session=db.session(), actor=require_actor(), transfusion_id=transfusion_id
        )


@blp.route("/transfusions/<int:transfusion_id>/outcome")
class Outcome(MethodView):
    @blp.arguments(
        schemas.OutcomeIn,
        example={"measured_at": "2026-11-22T18:00:00+08:00", "hb_g_l": 79},
    )
    @blp.response(
        201,
        schemas.OutcomeOut,
        example={
            "id": 97,
            "transfusion": 451,
            "measured_at": "2026-11-22T10:00:00+00:00",
            "hb_g_l": 79.0,
            "units": 2.0,
            "increment": 5.5,
            "cci": None,
            "ineffective": False,
            "basis": None,
            "note": "",
            "recorded_at": "2026-11-22T10:05:12+00:00",
        },
    )
    @blp.doc(security=SECURITY)
    def post(self, data, transfusion_id):
        """The effect of a transfusion (输血后疗效评价): the value that judges its component
        (red cells `hb_g_l`, platelets `platelets_e9_l` with `body_surface_area_m2` for the
        corrected count increment, plasma `inr`/`pt_ratio`/`aptt_ratio`, cryoprecipitate
        `fibrinogen_g_l`), measured after the end and within 24 hours. It judges every
        transfusion of that component the patient received from this one's start until the
        measurement: the rise is per unit over all of them. An ineffective transfusion is
        flagged for the committee."""
        return clinical.record_outcome(
            session=db.session(),
            actor=require_actor(),
            transfusion_id=transfusion_id,
            data=clinical.OutcomeInput(**data),
        )


@blp.route("/adverse-reactions")
class Reactions(MethodView):
    @blp.arguments(schemas.ReactionIn, example=REACTION_EXAMPLE)
    @blp.response(201, schemas.ReactionOut, example=REACTION_OUT_EXAMPLE)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Report an adverse reaction, linked to one or more of your transfusions of one
        patient (by id, or by the units given). An onset outside the category's usual
        window is accepted with a `warning`; severity 3–4 and transfusion-transmitted
        infections are `alert_required`: the supervising authority is alerted at once."""
        data["units"] = tuple(clinical.UnitRef(**ref) for ref in data["units"])
        data["transfusions"] = tuple(data["transfusions"])
        session = db.session()
        reaction = clinical.record_reaction(
            session=session, actor=require_actor(), data=clinical.ReactionInput(**data)
        )
        return clinical.reaction_details(session, [reaction])[0]

    @blp.arguments(schemas.ListQuery, location="query")
    @blp.response(
        200,
        schemas.ReactionPageOut,
        example={"items": [REACTION_OUT_EXAMPLE], "next_cursor": "WyJyZWFj…", "has_more": False},
    )
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Your adverse reactions in the order the server recorded them (cursor, `since`)."""
        return clinical.list_reactions(session=db.session(), actor=require_actor(), **query)


@blp.route("/adverse-reactions/<int:reaction_id>")
class ReactionById(MethodView):
    @blp.response(200, schemas.ReactionOut, example=REACTION_OUT_EXAMPLE)
    @blp.doc(security=SECURITY)
    def get(self, reaction_id):
        return clinical.get_reaction(
            session=db.session(), actor=require_actor(), reaction_id=reaction_id
        )


@blp.route("/returns")
class Returns(MethodView):
    @blp.arguments(
        schemas.ReturnsIn,
        example={
            "units": [{"din": "B330026000130", "product_code": "E0001", "reason": "not_needed"}]
        },
    )
    @blp.response(201, schemas.MovementOut(many=True), example=[MOVEMENT_EXAMPLE])
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Return units to their blood centre, each with its reason (in stock, or on hold
        after a temperature excursion). All or nothing: a refusal names the unit
        (`facts.index`) and nothing is returned."""
        return clinical.return_units(
            session=db.session(),
            actor=require_actor(),
            items=[clinical.UnitAction(**item) for item in data["units"]],
        )

    @blp.arguments(schemas.ListQuery, location="query")
    @blp.response(
        200,
        schemas.MovementPageOut,
        example={"items": [MOVEMENT_EXAMPLE], "next_cursor": "WyJyZXR1…", "has_more": False},
    )
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Returns in the order the server recorded them (cursor, `since`), whichever page
        or system made them."""
        return clinical.list_returns(session=db.session(), actor=require_actor(), **query)


@blp.route("/discards")
class Discards(MethodView):
    @blp.arguments(
        schemas.DiscardsIn,
        example={"units": [{"din": "B330026000131", "product_code": "E0004", "reason": "damaged"}]},
    )
    @blp.response(
        201,
        schemas.MovementOut(many=True),
        example=[{**MOVEMENT_EXAMPLE, "reason": "damaged"}],
    )
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Discard units, each with its reason (`temperature_excursion`, `damaged`,
        `reactive_test`, `clinical_not_used`, `quality`, `other`). All or nothing."""
        return clinical.discard_units(
            session=db.session(),
            actor=require_actor(),
            items=[clinical.UnitAction(**item) for item in data["units"]],
        )

    @blp.arguments(schemas.ListQuery, location="query")
    @blp.response(
        200,
        schemas.MovementPageOut,
        example={
            "items": [{**MOVEMENT_EXAMPLE, "reason": "damaged"}],
            "next_cursor": None,
            "has_more": False,
        },
    )
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Discards in the order the server recorded them (cursor, `since`)."""
        return clinical.list_discards(session=db.session(), actor=require_actor(), **query)


@blp.route("/units")
class HeldUnits(MethodView):
    @blp.arguments(schemas.UnitsQuery, location="query")
    @blp.response(
        200,
        schemas.HeldUnitOut(many=True),
        example=[
            {
                **OUT_UNIT,
                "volume_ml": 280,
                "expires_at": "2026-12-20T01:00:00+00:00",
                "state": "received",
            }
        ],
    )
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=SECURITY)
    def get(self, query, pagination_parameters):
        """Your stock, unit by unit, first to expire first: `state` (default: every state a
        unit may still change from: received, on hold …), `component`, `expires_before`
        (paged: `?page=&page_size=`, totals in `X-Pagination`)."""
        page = clinical.held_units(
            session=db.session(),
            actor=require_actor(),
            page=api_request(pagination_parameters),
            **query,
        )
        return api_items(pagination_parameters, page)
