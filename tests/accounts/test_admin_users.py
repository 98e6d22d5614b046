"""Users administration: edit, disable/enable, reset password (forced change), roles bounded
by the organisation's kind; the refused page names the role needed."""

from __future__ import annotations

from sqlmodel import select

from blood.accounts.models import LoginSession, User
from blood.accounts.scoping import Actor
from blood.accounts.service import set_roles, set_user_active
from blood.audit import AuditEvent
from blood.errors import ValidationFailed
from tests.conftest import PASSWORD, csrf_token_of, login

NEW = "a-new-secret-42"


def _admin(client, user_id):
    login(client, "sca.admin")
    page = client.get(f"/admin/users/{user_id}")
    assert page.status_code == 200
    return csrf_token_of(page.get_data(as_text=True))


def _actions(session, user_id):
    return set(
        session.exec(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "app_user", AuditEvent.entity_id == str(user_id)
            )
        ).all()
    )


def test_a_disabled_user_is_refused_at_login_like_a_wrong_password_and_sessions_end(
    app, client, session, world
):
    victim = app.test_client()
    login(victim, "sca.registrar")
    assert victim.get("/").status_code == 200
    user_id = world.users["sca.registrar"].id
    token = _admin(client, user_id)
    client.post(f"/admin/users/{user_id}/active", data={"active": "0", "csrf_token": token})
    assert victim.get("/").status_code == 302  # the session ended at once
    refused = login(victim, "sca.registrar")
    wrong = login(app.test_client(), "sca.registrar", "wrong-password-1")
    assert refused.status_code == wrong.status_code == 401
    assert "Unknown user name or wrong password." in refused.get_data(as_text=True)
    session.expire_all()
    ended = session.exec(select(LoginSession).where(LoginSession.user_id == user_id)).all()
    assert ended and all(s.ended_at is not None for s in ended)
    client.post(f"/admin/users/{user_id}/active", data={"active": "1", "csrf_token": token})
    assert login(victim, "sca.registrar").status_code == 302
    session.expire_all()
    assert {"user.disable", "user.enable"} <= _actions(session, user_id)


def test_a_reset_password_must_be_changed_before_any_other_page(app, client, session, world):
    user_id = world.users["sca.registrar"].id
    token = _admin(client, user_id)
    reset = client.post(
        f"/admin/users/{user_id}/password", data={"new_password": NEW, "csrf_token": token}
    )
    assert reset.status_code == 302
    user = app.test_client()
    assert login(user, "sca.registrar", PASSWORD).status_code == 401  # the old one is gone
    assert login(user, "sca.registrar", NEW).status_code == 302
    for path in ("/", "/activity", "/station/donors"):
        answer = user.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith(
            "/account/password"
        ), path
    form = user.get("/account/password")
    assert form.status_code == 200
    changed = user.post(
        "/account/password",
        data={
            "current_password": NEW,
            "new_password": "mine-own-secret-7",
            "csrf_token": csrf_token_of(form.get_data(as_text=True)),
        },
    )
    assert changed.status_code == 302
    assert user.get("/").status_code == 200
    session.expire_all()
    assert session.get(User, user_id).must_change_password is False
    assert "user.password_reset" in _actions(session, user_id)


def test_roles_change_only_within_the_organisation_kind(app, session, world):
    admin = Actor.for_organisation(
        "user", world.users["sca.admin"].id, "sca.admin", world.orgs["S-CA"], ["org_admin"]
    )
    user_id = world.users["sca.registrar"].id
    with app.app_context():
        try:
            set_roles(session=session, actor=admin, user_id=user_id, roles=["stock_clerk"])
        except ValidationFailed as refused:
            assert "roles" in refused.fields
        else:
            raise AssertionError("a blood-centre role was given at a plasma station")
        changed = set_roles(session=session, actor=admin, user_id=user_id, roles=["lab", "quality"])
        assert changed.roles == ["lab", "quality"]
        assert "user.roles" in _actions(session, user_id)


def test_an_administrator_cannot_disable_another_organisations_user(client, world):
    token = _admin(client, world.users["sca.registrar"].id)
    other = world.users["swz.registrar"].id
    refused = client.post(f"/admin/users/{other}/active", data={"active": "0", "csrf_token": token})
    assert refused.status_code == 404


def test_the_cli_and_the_pages_obey_the_same_rule(app, session, world):
    """The system actor (the CLI) disables too, and the rule (sessions end) is the same."""
    with app.app_context():
        user = set_user_active(
            session=session,
            actor=Actor.system("cli"),
            user_id=world.users["swz.registrar"].id,
            active=False,
        )
        assert user.active is False


def test_the_refused_page_names_the_role_needed(client, world):
    login(client, "sca.registrar")
    refused = client.get("/admin/users")
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert "The role needed: Organisation administrator." in html
    assert "org_admin" not in html


def test_the_refused_page_names_the_role_in_chinese(client, world):
    login(client, "sca.registrar", lang="zh")
    client.get("/lang/zh_CN")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "所需角色：机构管理员。" in html


def test_the_cli_disables_and_resets_by_the_same_rules(runner, session, world):
    disabled = runner.invoke(args=["blood", "set-user-active", "sca.lab", "--disable"])
    assert disabled.exit_code == 0, disabled.output
    short = runner.invoke(
        args=["blood", "reset-password", "sca.lab"], env={"BLOOD_NEW_USER_PASSWORD": "short"}
    )
    assert short.exit_code != 0  # the service's password rule, as on the page
    reset = runner.invoke(
        args=["blood", "reset-password", "sca.lab"], env={"BLOOD_NEW_USER_PASSWORD": NEW}
    )
    assert reset.exit_code == 0, reset.output
    session.expire_all()
    user = session.get(User, world.users["sca.lab"].id)
    assert user.active is False and user.must_change_password is True
