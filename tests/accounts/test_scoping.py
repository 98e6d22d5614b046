"""One scoping rule: an organisation sees itself; an authority its subtree, nothing beside it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor, require_visible_org, restrict_to_visible
from blood.accounts.service import actor_for_user, list_organisations
from blood.errors import NotFound


def visible_codes(session, actor) -> set[str]:
    return {o.code for o in list_organisations(session=session, actor=actor)}


@pytest.mark.parametrize(
    "username, expected",
    [
        ("p.inspector", {"ZJ", "HZ", "WZ", "CA", "S-CA", "S-WZ", "H-HZ", "H-WZ", "BC", "MF"}),
        ("hz.inspector", {"HZ", "CA", "S-CA", "H-HZ"}),
        ("wz.inspector", {"WZ", "S-WZ", "H-WZ"}),
        ("ca.inspector", {"CA", "S-CA"}),
        ("sca.registrar", {"S-CA"}),
        ("hhz.officer", {"H-HZ"}),
        ("bc.clerk", {"BC"}),
    ],
)
def test_each_actor_sees_exactly_its_subtree(app, session, world, username, expected):
    with app.app_context():
        actor = actor_for_user(session, world.users[username])
        assert visible_codes(session, actor) == expected


def test_a_city_cannot_see_the_neighbouring_city(app, session, world):
    with app.app_context():
        hangzhou = actor_for_user(session, world.users["hz.inspector"])
        for code in ("WZ", "S-WZ", "H-WZ"):
            with pytest.raises(NotFound):
                require_visible_org(session, hangzhou, code)
        # nor upwards: the province above it
        with pytest.raises(NotFound):
            require_visible_org(session, hangzhou, "ZJ")


def test_restrict_to_visible_filters_rows_owned_by_organisations(app, session, world):
    with app.app_context():
        station = actor_for_user(session, world.users["sca.registrar"])
        statement = restrict_to_visible(select(Organisation.code), Organisation.id, station)
        assert set(session.exec(statement).all()) == {"S-CA"}
        system = Actor.system()
        everything = restrict_to_visible(select(Organisation.code), Organisation.id, system)
        assert len(session.exec(everything).all()) == len(world.orgs)


def test_an_actor_without_an_organisation_path_sees_nothing(app, session, world):
    broken = Actor(kind="user", id=1, name="x", organisation_id=None, organisation_path=None)
    with app.app_context():
        assert visible_codes(session, broken) == set()


def test_path_prefixes_do_not_leak_between_ids_sharing_digits(app, session, world):
    """/1/ must not match /12/: the trailing slash is part of the prefix."""
    paths = [o.path for o in world.orgs.values()]
    assert all(p.startswith("/") and p.endswith("/") for p in paths)
    station = world.org("S-CA")
    others = [o for o in world.orgs.values() if o.code != "S-CA"]
    assert not any(o.path.startswith(station.path) for o in others)


# --- through the API ---------------------------------------------------------------------


def test_hospital_token_sees_only_its_hospital(client, world, api_headers):
    headers = api_headers("H-HZ")
    listed = client.get("/api/v1/organisations", headers=headers)
    assert listed.status_code == 200
    assert [o["code"] for o in listed.json] == ["H-HZ"]
    assert client.get("/api/v1/organisations/H-HZ", headers=headers).status_code == 200
    for other in ("H-WZ", "HZ", "ZJ", "S-CA"):
        refused = client.get(f"/api/v1/organisations/{other}", headers=headers)
        assert refused.status_code == 404
        assert refused.json["error"] == "not_found"


def test_refusal_does_not_reveal_existence(client, world, api_headers):
    headers = api_headers("H-HZ")
    hidden = client.get("/api/v1/organisations/H-WZ", headers=headers)
    missing = client.get("/api/v1/organisations/NO-SUCH", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["message"] == missing.json["message"]


def test_authority_session_lists_its_jurisdiction_filtered_by_kind(app, client, world):
    from tests.conftest import login

    assert login(client, "hz.inspector").status_code == 302
    hospitals = client.get("/api/v1/organisations?kind=hospital")
    assert hospitals.status_code == 200
    assert [o["code"] for o in hospitals.json] == ["H-HZ"]
    assert all(o["parent_code"] for o in hospitals.json)
    bad = client.get("/api/v1/organisations?kind=castle")
    assert bad.status_code == 422
    assert "kind" in bad.json["errors"]["query"]


def test_web_jurisdiction_page_is_scoped(app, client, world):
    from tests.conftest import login

    login(client, "wz.inspector")
    page = client.get("/organisations").get_data(as_text=True)
    assert "S-WZ" in page and "H-WZ" in page
    assert "H-HZ" not in page and "S-CA" not in page
    hidden = client.get("/organisations/H-HZ")
    assert hidden.status_code == 404
    assert "Not found." in hidden.get_data(as_text=True)
    assert client.get("/organisations/H-WZ").status_code == 200


def test_organisations_are_listed_in_tree_order(app, session, world):
    with app.app_context():
        actor = actor_for_user(session, world.users["p.inspector"])
        codes = [o.code for o in list_organisations(session=session, actor=actor)]
    # Each authority is followed by its jurisdiction; authorities before other kinds.
    assert codes == ["ZJ", "HZ", "CA", "S-CA", "H-HZ", "WZ", "H-WZ", "S-WZ", "BC", "MF"]
