"""``blood demo``: what it loads, that a second run changes nothing, that its users log in."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import ApiToken, Organisation, User
from blood.clinical.models import Transfusion
from blood.demo import DEMO_PASSWORD, ORGANISATIONS, USERS
from tests.conftest import login


@pytest.fixture(scope="session")
def base_app(demo_app):
    """The demo, loaded once per database (tests/conftest.py)."""
    return demo_app


def test_demo_is_complete_and_idempotent(runner, session, demo_output):
    transfusions = len(session.exec(select(Transfusion.id)).all())
    assert f"{len(ORGANISATIONS)} organisations, {len(USERS)} users" in demo_output
    hospitals = [row[0] for row in ORGANISATIONS if row[1] == "hospital"]
    printed = [line for line in demo_output.splitlines() if line.startswith("API token for")]
    # A token for each hospital's HIS, and one for a plasma station (the eligibility API).
    assert sorted(line.split()[3].rstrip(":") for line in printed) == sorted(
        [*hospitals, "PS-CHUNAN"]
    )

    second = runner.invoke(args=["blood", "demo"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    session.expire_all()
    assert len(session.exec(select(Organisation)).all()) == len(ORGANISATIONS)
    assert len(session.exec(select(ApiToken)).all()) == 5
    assert len(session.exec(select(Transfusion.id)).all()) == transfusions

    kinds = {o.kind for o in session.exec(select(Organisation)).all()}
    assert kinds == {"authority", "plasma_station", "blood_centre", "hospital", "manufacturer"}
    roles = {r for u in session.exec(select(User)).all() for r in u.roles}
    from blood.accounts.roles import Role

    assert roles == {r.value for r in Role}, "the demo has a user for every role"


def test_demo_users_can_log_in(client):
    assert login(client, "zj.inspector", DEMO_PASSWORD).status_code == 302
    page = client.get("/organisations").get_data(as_text=True)
    assert "PS-TAISHUN" in page and "H-CA1" in page
