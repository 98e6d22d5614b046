"""DHIS2: a summary as a dataValueSets import through the target's mapping, and DHIS2's
ImportSummary read in both forms (wrapped in 2.38+, bare in 2.37) — an ERROR status or any
ignored value is a failed delivery with its conflicts kept, and the delivery's state
follows what a DHIS2 stand-in on loopback answers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood.accounts.scoping import Actor
from blood.supervision.formats import dhis2
from blood.supervision.models import Delivery
from blood.supervision.service import delivery as outbox
from blood.supervision.service.common import local_date
from blood.supervision.service.summaries import write_summaries
from blood.supervision.service.targets import TargetInput, create_target
from tests.supervision.push_helpers import Receiver

SYSTEM = Actor.system("tests")
MAPPING = {
    "dataSet": "BfMAe6Itzgt",
    "orgUnits": {"ZJ": "DiszpKrYNg8"},
    "dataElements": {
        "transfusions": {"dataElement": "fbfJHSPpUQD", "categoryOptionCombo": "PT59n8BQbqM"},
        "transfusions|red_cells|surgery": {"dataElement": "cYeuwXTCPkU"},
        "stock_on_hand": {"dataElement": "Jtf34kNZhzP"},
    },
}
CONFLICT = {
    "object": "fbfJHSPpUQD",
    "objects": {"dataElement": "fbfJHSPpUQD"},
    "value": "Period: `20261203` is after latest open future period",
    "errorCode": "E7641",
    "indexes": [0],
}


def _wrapped(status: str, ignored: int, conflicts=(), http=200) -> tuple[int, dict]:
    """DHIS2 2.38+: a web message around the ImportSummary (409 when there are conflicts)."""
    return http, {
        "httpStatus": "OK" if http == 200 else "Conflict",
        "httpStatusCode": http,
        "status": "OK" if status == "SUCCESS" else status,
        "message": "One more conflicts encountered, please check import summary."
        if conflicts
        else "Import was successful.",
        "response": {
            "responseType": "ImportSummary",
            "status": status,
            "importOptions": {"idSchemes": {}, "dryRun": False},
            "description": "Import process completed successfully",
            "importCount": {
                "imported": 2 - ignored,
                "updated": 0,
                "ignored": ignored,
                "deleted": 0,
            },
            "conflicts": list(conflicts),
            "dataSetComplete": "false",
        },
    }


def _bare(status: str, ignored: int, conflicts=()) -> tuple[int, dict]:
    """DHIS2 2.37: the ImportSummary itself."""
    return 200, {
        "responseType": "ImportSummary",
        "status": status,
        "description": "Import process completed successfully",
        "importCount": {"imported": 2 - ignored, "updated": 0, "ignored": ignored, "deleted": 0},
        "conflicts": list(conflicts),
    }


DOCUMENT = {
    "authority": {"code": "ZJ"},
    "period": {"kind": "daily", "label": "2026-12-03", "dhis2": "20261203"},
    "indicators": [
        {
            "code": "transfusions",
            "value": 5,
            "breakdowns": [
                {"key": "red_cells|surgery", "value": 3},
                {"key": "red_cells|medicine", "value": 2},
            ],
        },
        {"code": "stock_on_hand", "value": 12.5, "breakdowns": []},
        {"code": "adverse_reaction_rate", "value": None, "breakdowns": []},
    ],
}


def test_the_mapping_places_totals_and_breakdowns_in_dhis2_terms():
    payload = dhis2.data_values(DOCUMENT, MAPPING)
    assert payload["dataSet"] == "BfMAe6Itzgt"
    assert payload["dataValues"] == [
        {
            "dataElement": "fbfJHSPpUQD",
            "period": "20261203",
            "orgUnit": "DiszpKrYNg8",
            "value": "5",
            "categoryOptionCombo": "PT59n8BQbqM",
        },
        {
            "dataElement": "cYeuwXTCPkU",
            "period": "20261203",
            "orgUnit": "DiszpKrYNg8",
            "value": "3",
        },
        {
            "dataElement": "Jtf34kNZhzP",
            "period": "20261203",
            "orgUnit": "DiszpKrYNg8",
            "value": "12.5",
        },
    ]


def test_an_authority_without_an_org_unit_cannot_be_placed():
    with pytest.raises(dhis2.MappingError, match="no orgUnit"):
        dhis2.data_values({**DOCUMENT, "authority": {"code": "HZ"}}, MAPPING)
    assert dhis2.check_mapping({"dataElements": {"x": {"categoryOptionCombo": "y"}}})


@pytest.mark.parametrize(
    ("answer", "delivered", "conflicts"),
    [
        (_wrapped("SUCCESS", 0), True, 0),
        (_wrapped("WARNING", 1, [CONFLICT], http=409), False, 1),
        (_wrapped("ERROR", 0, [CONFLICT], http=409), False, 1),
        (_bare("SUCCESS", 0), True, 0),
        (_bare("WARNING", 1, [CONFLICT]), False, 1),
        (_bare("ERROR", 2), False, 0),
    ],
    ids=["v38-success", "v38-ignored", "v38-error", "v37-success", "v37-ignored", "v37-error"],
)
def test_the_import_summary_reads_in_both_forms(answer, delivered, conflicts):
    status, body = answer
    outcome = dhis2.read_answer(status, json.dumps(body))
    assert outcome.delivered is delivered
    assert len(outcome.conflicts) == conflicts
    if conflicts:
        assert outcome.conflicts[0]["errorCode"] == "E7641"


def test_an_answer_that_is_not_an_import_summary_is_a_failure():
    assert not dhis2.read_answer(200, "<html>login</html>").delivered
    assert not dhis2.read_answer(401, '{"httpStatus":"Unauthorized"}').delivered


@pytest.fixture
def dhis2_delivery(app, session, world):
    def make(url: str) -> Delivery:
        with app.app_context():
            create_target(
                session=session,
                actor=SYSTEM,
                authority_code="ZJ",
                data=TargetInput(
                    name="dhis2",
                    url=url,
                    format="dhis2",
                    secret="district",
                    username="admin",
                    mapping=MAPPING,
                ),
            )
            write_summaries(session=session, actor=SYSTEM, kind="daily", now=datetime.now(UTC))
            session.commit()
        return session.exec(select(Delivery)).one()

    return make


def _attempt(app, session, delivery: Delivery, now: datetime) -> Delivery:
    with app.app_context():
        outbox.deliver_due(session=session, actor=SYSTEM, now=now)
    session.expire_all()
    return session.get(Delivery, delivery.id)


def test_the_delivery_state_follows_the_stand_ins_answers(app, session, dhis2_delivery):
    answers = [
        _wrapped("WARNING", 1, [CONFLICT], http=409),
        _bare("ERROR", 0, [CONFLICT]),
        _bare("SUCCESS", 0),
    ]

    def stand_in(receiver, headers, body):
        return answers[len(receiver.requests) - 1]

    with Receiver(stand_in) as receiver:
        delivery = dhis2_delivery(receiver.url.replace("/receive", "/api/dataValueSets"))
        delivery = _attempt(app, session, delivery, datetime.now(UTC))
        assert delivery.state == "pending" and delivery.last_status == 409
        assert delivery.conflicts[0]["errorCode"] == "E7641"
        assert "1 ignored" in delivery.last_error
        delivery = _attempt(app, session, delivery, delivery.next_attempt_at)
        assert delivery.state == "pending" and "ERROR" in delivery.last_error
        delivery = _attempt(app, session, delivery, delivery.next_attempt_at)
        assert delivery.state == "delivered" and delivery.conflicts == []
    headers, body = receiver.requests[-1]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"admin:district").decode()
    sent = json.loads(body)
    assert sent["dataSet"] == "BfMAe6Itzgt"
    yesterday = local_date(datetime.now(UTC), "Asia/Shanghai") - timedelta(days=1)
    assert {v["period"] for v in sent["dataValues"]} == {yesterday.strftime("%Y%m%d")}
    assert {v["orgUnit"] for v in sent["dataValues"]} == {"DiszpKrYNg8"}
