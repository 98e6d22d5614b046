"""The trace API: a DIN's trace, a unit (and its transfusion) as FHIR R5, and the look-back
notices an organisation receives (list, acknowledge). Every read is scoped (out of scope: 404).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.pagination import DEFAULT_PAGE_SIZE, api_items, api_request
from blood.trace import schemas
from blood.trace import service as trace

blp = Blueprint(
    "trace_api",
    __name__,
    description="Traceability: a donation's trace, FHIR export of units, look-back notices",
)
SECURITY = [{"bearerAuth": []}]


@blp.before_request
def _authenticate():
    require_actor()


@blp.route("/trace/<string:din>")
class TraceByDin(MethodView):
    @blp.response(200, schemas.TraceOut)
    @blp.doc(security=SECURITY)
    def get(self, din):
        """The donation (donor masked, tests), its units and every step of each, as far as
        your organisation's links of the chain go (a hospital: from its receipt on). The DIN as
        typed (13 characters) or with its check character (14); a wrong check character: 422."""
        return trace.trace_din(session=db.session(), actor=require_actor(), din=din)


@blp.route("/units/<string:din>/<string:product_code>/fhir")
class UnitFhir(MethodView):
    @blp.arguments(schemas.DivisionQuery, location="query")
    @blp.response(200)
    @blp.doc(security=SECURITY)
    def get(self, query, din, product_code):
        """The unit as a FHIR R5 `BiologicallyDerivedProduct` (`?division=`, default 00)."""
        return trace.unit_fhir(
            session=db.session(),
            actor=require_actor(),
            din=din,
            product_code=product_code,
            division=query["division"],
        )


@blp.route("/units/<string:din>/<string:product_code>/dispense/fhir")
class DispenseFhir(MethodView):
    @blp.arguments(schemas.DivisionQuery, location="query")
    @blp.response(200)
    @blp.doc(security=SECURITY)
    def get(self, query, din, product_code):
        """The unit's transfusion as a FHIR R5 `BiologicallyDerivedProductDispense` (the
        patient by pseudonym only)."""
        return trace.dispense_fhir(
            session=db.session(),
            actor=require_actor(),
            din=din,
            product_code=product_code,
            division=query["division"],
        )


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.response(200, schemas.NoticeOut(many=True))
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=SECURITY)
    def get(self, pagination_parameters):
        """Look-back notices sent to your organisation (recalls, recipient follow-ups, units
        blocked in your stock), those waiting first (paged)."""
        page = trace.list_notices(
            session=db.session(), actor=require_actor(), page=api_request(pagination_parameters)
        )
        return api_items(pagination_parameters, page)


@blp.route("/notifications/<int:notice_id>/acknowledge")
class AcknowledgeNotice(MethodView):
    @blp.arguments(schemas.AcknowledgeIn)
    @blp.response(200, schemas.NoticeOut)
    @blp.doc(security=SECURITY)
    def post(self, data, notice_id):
        """Say your organisation has acted on the notice (audited; once)."""
        return trace.acknowledge_notice(
            session=db.session(), actor=require_actor(), notice_id=notice_id, note=data["note"]
        )
