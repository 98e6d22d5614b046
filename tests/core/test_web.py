"""Web shell: a home page per organisation kind, navigation by role, admin pages, headers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import ApiToken, User
from tests.conftest import csrf_token_of, login


@pytest.mark.parametrize(
    "username, expected",
    [
        ("p.inspector", "Your jurisdiction"),
        ("sca.registrar", "Donor registration, screening, collection"),
        ("bc.clerk", "Collections, component production, stock"),
        ("hhz.officer", "through the usage API"),
        ("mf.clerk", "Plasma shipments addressed to you"),
    ],
)
def test_each_organisation_kind_has_its_home_page(client, world, username, expected):
    login(client, username)
    page = client.get("/")
    assert page.status_code == 200
    assert expected in page.get_data(as_text=True)


def test_authority_home_counts_its_jurisdiction(client, world):
    login(client, "hz.inspector")
    html = client.get("/").get_data(as_text=True)
    # Hangzhou: county CA, station S-CA, hospital H-HZ.
    assert "<strong>1</strong> Plasma station" in html
    assert "<strong>1</strong> Hospital" in html
    assert "<strong>0</strong> Blood centre" in html


@pytest.mark.parametrize(
    "username, visible, hidden",
    [
        ("p.inspector", ["Jurisdiction", "Activity"], ["API tokens", "Users"]),
        ("sca.registrar", [], ["Jurisdiction", "Activity", "API tokens", "Users"]),
        ("sca.admin", ["API tokens", "Users", "Activity"], ["Jurisdiction"]),
    ],
)
def test_navigation_follows_roles(client, world, username, visible, hidden):
    login(client, username)
    nav = client.get("/").get_data(as_text=True).split("<nav", 1)[1].split("</nav>", 1)[0]
    for label in visible:
        assert f">{label}<" in nav
    for label in hidden:
        assert f">{label}<" not in nav


@pytest.mark.parametrize("path", ["/admin/tokens", "/admin/users", "/activity"])
def test_pages_refuse_roles_they_are_not_for(client, world, path):
    login(client, "sca.registrar")
    refused = client.get(path)
    assert refused.status_code == 403
    assert "You are not allowed to do this." in refused.get_data(as_text=True)


def test_pages_need_login(client, world):
    response = client.get("/admin/tokens")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_token_is_shown_once_then_only_its_prefix(client, session, world):
    login(client, "hhz.admin")
    page = client.get("/admin/tokens")
    created = client.post(
        "/admin/tokens",
        data={"name": "HIS", "csrf_token": csrf_token_of(page.get_data(as_text=True))},
    )
    html = created.get_data(as_text=True)
    assert created.status_code == 200
    token = html.split('<code id="new-token">', 1)[1].split("</code>", 1)[0]
    assert token.startswith("blood_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = client.get("/admin/tokens").get_data(as_text=True)
    assert token not in again
    assert token[:12] in again


def test_token_revoke_is_scoped_to_own_organisation(app, client, session, world):
    from blood.accounts.scoping import Actor
    from blood.accounts.service import create_token

    with app.app_context():
        other, _plaintext = create_token(
            session=session, actor=Actor.system(), organisation=world.org("H-WZ"), name="HIS"
        )
        session.commit()
    login(client, "hhz.admin")
    token = csrf_token_of(client.get("/admin/tokens").get_data(as_text=True))
    response = client.post(f"/admin/tokens/{other.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert "Not found." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(ApiToken, other.id).revoked_at is None


def test_duplicate_token_name_is_refused_beside_the_field(client, session, world):
    login(client, "hhz.admin")
    for expected in (200, 422):
        token = csrf_token_of(client.get("/admin/tokens").get_data(as_text=True))
        response = client.post("/admin/tokens", data={"name": "HIS", "csrf_token": token})
        assert response.status_code == expected
    assert "An active token already has this name." in response.get_data(as_text=True)
    assert len(session.exec(select(ApiToken)).all()) == 1


def test_admin_adds_a_user_and_bad_input_writes_nothing(client, session, world):
    login(client, "sca.admin")
    token = csrf_token_of(client.get("/admin/users").get_data(as_text=True))
    bad = client.post(
        "/admin/users",
        data={
            "username": "Bad Name!",
            "display_name": "x",
            "password": "short",
            "roles": ["registrar"],
            "locale": "zh_CN",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-username-error"' in html and 'id="f-password-error"' in html
    assert session.exec(select(User).where(User.display_name == "x")).first() is None

    good = client.post(
        "/admin/users",
        data={
            "username": "sca.lab2",
            "display_name": "汪海燕",
            "password": "a-long-enough-password",
            "roles": ["lab", "quality"],
            "locale": "zh_CN",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    session.expire_all()
    created = session.exec(select(User).where(User.username == "sca.lab2")).one()
    assert created.organisation_id == world.org("S-CA").id
    assert created.roles == ["lab", "quality"]


def test_activity_page_is_scoped(client, world):
    login(client, "wz.inspector")
    html = client.get("/activity").get_data(as_text=True)
    assert "<td>S-WZ organisation</td>" in html and "<td>H-WZ organisation</td>" in html
    assert "<td>S-CA organisation</td>" not in html and "<td>ZJ organisation</td>" not in html


def test_security_headers_on_pages(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_no_page_loads_anything_from_another_host(client, world):
    login(client, "p.inspector")
    for path in ("/login", "/", "/organisations", "/activity"):
        html = client.get(path).get_data(as_text=True)
        assert 'src="http' not in html and 'href="http' not in html, path
