"""The donor pages do not invite mistakes: final deferral actions are confirmed first, no
reason is preselected, fields are named by their labels, and Chinese pages say 姓名 and
speak one language."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import select

from blood.donors.models import Deferral
from tests.conftest import login, make_resident_id
from tests.helpers import register
from tests.plasma.forms import post


def _chinese(session, world, username):
    user = world.users[username]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()


def _donor(app, session, world):
    with app.app_context():
        donor = register(session, world)
        session.commit()
    return donor


def test_permanent_deferral_is_confirmed_first(app, client, session, world):
    donor = _donor(app, session, world)
    url = f"/station/donors/{donor.id}"
    login(client, "sca.physician")
    form = {"reason_code": "high_risk_behaviour", "permanent": "true", "note": "stated at visit"}
    asked = post(client, url + "/deferrals", form, page=url)
    assert asked.status_code == 200
    assert "Record a permanent deferral?" in asked.get_data(as_text=True)
    assert session.exec(select(Deferral)).all() == []
    done = post(client, url + "/deferrals", {**form, "confirmed": "1"}, page=url)
    assert done.status_code == 302
    [deferral] = session.exec(select(Deferral)).all()
    assert deferral.permanent and deferral.note == "stated at visit"


def test_temporary_deferral_needs_no_confirmation(app, client, session, world):
    donor = _donor(app, session, world)
    url = f"/station/donors/{donor.id}"
    login(client, "sca.physician")
    until = (date.today() + timedelta(days=30)).isoformat()
    done = post(client, url + "/deferrals", {"reason_code": "medication", "ends_on": until}, url)
    assert done.status_code == 302
    assert len(session.exec(select(Deferral)).all()) == 1


def test_lifting_a_deferral_is_confirmed_first(app, client, session, world):
    donor = _donor(app, session, world)
    url = f"/station/donors/{donor.id}"
    login(client, "sca.physician")
    until = (date.today() + timedelta(days=30)).isoformat()
    post(client, url + "/deferrals", {"reason_code": "medication", "ends_on": until}, url)
    [deferral] = session.exec(select(Deferral)).all()
    lift = f"/station/deferrals/{deferral.id}/lift"
    asked = post(client, lift, {"reason": "stopped the medicine"}, page=url)
    assert asked.status_code == 200 and "Lift this deferral?" in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Deferral, deferral.id).lifted_at is None
    done = post(client, lift, {"reason": "stopped the medicine", "confirmed": "1"}, page=url)
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Deferral, deferral.id).lift_reason == "stopped the medicine"


def test_deferral_reason_is_never_preselected(app, client, session, world):
    donor = _donor(app, session, world)
    login(client, "sca.physician")
    page = client.get(f"/station/donors/{donor.id}").get_data(as_text=True)
    select_html = page.split('name="reason_code"')[1].split("</select>")[0]
    [selected] = re.findall(r'<option value="([^"]*)" selected>', select_html)
    assert selected == ""
    refused = post(
        client,
        f"/station/donors/{donor.id}/deferrals",
        {"permanent": "true"},
        page=f"/station/donors/{donor.id}",
    )
    assert refused.status_code == 303
    assert session.exec(select(Deferral)).all() == []


def test_registry_form_says_姓名_and_names_fields_by_label(client, session, world):
    _chinese(session, world, "sca.registrar")
    login(client, "sca.registrar")
    page = client.get("/station/donors/new").get_data(as_text=True)
    assert "姓名" in page and "名称" not in page.split("<form")[1]
    refused = post(client, "/station/donors/new", {"resident_id": make_resident_id(), "name": ""})
    summary = refused.get_data(as_text=True).split('class="errors"')[1].split("</div>")[0]
    assert "姓名（与身份证一致）</a>" in summary and "name</a>" not in summary
    refused = post(
        client, "/station/donors/new", {"resident_id": make_resident_id()[:17], "name": "王芳"}
    )
    assert refused.status_code == 422
    summary = refused.get_data(as_text=True).split('class="errors"')[1].split("</div>")[0]
    assert "居民身份证号码</a>" in summary and "resident_id</a>" not in summary


def test_errors_in_one_language_too_young_at_the_front_desk(client, session, world):
    _chinese(session, world, "sca.registrar")
    login(client, "sca.registrar")
    today = date.today()
    child = make_resident_id(birth=f"{today.year - 10}{today:%m}{min(today.day, 28):02d}")
    refused = post(client, "/station/donors/new", {"resident_id": child, "name": "王小明"})
    assert refused.status_code == 422
    summary = refused.get_data(as_text=True).split('class="errors"')[1].split("</div>")[0]
    message = re.sub(r"<[^>]+>", " ", summary.split(">", 1)[1])
    assert "未满 18 周岁（现年 10 岁）" in message
    assert not re.findall(r"[A-Za-z]{3,}", message), message
