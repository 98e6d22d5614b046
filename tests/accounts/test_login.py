"""Log-in, lock-out, rate limit, log-out and password change through the real web forms."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import User
from blood.accounts.service import delay_after
from blood.audit import AuditEvent
from tests.conftest import PASSWORD, csrf_token_of, login


def audit_actions(session, username):
    user = session.exec(select(User).where(User.username == username)).one()
    return session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "app_user", AuditEvent.entity_id == str(user.id))
        .order_by(AuditEvent.id)
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
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


def test_empty_fields_are_shown_beside_the_fields(client, world):
    response = login(client, "", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-username-error"' in html and 'id="f-password-error"' in html


def test_failures_slow_down_one_name_from_one_address_without_locking_the_account(
    app, client, session, world
):
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        assert login(client, "sca.registrar", "wrong-password").status_code == 401
    # The next attempt from this address for this name waits, even with the right password…
    assert login(client, "sca.registrar", "wrong-password").status_code == 401
    throttled = login(client, "sca.registrar", PASSWORD)
    assert throttled.status_code == 429
    assert "wait" in throttled.get_data(as_text=True)
    # …but the real user, from their own desk, is not locked out.
    desk = app.test_client()
    desk.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert login(desk, "sca.registrar").status_code == 302
    session.expire_all()
    assert audit_actions(session, "sca.registrar").count("user.login_failed") == free + 1
    user = session.exec(select(User).where(User.username == "sca.registrar")).one()
    assert user.locked_until is None


def test_known_and_unknown_names_are_answered_alike_even_when_throttled(app, world):
    free = app.config["LOGIN_FREE_FAILURES"]
    answers = {}
    for address, name in (("10.0.0.1", "sca.registrar"), ("10.0.0.2", "nobody.here")):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = address
        responses = [login(browser, name, "wrong-password") for _ in range(free + 2)]
        answers[name] = [(r.status_code, _alert(r)) for r in responses]
    assert answers["sca.registrar"] == answers["nobody.here"]
    assert answers["nobody.here"][-1][0] == 429


def _alert(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('role="alert"', 1)[1].split("</div>", 1)[0] if 'role="alert"' in html else ""


def test_failed_attempts_on_unknown_names_are_audited_without_the_name(client, session, world):
    login(client, "no.such.person", "wrong-password")
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "user.login_failed").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.entity_id is None
    assert "no.such.person" not in str(event.changes)
    assert len(event.changes["user_name_key"]) == 64


@pytest.mark.parametrize("failures, seconds", [(0, 0), (5, 0), (6, 1), (7, 2), (10, 16), (30, 900)])
def test_delays_grow_after_the_free_failures_and_are_capped(failures, seconds):
    assert delay_after(failures, free=5, maximum_seconds=900) == seconds


def test_an_administrator_locks_and_unlocks_an_account(app, client, session, world):
    victim = app.test_client()
    login(victim, "sca.registrar")
    assert victim.get("/").status_code == 200
    login(client, "sca.admin")
    page = client.get("/admin/users")
    token = csrf_token_of(page.get_data(as_text=True))
    user_id = world.users["sca.registrar"].id
    client.post(f"/admin/users/{user_id}/lock", data={"locked": "1", "csrf_token": token})
    assert victim.get("/").status_code == 302  # the locked user's session has ended
    locked = login(victim, "sca.registrar")
    assert locked.status_code == 403
    assert "locked by your organisation" in locked.get_data(as_text=True)
    assert login(victim, "sca.registrar", "wrong-password").status_code == 401  # nothing new
    client.post(f"/admin/users/{user_id}/lock", data={"locked": "0", "csrf_token": token})
    assert login(victim, "sca.registrar").status_code == 302
    session.expire_all()
    assert {"user.lock", "user.unlock"} <= set(audit_actions(session, "sca.registrar"))


def test_an_administrator_cannot_lock_another_organisations_user(client, world):
    login(client, "sca.admin")
    token = csrf_token_of(client.get("/admin/users").get_data(as_text=True))
    other = world.users["swz.registrar"].id
    refused = client.post(f"/admin/users/{other}/lock", data={"locked": "1", "csrf_token": token})
    assert refused.status_code == 404
    assert "Not found." in refused.get_data(as_text=True)


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


def test_a_cookie_copied_before_logout_no_longer_works(app, client, world):
    login(client, "hhz.officer")
    copied = client.get_cookie("session").value
    assert client.get("/api/v1/me").status_code == 200
    token = csrf_token_of(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/v1/me").status_code == 401
    assert thief.get("/").status_code == 302


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
