"""``POST /api/v1/eligibility``: the same engine the screening form uses."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.donors import rules, service
from blood.donors.schemas import DecisionOut, EligibilityIn

blp = Blueprint("donors_api", __name__, description="Donor eligibility")


@blp.before_request
def _authenticate():
    require_actor()


@blp.route("/eligibility")
class Eligibility(MethodView):
    @blp.arguments(EligibilityIn)
    @blp.response(200, DecisionOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, data):
        """Decide whether a donor may donate: every reason, and the next eligible date.

        History (every donation and deferral at any station) comes from the registry; a
        resident ID not registered yet is assessed as a new donor with no history.
        """
        reference = data.pop("donor")
        on = data.pop("on", None)
        return service.check_eligibility(
            session=db.session(),
            actor=require_actor(),
            reference=reference,
            screening=rules.Screening(**data),
            on=on,
        )
