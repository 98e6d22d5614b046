"""The push pages of an authority's administrator: targets added and edited with their
secret stored encrypted and never shown again, deactivated after a confirmation, tested with
a signed test document; the dead-letter list, a delivery with its last error and DHIS2
conflicts, and an audited retry that delivers it. Nobody else sees any of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import select

from blood import audit
from blood.accounts.scoping import Actor
from blood.supervision.formats import native
from blood.supervision.models import Delivery, PushTarget
from blood.supervision.service import delivery as outbox
from blood.supervision.service import sealed
from blood.supervision.service.summaries import write_summaries
from tests.conftest import csrf_token_of, login
from tests.supervision.push_helpers import Receiver, always, keeps

SYSTEM = Actor.system("tests")
SECRET = "page-secret-that-is-long-enough"


def _token(client, path="/supervision/push-targets/new") -> str:
    return csrf_token_of(client.get(path).get_data(as_text=True))


def _add(client, url, **extra):
    form = {
        "name": "ministry",
        "url": url,
        "format": "native",
        "summary_kinds": ["daily"],
        "secret": SECRET,
        "csrf_token": _token(client),
        **extra,
    }
    return client.post("/supervision/push-targets", data=form)


def _deliver(app, session, now=None):
    with app.app_context():
        return outbox.deliver_due(session=session, actor=SYSTEM, now=now or datetime.now(UTC))


def _summaries(app, session):
    with app.app_context():
        write_summaries(session=session, actor=SYSTEM, kind="daily", now=datetime.now(UTC))
        session.commit()


def test_a_target_is_saved_with_its_secret_encrypted_and_never_shown_again(client, session, world):
    login(client, "p.admin")
    answer = _add(client, "https://receiver.example/blood")
    assert answer.status_code == 303
    target = session.exec(select(PushTarget)).one()
    assert target.secret_ciphertext and SECRET not in target.secret_ciphertext
    assert sealed.unseal(session, target.secret_ciphertext) == SECRET
    listing = client.get("/supervision/push-targets").get_data(as_text=True)
    edit = client.get(f"/supervision/push-targets/{target.id}").get_data(as_text=True)
    assert "ministry" in listing and "Signed JSON (native)" in listing
    assert SECRET not in listing and SECRET not in edit
    logged = session.exec(
        select(audit.AuditEvent).where(audit.AuditEvent.action == "supervision.push_target.create")
    ).one()
    assert logged.changes["secret_ciphertext"][1] == audit.REDACTED
    # An edit with the secret left blank keeps it.
    form = {
        "name": "ministry",
        "url": "https://receiver.example/v2",
        "format": "native",
        "summary_kinds": ["daily", "weekly"],
        "csrf_token": _token(client),
    }
    assert client.post(f"/supervision/push-targets/{target.id}", data=form).status_code == 303
    session.expire_all()
    target = session.get(PushTarget, target.id)
    assert target.url.endswith("/v2") and target.summary_kinds == ["daily", "weekly"]
    assert sealed.unseal(session, target.secret_ciphertext) == SECRET


def test_a_form_with_mistakes_is_refused_beside_its_fields(client, session, world):
    login(client, "p.admin")
    answer = _add(client, "ftp://nowhere", format="dhis2", mapping="{not json", secret="")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "DHIS2 mapping (JSON)" in page and "Not JSON." in page
    answer = _add(client, "ftp://nowhere", format="dhis2", mapping="{}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "An http:// or https:// address." in page
    assert "The DHIS2 user that imports the data." in page
    assert session.exec(select(PushTarget)).all() == []


def test_only_the_authoritys_administrator_sees_the_push_pages(client, session, world):
    from blood.accounts.service import create_user

    with client.application.app_context():
        create_user(
            session=session,
            actor=SYSTEM,
            organisation=world.org("HZ"),
            username="hz.admin",
            display_name="hz.admin",
            password="correct-horse-battery",
            roles=["org_admin"],
            locale="en",
        )
        session.commit()
    login(client, "p.admin")
    assert _add(client, "https://receiver.example/blood").status_code == 303
    target = session.exec(select(PushTarget)).one()
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, "p.inspector")
    assert client.get("/supervision/push-targets").status_code == 403
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, "hz.admin")
    assert client.get("/supervision/push-targets").status_code == 200
    assert "ministry" not in client.get("/supervision/push-targets").get_data(as_text=True)
    assert client.get(f"/supervision/push-targets/{target.id}").status_code == 404


def test_deactivating_asks_first_and_stops_the_target(client, session, world):
    login(client, "p.admin")
    _add(client, "https://receiver.example/blood")
    target = session.exec(select(PushTarget)).one()
    token = _token(client, "/supervision/push-targets")
    path = f"/supervision/push-targets/{target.id}/deactivate"
    asked = client.post(path, data={"csrf_token": token})
    assert asked.status_code == 200 and "Stop pushing to ministry?" in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(PushTarget, target.id).active
    done = client.post(path, data={"csrf_token": token, "confirmed": "1"})
    assert done.status_code == 303
    session.expire_all()
    assert not session.get(PushTarget, target.id).active


def test_the_test_delivery_sends_a_signed_test_and_shows_the_answer(client, session, world):
    login(client, "p.admin")
    with Receiver(keeps, secret=SECRET) as receiver:
        _add(client, receiver.url)
        target = session.exec(select(PushTarget)).one()
        answer = client.post(
            f"/supervision/push-targets/{target.id}/test",
            data={"csrf_token": _token(client, "/supervision/push-targets")},
        )
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert "The receiver accepted the test." in page
        ((headers, body),) = receiver.requests
        native.verify(headers, body, SECRET, datetime.now(UTC))
        assert json.loads(body)["test"] is True
    assert session.exec(select(Delivery)).all() == []


def test_a_dead_delivery_is_listed_inspected_and_retried_until_delivered(
    app, client, session, world
):
    login(client, "p.admin")
    with Receiver(always(503)) as down:
        _add(client, down.url)
        _summaries(app, session)
        now = datetime.now(UTC)
        for _ in range(20):
            _deliver(app, session, now)
            session.expire_all()
            delivery = session.exec(select(Delivery)).one()
            if delivery.state == "dead":
                break
            now = delivery.next_attempt_at
    assert delivery.state == "dead"
    listing = client.get("/supervision/deliveries").get_data(as_text=True)
    assert f"/supervision/deliveries/{delivery.id}" in listing and "HTTP 503" in listing
    page = client.get(f"/supervision/deliveries/{delivery.id}").get_data(as_text=True)
    assert "Failed (dead letter)" in page and "Retry" in page
    assert "HTTP 503" in page
    with Receiver(keeps, secret=SECRET) as up:
        target = session.get(PushTarget, delivery.target_id)
        target.url = up.url
        session.add(target)
        session.commit()
        token = csrf_token_of(page)
        retried = client.post(
            f"/supervision/deliveries/{delivery.id}/retry", data={"csrf_token": token}
        )
        assert retried.status_code == 303
        session.expire_all()
        assert session.get(Delivery, delivery.id).state == "pending"
        logged = session.exec(
            select(audit.AuditEvent).where(audit.AuditEvent.action == "supervision.delivery.retry")
        ).one()
        assert logged.actor_name == "p.admin" and logged.changes["state"] == ["dead", "pending"]
        assert _deliver(app, session).delivered == 1
        assert len(up.kept) == 1
    session.expire_all()
    assert session.get(Delivery, delivery.id).state == "delivered"
    again = client.post(f"/supervision/deliveries/{delivery.id}/retry", data={"csrf_token": token})
    assert again.status_code == 303  # refused with a notice: only a dead delivery is retried
    session.expire_all()
    assert session.get(Delivery, delivery.id).state == "delivered"


def test_dhis2_conflicts_are_shown_on_the_delivery(app, client, session, world):
    conflict = {
        "object": "fbfJHSPpUQD",
        "value": "Data element not in data set",
        "errorCode": "E7605",
    }
    answer = {
        "httpStatus": "Conflict",
        "httpStatusCode": 409,
        "status": "WARNING",
        "response": {
            "responseType": "ImportSummary",
            "status": "WARNING",
            "importCount": {"imported": 0, "updated": 0, "ignored": 1, "deleted": 0},
            "conflicts": [conflict],
        },
    }
    mapping = {
        "orgUnits": {"ZJ": "DiszpKrYNg8"},
        "dataElements": {"transfusions": {"dataElement": "fbfJHSPpUQD"}},
    }
    login(client, "p.admin")
    with Receiver(always(409, answer)) as stand_in:
        created = _add(
            client,
            stand_in.url,
            format="dhis2",
            username="admin",
            secret="district",
            mapping=json.dumps(mapping),
        )
        assert created.status_code == 303, created.get_data(as_text=True)
        _summaries(app, session)
        _deliver(app, session)
    delivery = session.exec(select(Delivery)).one()
    page = client.get(f"/supervision/deliveries/{delivery.id}?").get_data(as_text=True)
    assert "Conflicts reported by DHIS2" in page
    assert "E7605" in page and "Data element not in data set" in page
