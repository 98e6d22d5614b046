"""Federation: a lower instance pushes its daily summary to an upper one's
``POST /api/v1/supervision/inbound``, which verifies the signature and the timestamp,
keeps each summary once, and adds its figures to its roll-up as a remote jurisdiction.

The last test runs two instances with separate databases: the upper one a real gunicorn
server of this app on its own SQLite file, the lower one this test's app."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from blood import create_app, migrate
from blood.accounts.models import Organisation
from blood.accounts.roles import AuthorityLevel, OrgKind
from blood.accounts.scoping import Actor
from blood.accounts.service import OrganisationInput, create_organisation, create_token
from blood.db import get_db
from blood.supervision.formats import native
from blood.supervision.models import Delivery, InboundSummary, IndicatorFact
from blood.supervision.service import delivery as outbox
from blood.supervision.service.common import local_date
from blood.supervision.service.summaries import write_summaries
from blood.supervision.service.targets import TargetInput, create_target
from tests.conftest import TEST_CONFIG

SYSTEM = Actor.system("tests")
ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/v1/supervision/inbound"


def _remote_city(app, session, parent="ZJ", code="RC"):
    with app.app_context():
        org = create_organisation(
            session=session,
            actor=SYSTEM,
            data=OrganisationInput(
                code=code,
                name_zh="远程市卫健委",
                name_en="Remote city",
                kind=OrgKind.AUTHORITY,
                parent_code=parent,
                level=AuthorityLevel.CITY,
                division_code="330500",
            ),
        )
        session.commit()
    return org


def _source(runner, name="lower-rc", org="RC") -> str:
    result = runner.invoke(args=["blood", "inbound-source", "add", name, "--org", org])
    assert result.exit_code == 0, result.output
    return re.search(r"secret \(shown once\): (\S+)", result.output).group(1)


def _document(day, transfusions=7.0, kind="daily") -> dict:
    return {
        "schema_version": "1.0",
        "uid": str(uuid.uuid4()),
        "authority": {"code": "LOWER-ZJ", "name_zh": "下级", "name_en": "Lower"},
        "period": {
            "kind": kind,
            "label": day.isoformat(),
            "start": day.isoformat(),
            "end": day.isoformat(),
            "dhis2": day.strftime("%Y%m%d"),
        },
        "generated_at": datetime.now(UTC).isoformat(),
        "indicators": [
            {
                "code": "transfusions",
                "value": transfusions,
                "numerator": transfusions,
                "denominator": None,
                "breakdowns": [
                    {
                        "key": "red_cells|surgery",
                        "values": {},
                        "numerator": transfusions,
                        "denominator": None,
                        "value": transfusions,
                    }
                ],
            },
            {
                "code": "some_future_indicator",
                "value": 1,
                "numerator": 1,
                "denominator": None,
                "breakdowns": [],
            },
        ],
        "alerts": {"counts": {}, "open": []},
    }


def _signed(document, secret, sender="lower-rc", key=None, at=None):
    body = native.canonical(document)
    headers = native.signed_headers(
        secret=secret,
        sender=sender,
        key=key or document["uid"],
        body=body,
        now=at or datetime.now(UTC),
    )
    return body, headers


@pytest.fixture
def upper(app, session, world, runner):
    _remote_city(app, session)
    return _source(runner)


def _today(world):
    return local_date(datetime.now(UTC), world.org("ZJ").timezone)


def _figure(body: dict, code: str) -> dict:
    return next(f for f in body["figures"] if f["indicator"] == code)


@pytest.mark.parametrize(
    "spoil",
    ["unsigned", "unknown-sender", "bad-signature", "stale", "future"],
)
def test_a_push_that_is_not_signed_by_a_known_sender_is_refused(client, session, upper, spoil):
    document = _document(datetime.now(UTC).date())
    at = datetime.now(UTC)
    if spoil == "stale":
        at -= timedelta(minutes=6)
    if spoil == "future":
        at += timedelta(minutes=6)
    secret = "not-the-secret-at-all" if spoil == "bad-signature" else upper
    body, headers = _signed(
        document, secret, at=at, sender="someone-else" if spoil == "unknown-sender" else "lower-rc"
    )
    if spoil == "unsigned":
        headers = {"Content-Type": "application/json", "Idempotency-Key": document["uid"]}
    answer = client.post(PATH, data=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json["error"] == "unauthorized" and answer.json["code"] == 401
    assert session.exec(select(InboundSummary)).all() == []


def test_a_signed_daily_summary_joins_the_roll_up_as_the_remote_jurisdiction(
    client, session, world, upper, headers, transfuse, compute
):
    transfuse("H-HZ", 2)
    compute(evaluate=False)
    today = _today(world)
    body, signed = _signed(_document(today, 7), upper)
    answer = client.post(PATH, data=body, headers=signed)
    assert answer.status_code == 201, answer.json
    first = answer.json
    assert first["status"] == "accepted" and first["period"] == today.isoformat()
    query = {"period": today.isoformat(), "indicator": "transfusions", "breakdown": "component"}
    remote = client.get(
        "/api/v1/indicators", headers=headers("ZJ"), query_string={**query, "organisation": "RC"}
    )
    assert _figure(remote.json, "transfusions")["value"] == 7
    province = client.get("/api/v1/indicators", headers=headers("ZJ"), query_string=query)
    figure = _figure(province.json, "transfusions")
    assert figure["value"] == 9  # its own hospital's 2 and the remote city's 7
    assert {
        "values": {"component": "red_cells"},
        "numerator": 9.0,
        "denominator": None,
        "value": 9.0,
    } in figure["breakdown"]
    # Without naming indicators: the remote city has the indicators it reported.
    alone = client.get(
        "/api/v1/indicators",
        headers=headers("ZJ"),
        query_string={"organisation": "RC", "period": today.isoformat()},
    )
    assert "transfusions" in {f["indicator"] for f in alone.json["figures"]}
    # The same push again: the first answer, nothing added twice.
    replay = client.post(PATH, data=body, headers=signed)
    assert replay.status_code == 200 and replay.json == first
    assert replay.headers["Idempotency-Replayed"] == "true"
    assert len(session.exec(select(InboundSummary)).all()) == 1
    remote = client.get(
        "/api/v1/indicators", headers=headers("ZJ"), query_string={**query, "organisation": "RC"}
    )
    assert _figure(remote.json, "transfusions")["value"] == 7


def test_the_dashboard_shows_the_remote_jurisdiction_next_to_the_cities(
    client, session, world, upper
):
    from tests.conftest import login

    today = _today(world)
    body, signed = _signed(_document(today, 4), upper)
    assert client.post(PATH, data=body, headers=signed).status_code == 201
    login(client, "p.inspector")
    page = client.get("/supervision/?period=today").get_data(as_text=True)
    assert "Remote city" in page


def test_weekly_summaries_are_kept_but_not_added_and_a_test_is_only_verified(
    client, session, world, upper
):
    week = _document(_today(world), 5, kind="weekly")
    body, signed = _signed(week, upper)
    assert client.post(PATH, data=body, headers=signed).status_code == 201
    test = {"schema_version": "1.0", "test": True, "uid": "test-1"}
    body, signed = _signed(test, upper)
    answer = client.post(PATH, data=body, headers=signed)
    assert answer.status_code == 200 and answer.json["status"] == "verified"
    assert len(session.exec(select(InboundSummary)).all()) == 1
    assert session.exec(select(IndicatorFact)).all() == []


def test_a_resent_day_replaces_the_remote_figures(client, session, world, upper, headers):
    today = _today(world)
    for figure in (3, 5):
        body, signed = _signed(_document(today, figure), upper)
        assert client.post(PATH, data=body, headers=signed).status_code == 201
    answer = client.get(
        "/api/v1/indicators",
        headers=headers("ZJ"),
        query_string={
            "organisation": "RC",
            "period": today.isoformat(),
            "indicator": "transfusions",
        },
    )
    assert _figure(answer.json, "transfusions")["value"] == 5


# --- two instances ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the upper instance stopped: {server.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the upper instance did not start")


@pytest.fixture
def upper_instance(tmp_path):
    """A second instance of this app on its own SQLite file, served by gunicorn: a province
    UP with its own hospital and the remote jurisdiction LOWER (a city authority), an inbound
    source for the lower instance, and an API token of the province."""
    url = f"sqlite:///{tmp_path / 'upper.sqlite3'}"
    migrate.upgrade(url)
    config = {**TEST_CONFIG, "DATABASE_URL": url}
    setup = create_app(config)
    database = get_db(setup)
    with setup.app_context(), database.new_session() as session:
        for code, kind, parent, level, division in (
            ("UP", OrgKind.AUTHORITY, None, AuthorityLevel.PROVINCE, "320000"),
            ("LOWER", OrgKind.AUTHORITY, "UP", AuthorityLevel.CITY, "320100"),
            ("H-UP", OrgKind.HOSPITAL, "UP", None, None),
        ):
            create_organisation(
                session=session,
                actor=SYSTEM,
                data=OrganisationInput(
                    code=code,
                    name_zh=code,
                    name_en=f"{code} org",
                    kind=kind,
                    parent_code=parent,
                    level=level,
                    division_code=division,
                ),
            )
        session.commit()
        province = session.exec(select(Organisation).where(Organisation.code == "UP")).one()
        _row, token = create_token(
            session=session, actor=SYSTEM, organisation=province, name="dashboard"
        )
        session.commit()
    secret = _source(setup.test_cli_runner(), name="lower-zj", org="LOWER")
    database.engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOOD_")}
    env.update(
        {
            "BLOOD_ENV": "testing",
            "BLOOD_DATABASE_URL": url,
            "BLOOD_PII_KEY": TEST_CONFIG["PII_KEY"],
            "BLOOD_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
            "BLOOD_BABEL_DEFAULT_LOCALE": "en",
        }
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/healthz", server)
        yield {"base": base, "secret": secret, "token": token}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.loads(answer.read())


def test_the_lower_instance_pushes_and_the_upper_shows_its_figures(
    app, session, world, transfuse, compute, upper_instance
):
    transfuse("H-HZ", 2)
    transfuse("H-WZ", 1)
    compute(evaluate=True)
    with app.app_context():
        create_target(
            session=session,
            actor=SYSTEM,
            authority_code="ZJ",
            data=TargetInput(
                name="province-above",
                url=upper_instance["base"] + PATH,
                format="federation",
                secret=upper_instance["secret"],
                username="lower-zj",
            ),
        )
        tomorrow = datetime.now(UTC) + timedelta(days=1)  # today's figures are "yesterday's"
        write_summaries(session=session, actor=SYSTEM, kind="daily", now=tomorrow)
        session.commit()
        run = outbox.deliver_due(session=session, actor=SYSTEM, now=tomorrow)
    assert run.delivered == 1, run
    day = _today(world).isoformat()
    figures = _get_json(
        f"{upper_instance['base']}/api/v1/indicators?organisation=LOWER&period={day}"
        "&indicator=transfusions",
        upper_instance["token"],
    )
    assert _figure(figures, "transfusions")["value"] == 3
    province = _get_json(
        f"{upper_instance['base']}/api/v1/indicators?period={day}", upper_instance["token"]
    )
    assert _figure(province, "transfusions")["value"] == 3  # its own hospital had none
    # Sent again (a retry after a lost answer): the upper keeps it once.
    delivery = session.exec(select(Delivery)).one()
    delivery.state = "pending"
    session.add(delivery)
    session.commit()
    with app.app_context():
        again = outbox.deliver_due(session=session, actor=SYSTEM, now=tomorrow)
    assert again.delivered == 1
    figures = _get_json(
        f"{upper_instance['base']}/api/v1/indicators?organisation=LOWER&period={day}"
        "&indicator=transfusions",
        upper_instance["token"],
    )
    assert _figure(figures, "transfusions")["value"] == 3
