"""``/api/v1``: who am I, and the organisations I may see."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import select

from blood import db
from blood.accounts import service
from blood.accounts.auth import require_actor
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.schemas import MeOut, OrganisationOut, OrganisationQuery
from blood.accounts.scoping import require_visible_org

blp = Blueprint(
    "accounts_api",
    __name__,
    description="The caller and the organisations in its scope",
)


@blp.before_request
def _authenticate():
    require_actor()


def _org_out(org: Organisation, parents: dict[int, str]) -> dict:
    return {
        "code": org.code,
        "name_zh": org.name_zh,
        "name_en": org.name_en,
        "kind": org.kind,
        "level": org.level,
        "division_code": org.division_code,
        "timezone": org.timezone,
        "parent_code": parents.get(org.parent_id) if org.parent_id else None,
    }


def _parent_codes(orgs: list[Organisation]) -> dict[int, str]:
    ids = {o.parent_id for o in orgs if o.parent_id}
    if not ids:
        return {}
    rows = db.session().exec(
        select(Organisation.id, Organisation.code).where(Organisation.id.in_(ids))
    )
    return dict(rows.all())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """The caller: user or token, its organisation and roles."""
        actor = require_actor()
        org = db.session().get(Organisation, actor.organisation_id)
        return {
            "kind": actor.kind,
            "name": actor.name,
            "roles": sorted(actor.roles),
            "organisation": _org_out(org, _parent_codes([org])),
        }


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.arguments(OrganisationQuery, location="query")
    @blp.response(200, OrganisationOut(many=True))
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Organisations the caller may see: itself, or an authority's whole subtree."""
        kind = OrgKind(query["kind"]) if "kind" in query else None
        orgs = service.list_organisations(session=db.session(), actor=require_actor(), kind=kind)
        parents = _parent_codes(orgs)
        return [_org_out(org, parents) for org in orgs]


@blp.route("/organisations/<code>")
class OrganisationByCode(MethodView):
    @blp.response(200, OrganisationOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, code):
        """One organisation in the caller's scope (404 for any other)."""
        org = require_visible_org(db.session(), require_actor(), code.upper())
        return _org_out(org, _parent_codes([org]))
