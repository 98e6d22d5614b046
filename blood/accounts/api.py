"""``/api/v1``: who am I, and the organisations I may see."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts import service
from blood.accounts.auth import require_actor
from blood.accounts.roles import OrgKind
from blood.accounts.schemas import MeOut, OrganisationOut, OrganisationQuery
from blood.pagination import DEFAULT_PAGE_SIZE, api_items, api_request

blp = Blueprint(
    "accounts_api",
    __name__,
    description="The caller and the organisations in its scope",
)
SECURITY = [{"bearerAuth": []}]


@blp.before_request
def _authenticate():
    require_actor()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    @blp.doc(security=SECURITY)
    def get(self):
        """The caller: user or token, its organisation and roles."""
        return service.describe_caller(session=db.session(), actor=require_actor())


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.arguments(OrganisationQuery, location="query")
    @blp.response(200, OrganisationOut(many=True))
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=SECURITY)
    def get(self, query, pagination_parameters):
        """Organisations the caller may see: itself, or an authority's whole subtree, in tree
        order (each authority followed by its jurisdiction)."""
        kind = OrgKind(query["kind"]) if "kind" in query else None
        page = service.organisation_summaries(
            session=db.session(),
            actor=require_actor(),
            kind=kind,
            page=api_request(pagination_parameters),
        )
        return api_items(pagination_parameters, page)


@blp.route("/organisations/<code>")
class OrganisationByCode(MethodView):
    @blp.response(200, OrganisationOut)
    @blp.doc(security=SECURITY)
    def get(self, code):
        """One organisation in the caller's scope (404 for any other)."""
        return service.organisation_summary(session=db.session(), actor=require_actor(), code=code)
