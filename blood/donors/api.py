"""``POST /api/v1/eligibility``: the same engine the screening form uses."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.donors import rules, service
from blood.donors.messages import reason_as_json
from blood.errors import NotFound
from blood.plasma.schemas import DecisionOut, EligibilityIn

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
        session, actor = db.session(), require_actor()
        reference = data.pop("donor")
        on = data.pop("on", None)
        screening = rules.Screening(**data)
        station = service.require_collecting_org(session, actor)
        try:
            donor = service.find_donor(session=session, actor=actor, query=reference)
        except NotFound:
            if not service.RESIDENT_ID_RE.match(service.pii.normalise(reference)):
                raise
            donor = None
        except service.RegisteredElsewhere:
            donor = service.find_registered(session=session, query=reference)
        if donor is None:
            decision = service.assess_new_person(
                session=session, actor=actor, resident_id=reference, screening=screening, on=on
            )
        else:
            decision = service.assess(
                session=session, actor=actor, donor=donor, screening=screening, on=on
            )
        limit = decision.collection_limit
        return {
            "eligible": decision.eligible,
            "reasons": [reason_as_json(r) for r in decision.reasons],
            "next_eligible_on": decision.next_eligible_on,
            "collection_limit": limit
            and {
                "amount": limit.amount,
                "unit": limit.unit,
                "includes_anticoagulant": limit.includes_anticoagulant,
            },
            "profile": service.profile_for(station).code,
            "registered": donor is not None,
        }
