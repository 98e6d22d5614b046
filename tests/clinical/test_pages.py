"""The hospital's clinical pages: Chinese and English, words not codes, the forms taking the
API's rules, the patient found by a POST, the committee's review audited."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from blood.audit import AuditEvent
from blood.clinical.models import AdverseReaction, Transfusion
from blood.stock.models import Unit
from tests.clinical.helpers import now, payload
from tests.conftest import csrf_token_of, login

RAW_CODES = re.compile(
    r">[^<]*\b(red_cells|approval_missing|red_cells_hb_high|department_head|"
    r"medical_department|senior_doctor|febrile_non_haemolytic|minor_or_none|not_determined|"
    r"no_indication|45_59|18_44|75_plus|patient_group_unknown|no_pre_value|"
    r"rhd_positive_emergency|taco|emergency_reason|patient_record_number)\b[^<]*<"
)


def assert_words_not_codes(html: str) -> None:
    text = re.sub(r"<[^>]+>", " ", html)
    assert "None" not in text, "a None shows on the page"
    assert "%(" not in text, "a message with its placeholders"
    match = RAW_CODES.search(html)
    assert not match, match.group(0)


@pytest.fixture
def history(client, his, unit_in_stock):
    """A flagged emergency, an approval missing, an outcome and a reaction at H-HZ."""
    emergency = client.post(
        "/api/v1/transfusions",
        headers=his,
        json=payload(
            unit_in_stock(abo="O", rhd="+"),
            patient_abo="O",
            patient_rhd="-",
            emergency=True,
            emergency_reason="失血性休克",
            pre_hb_g_l=120,
            indication=None,
        ),
    ).json
    for hours in (10, 8):
        start = now() - timedelta(hours=hours)
        second = client.post(
            "/api/v1/transfusions",
            headers=his,
            json=payload(
                unit_in_stock(),
                patient_record_number="ZY-55",
                patient_age_band="45_59",
                patient_birth_year=None,
                started_at=start.isoformat(),
                ended_at=(start + timedelta(hours=1)).isoformat(),
            ),
        ).json
    client.post(
        f"/api/v1/transfusions/{second['id']}/outcome",
        headers=his,
        json={"measured_at": (now() - timedelta(hours=2)).isoformat(), "hb_g_l": 70},
    )
    reaction = client.post(
        "/api/v1/adverse-reactions",
        headers=his,
        json={
            "transfusions": [second["id"]],
            "category": "taco",
            "severity": 3,
            "imputability": "probable",
            "outcome": "not_determined",
            "onset_at": (now() - timedelta(hours=1)).isoformat(),
        },
    ).json
    return {"emergency": emergency, "second": second, "reaction": reaction}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_page_speaks_the_users_language_in_words_not_codes(client, history, lang):
    login(client, "hhz.officer")
    client.get(f"/lang/{lang}")
    pages = [
        "/clinical/transfusions",
        f"/clinical/transfusions/{history['emergency']['id']}",
        f"/clinical/transfusions/{history['second']['id']}",
        "/clinical/transfusions/new",
        "/clinical/review",
        "/clinical/figures",
        "/clinical/reactions",
        f"/clinical/reactions/{history['reaction']['id']}",
        f"/clinical/reactions/new?transfusion={history['second']['id']}",
        "/clinical/reactions/new",
        "/clinical/transfusions?flag=approval_missing&component=red_cells",
    ]
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200, page
        html = answer.get_data(as_text=True)
        assert_words_not_codes(html)
        if lang == "zh_CN":
            assert "Transfusion register" not in html and "Flags for review" not in html, page
            assert "输血" in html, page


def test_the_record_page_says_what_the_committee_should_see(client, history):
    login(client, "hhz.officer")
    html = client.get(f"/clinical/transfusions/{history['emergency']['id']}").get_data(as_text=True)
    assert "RhD-positive red cells (O+) given to an RhD-negative patient (O-)" in html
    assert "Reported to the supervising authority" in html
    assert "Red cells at a pre-transfusion haemoglobin of 120 g/L" in html
    record = client.get(f"/clinical/transfusions/{history['second']['id']}").get_data(as_text=True)
    assert "800 mL of whole blood in 24 hours needs the approval of" in record
    assert "Reaction" in record


def test_the_register_filters_by_flag_component_department_and_dates(client, history):
    login(client, "hhz.officer")

    def ids(**query):
        html = client.get("/clinical/transfusions", query_string=query).get_data(as_text=True)
        return {int(i) for i in re.findall(r'data-transfusion="(\d+)"', html)}

    every = ids()
    assert len(every) == 3
    assert ids(flag="approval_missing") == {history["second"]["id"]}
    assert ids(flag="rhd_positive_emergency") == {history["emergency"]["id"]}
    assert ids(component="plasma") == set()
    assert ids(department="普外科") == every and ids(department="骨科") == set()
    # The register's dates are the hospital's (Asia/Shanghai), whatever the hour in UTC.
    tomorrow = (now().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    tomorrow = tomorrow.isoformat()
    assert ids(date_from=tomorrow) == set()
    bad = client.get("/clinical/transfusions", query_string={"flag": "nonsense"})
    assert bad.status_code == 422


def test_a_patient_is_found_by_a_post_so_the_number_never_reaches_a_url(client, history):
    login(client, "hhz.officer")
    page = client.get("/clinical/transfusions").get_data(as_text=True)
    assert 'method="post"' in page and 'name="patient_record_number"' in page
    found = client.post(
        "/clinical/transfusions",
        data={"csrf_token": csrf_token_of(page), "patient_record_number": "zy 55"},
    )
    html = found.get_data(as_text=True)
    listed = re.findall(r'data-transfusion="(\d+)"', html.split("All transfusions")[0])
    assert len(listed) == 2 and "ZY-55" not in html


def test_recording_a_transfusion_through_the_form(client, session, world, unit_in_stock):
    unit = unit_in_stock(abo="A", rhd="+")
    login(client, "hhz.officer")
    page = client.get("/clinical/transfusions/new").get_data(as_text=True)
    assert unit.din in page
    start = (now() + timedelta(hours=8) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "csrf_token": csrf_token_of(page),
        "unit": f"{unit.din}|{unit.product_code}|00",
        "patient_record_number": "ZY-300",
        "patient_sex": "M",
        "patient_birth_year": "1960",
        "patient_group": "O+",
        "department": "骨科",
        "indication": "D62",
        "pre_hb_g_l": "66",
        "started_at": start,
        "ended_at": start,
        "volume_given_ml": "280",
        "ordering_doctor": "D0001",
        "surgical": "on",
    }
    refused = client.post("/clinical/transfusions/new", data=form)
    assert refused.status_code == 422
    assert "ABO incompatible" in refused.get_data(as_text=True)
    form["patient_group"] = "A+"
    form["approval_department_head"] = "K-1001"
    made = client.post("/clinical/transfusions/new", data={**form, "confirmed": "1"})
    assert made.status_code == 302, made.get_data(as_text=True)[-2000:]
    record = session.exec(select(Transfusion)).one()
    assert record.patient_abo == "A" and record.surgical is True
    assert record.started_at.hour == (now() - timedelta(hours=3)).hour  # the hospital's time


def _transfusion_form(page: str, unit) -> dict[str, str]:
    start = (now() + timedelta(hours=8) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    return {
        "csrf_token": csrf_token_of(page),
        "unit": f"{unit.din}|{unit.product_code}|00",
        "patient_record_number": "ZY-301",
        "patient_birth_year": "1970",
        "patient_group": "A+",
        "department": "骨科",
        "started_at": start,
        "ended_at": start,
        "volume_given_ml": "280",
    }


def test_transfusing_asks_for_confirmation_and_records_nothing_until_confirmed(
    client, session, world, unit_in_stock
):
    unit = unit_in_stock(abo="A", rhd="+")
    login(client, "hhz.officer")
    page = client.get("/clinical/transfusions/new").get_data(as_text=True)
    form = _transfusion_form(page, unit)
    asked = client.post("/clinical/transfusions/new", data=form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"Record {unit.label} as transfused?" in html
    assert "cannot be undone" in html and "280 mL given to patient" in html
    assert 'name="confirmed" value="1"' in html and 'value="ZY-301"' in html
    # What the record will carry is said before it is made (no ordering doctor here).
    assert "The record will carry these flags for the committee" in html
    assert_words_not_codes(html)
    session.expire_all()
    assert session.exec(select(Transfusion)).all() == []
    assert session.exec(select(Unit).where(Unit.id == unit.id)).one().state == "received"
    audited = select(AuditEvent).where(AuditEvent.action.like("transfusion%"))
    assert session.exec(audited).all() == []

    # The confirmation step posts the same form back, with the answer.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert hidden.pop("confirmed") == "1"
    assert {k: v for k, v in hidden.items() if k != "csrf_token"} == {
        k: v for k, v in form.items() if k != "csrf_token"
    }
    made = client.post("/clinical/transfusions/new", data={**form, "confirmed": "1"})
    assert made.status_code == 302, made.get_data(as_text=True)[-2000:]
    session.expire_all()
    record = session.exec(select(Transfusion)).one()
    assert record.unit_id == unit.id and record.volume_given_ml == 280
    assert session.exec(select(Unit).where(Unit.id == unit.id)).one().state == "transfused"


def test_a_refused_transfusion_is_refused_before_the_question_is_asked(
    client, session, world, unit_in_stock
):
    unit = unit_in_stock(abo="A", rhd="+")
    login(client, "hhz.officer")
    page = client.get("/clinical/transfusions/new").get_data(as_text=True)
    form = {**_transfusion_form(page, unit), "patient_group": "O+"}
    refused = client.post("/clinical/transfusions/new", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "ABO incompatible" in html and 'name="confirmed"' not in html
    session.expire_all()
    assert session.exec(select(Transfusion)).all() == []


def test_a_link_from_a_unit_chooses_it_on_the_form(client, unit_in_stock):
    unit = unit_in_stock()
    login(client, "hhz.officer")
    value = f"{unit.din}|{unit.product_code}|00"
    page = client.get("/clinical/transfusions/new", query_string={"unit": value})
    assert f'value="{value}" selected' in page.get_data(as_text=True)


def test_a_missing_field_is_shown_beside_it_by_its_label(client, unit_in_stock):
    unit_in_stock()
    login(client, "hhz.officer")
    page = client.get("/clinical/transfusions/new").get_data(as_text=True)
    answer = client.post("/clinical/transfusions/new", data={"csrf_token": csrf_token_of(page)})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Patient record number" in html and "patient_record_number</a>" not in html


def test_the_committee_marks_a_transfusion_reviewed_and_it_is_audited(client, session, history):
    login(client, "hhz.officer")
    page = client.get("/clinical/review").get_data(as_text=True)
    target = history["emergency"]["id"]
    assert f'data-transfusion="{target}"' in page
    done = client.post(
        f"/clinical/transfusions/{target}/review",
        data={"csrf_token": csrf_token_of(page), "comment": "抢救用血，属实", "back": "review"},
    )
    assert done.status_code == 302
    assert f'data-transfusion="{target}"' not in client.get("/clinical/review").get_data(
        as_text=True
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "transfusion.review")).one()
    assert event.changes["review_comment"] == [None, "抢救用血，属实"]
    assert event.changes["review_status"] == ["open", "reviewed"]


def test_an_outcome_through_the_record_page(client, session, history):
    login(client, "hhz.officer")
    url = f"/clinical/transfusions/{history['emergency']['id']}"
    page = client.get(url).get_data(as_text=True)
    measured = (now() + timedelta(hours=8) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        f"{url}/outcome",
        data={"csrf_token": csrf_token_of(page), "measured_at": measured, "hb_g_l": "131"},
    )
    assert answer.status_code == 302
    assert "rise 5.5 g/L per unit over 2 units" in client.get(url).get_data(as_text=True)


def test_a_reaction_reported_through_the_form_is_alerted_when_severe(client, session, history):
    login(client, "hhz.officer")
    source = history["emergency"]["id"]
    page = client.get(f"/clinical/reactions/new?transfusion={source}").get_data(as_text=True)
    onset = (now() + timedelta(hours=8) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        f"/clinical/reactions/new?transfusion={source}",
        data={
            "csrf_token": csrf_token_of(page),
            "transfusion_source": str(source),
            "transfusion": str(source),
            "category": "acute_haemolytic",
            "severity": "4",
            "imputability": "possible",
            "outcome": "death",
            "onset_at": onset,
            "description": "血红蛋白尿，血压下降",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[-1500:]
    made = session.exec(select(AdverseReaction).where(AdverseReaction.severity == 4)).one()
    assert made.alert_required
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "alerted at once" in page


def test_the_monthly_figures_count_the_hospitals_month(client, his, history):
    from datetime import datetime

    zone = ZoneInfo("Asia/Shanghai")
    month = now().astimezone(zone).strftime("%Y-%m")
    listed = client.get("/api/v1/transfusions", headers=his).json["items"]
    expected = [
        t
        for t in listed
        if datetime.fromisoformat(t["started_at"]).astimezone(zone).strftime("%Y-%m") == month
    ]
    login(client, "hhz.officer")
    html = client.get("/clinical/figures", query_string={"month": month}).get_data(as_text=True)
    assert f"<strong>{len(expected)}</strong>transfusions" in html.replace("\n", "")
    if any(t["emergency"] for t in expected):
        assert "Emergency" in html


@pytest.mark.parametrize("username", ["hz.inspector", "bc.clerk", "sca.registrar"])
def test_the_clinical_pages_are_the_hospitals(client, world, username):
    login(client, username)
    for page in ("/clinical/transfusions", "/clinical/review", "/clinical/figures"):
        assert client.get(page).status_code == 403, (username, page)


def test_another_hospitals_record_is_not_found(client, headers, unit_in_stock):
    theirs = client.post(
        "/api/v1/transfusions",
        headers=headers("H-WZ"),
        json=payload(unit_in_stock(hospital="H-WZ")),
    ).json
    login(client, "hhz.officer")
    assert client.get(f"/clinical/transfusions/{theirs['id']}").status_code == 404
