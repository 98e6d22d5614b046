"""Log-in, lock-out, rate limit, log-out and password change through the real web forms."""

from __future__ import annotations

from sqlmodel import select

from blood.accounts.models import User
from blood.audit import AuditEvent
from tests.conftest import PASSWORD, csrf_token_of, login


def audit_actions(session, username):
    user = session.exec(select(User).where(User.username == username)).one()
    return session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "app_user", AuditEvent.entity_id == str(user.id))
        .order_by(AuditEvent.seq)
    ).all()


def test_login_page_renders_with_csrf_token(client, world):
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert csrf_token_of(page.get_data(as_text=True))


def test_successful_login_lands_on_home_and_is_audited(client, session, world):
    response = login(client, "sca.registrar")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "S-CA organisation" in home.get_data(as_text=True)
    session.expire_all()
    assert audit_actions(session, "sca.registrar")[-1] == "user.login"


def test_wrong_password_and_unknown_user_get_the_same_message(client, world):
    wrong = login(client, "sca.registrar", "not-the-password")
    unknown = login(client, "nobody.here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = "Unknown user name or wrong password."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "sca.registrar", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still not logged in


def test_empty_fields_are_shown_beside_the_fields(client, world):
    response = login(client, "", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="username-error"' in html and 'id="password-error"' in html


def test_account_locks_after_repeated_failures_and_is_logged(app, client, session, world):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert login(client, "sca.registrar", "wrong-password").status_code == 401
    locked = login(client, "sca.registrar", "wrong-password")
    assert locked.status_code == 403
    assert "locked" in locked.get_data(as_text=True)
    # Even the right password is refused while locked.
    assert login(client, "sca.registrar", PASSWORD).status_code == 403
    session.expire_all()
    actions = audit_actions(session, "sca.registrar")
    assert actions.count("user.login_failed") == limit - 1
    assert "user.locked" in actions
    user = session.exec(select(User).where(User.username == "sca.registrar")).one()
    assert user.locked_until is not None


def test_lock_expires(app, client, session, world):
    from datetime import timedelta

    from blood.db import utcnow

    user = world.users["sca.registrar"]
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.add(user)
    session.commit()
    assert login(client, "sca.registrar").status_code == 302


def test_rate_limit_per_address(app, client, world):
    statuses = [login(client, f"nobody{i}", "x" * 12).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_logout_needs_post_and_ends_the_session(client, world):
    login(client, "sca.registrar")
    home = client.get("/")
    assert client.get("/logout").status_code == 405
    token = csrf_token_of(home.get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_validates_and_ends_other_sessions(app, client, session, world):
    other_device = app.test_client()
    login(other_device, "sca.registrar")
    assert other_device.get("/").status_code == 200

    login(client, "sca.registrar")
    page = client.get("/account/password")
    token = csrf_token_of(page.get_data(as_text=True))
    bad = client.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "short", "csrf_token": token},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "This is not your current password." in html
    assert "Use at least 10 characters." in html

    good = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-much-better-passphrase",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other_device.get("/").status_code == 302  # the other one is logged out
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )
    assert login(client, "sca.registrar", "a-much-better-passphrase").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client, world):
    page = client.get("/login?next=//evil.example/")
    token = csrf_token_of(page.get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "sca.registrar", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, world):
    response = login(client, "sca.registrar")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
