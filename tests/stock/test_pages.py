"""The stock pages: levels, orders and their fulfilment, receipt; pages that do not invite
mistakes (destructive actions confirmed, no raw codes, no "NoneNone")."""

from __future__ import annotations

import re

from sqlmodel import select

from blood.stock import service as stock
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import BloodDonation, Unit
from tests.conftest import csrf_token_of, login
from tests.helpers import as_user, register
from tests.stock.helpers import (
    collect,
    donation,
    lab,
    logout,
    produce,
    quality,
    received,
    test_results,
    units_in_stock,
)

RAW_CODES = re.compile(
    r">\s*(pending_tests|on_hold|reactive_test|temperature_excursion|deviation_rejected|"
    r"test_out_of_range|whole_blood|red_cells|above_limit|within_limit)\s*<"
)


def assert_no_raw_codes(html: str) -> None:
    assert "None" not in re.sub(r"<[^>]+>", " ", html), "a None shows on the page"
    assert not RAW_CODES.search(html), RAW_CODES.search(html)


def post(client, url, data, *, page_url=None):
    token = csrf_token_of(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_stock_page_shows_colour_bands(client, world, stocked):
    stocked(2)
    login(client, "bc.clerk")
    html = client.get("/stock/").get_data(as_text=True)
    assert 'class="phase-green" data-group="O+"' in html  # stock but no usage yet
    assert 'class="phase-none" data-group="AB-"' in html


def test_order_fulfil_and_receive_with_an_exception_through_the_pages(
    client, session, world, stocked
):
    [unit] = stocked()
    login(client, "hhz.officer")
    created = post(
        client,
        "/stock/orders",
        {
            "centre": "BC",
            "urgency": "urgent",
            "component.0": "red_cells",
            "group.0": "O+",
            "quantity.0": "1",
        },
    )
    assert created.status_code == 302
    order_url = created.headers["Location"]
    logout(client)

    login(client, "bc.clerk")
    page = client.get(order_url).get_data(as_text=True)
    assert f'value="{unit.id}" aria-label="{unit.label}" checked' in page  # FEFO suggestion
    sent = client.post(order_url, data={"csrf_token": csrf_token_of(page), "unit": str(unit.id)})
    assert sent.status_code == 302
    dispatch_url = sent.headers["Location"]
    logout(client)

    login(client, "hhz.officer")
    page = client.get(dispatch_url).get_data(as_text=True)
    asked = client.post(dispatch_url, data={"csrf_token": csrf_token_of(page)})  # unticked
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Receive with temperature exceptions?" in html
    assert unit.label in html and 'name="confirmed" value="1"' in html
    session.expire_all()
    assert session.get(Unit, unit.id).state == UnitState.ISSUED  # nothing written yet
    received_page = client.post(
        dispatch_url, data={"csrf_token": csrf_token_of(html), "confirmed": "1"}
    )
    assert received_page.status_code == 302
    session.expire_all()
    held = session.get(Unit, unit.id)
    assert held.state == UnitState.ON_HOLD and held.discard_reason is None
    units_page = client.get("/stock/units").get_data(as_text=True)
    assert "on hold after a temperature excursion" in units_page
    assert "Temperature excursion recorded at receipt by hhz.officer" in units_page
    assert "Discard: temperature excursion" in units_page
    assert ">Transfused<" not in units_page
    assert_no_raw_codes(units_page)


def test_a_held_unit_is_discarded_from_the_page_after_confirmation(client, app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        stock.transition(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            unit=unit,
            action=Action.HOLD,
            holder=world.org("H-HZ"),
        )
        session.commit()
    login(client, "hhz.officer")
    url = f"/stock/units/{unit.id}/action"
    asked = post(
        client,
        url,
        {"action": "discard", "reason": "temperature_excursion"},
        page_url="/stock/units",
    )
    html = asked.get_data(as_text=True)
    assert "Discard " + unit.label + "?" in html
    assert "Storage temperature out of range" in html
    done = client.post(
        url,
        data={
            "csrf_token": csrf_token_of(html),
            "action": "discard",
            "reason": "temperature_excursion",
            "confirmed": "1",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Unit, unit.id).state == UnitState.DISCARDED


def test_discard_starts_with_no_reason_and_asks_first(client, app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        session.commit()
    login(client, "hhz.officer")
    page = client.get("/stock/units").get_data(as_text=True)
    assert f'<select id="reason-{unit.id}" name="reason" required><option value="" selected>' in (
        page
    )
    url = f"/stock/units/{unit.id}/action"
    no_reason = client.post(
        url,
        data={"csrf_token": csrf_token_of(page), "action": "discard", "reason": ""},
        follow_redirects=True,
    )
    assert "Choose a discard reason from the list." in no_reason.get_data(as_text=True)
    asked = client.post(
        url, data={"csrf_token": csrf_token_of(page), "action": "discard", "reason": "damaged"}
    )
    assert asked.status_code == 200 and "Bag damaged or leaking" in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Unit, unit.id).state == UnitState.RECEIVED  # only asked


def test_return_asks_first_and_transfusing_leads_to_the_clinical_record(
    client, app, session, world
):
    with app.app_context():
        [first, second] = received(session, world, 2)
        session.commit()
    login(client, "hhz.officer")
    units_page = client.get("/stock/units").get_data(as_text=True)
    assert f"/clinical/transfusions/new?unit={first.din}%7C{first.product_code}" in units_page
    for unit, action, question in ((second, "return", "Return %s to the blood centre?"),):
        url = f"/stock/units/{unit.id}/action"
        asked = post(client, url, {"action": action}, page_url="/stock/units")
        html = asked.get_data(as_text=True)
        assert question % unit.label in html
        session.expire_all()
        assert session.get(Unit, unit.id).state == UnitState.RECEIVED
        done = client.post(
            url, data={"csrf_token": csrf_token_of(html), "action": action, "confirmed": "1"}
        )
        assert done.status_code == 302
    session.expire_all()
    assert session.get(Unit, first.id).state == UnitState.RECEIVED
    assert session.get(Unit, second.id).state == UnitState.RETURNED


def ready_and_blocked(app, session, world):
    """Two BC units ready for release, and one whose donation has no results yet."""
    with app.app_context():
        ready = units_in_stock(session, world, 2, released=False)
        for unit in ready:
            test_results(session, world, session.get(BloodDonation, unit.donation_id))
        [blocked] = units_in_stock(session, world, 1, first_serial=321, released=False)
        session.commit()
    return ready, blocked


def test_release_all_shows_the_count_and_asks_first(client, app, session, world):
    ready, blocked = ready_and_blocked(app, session, world)
    login(client, "bc.collector")  # a quality manager at BC
    page = client.get("/stock/units").get_data(as_text=True)
    assert ">Release all 2<" in page and ">Release the ticked units<" in page
    assert f"{blocked.label}</code></td><td>No laboratory results yet." in page
    fields = {"csrf_token": csrf_token_of(page), "release": "all"}
    asked = client.post(
        "/stock/units",
        data={**fields, "all_unit": [str(u.id) for u in ready]},
    )
    html = asked.get_data(as_text=True)
    assert "Release all 2 units?" in html and all(u.label in html for u in ready)
    session.expire_all()
    assert {session.get(Unit, u.id).state for u in ready} == {UnitState.PENDING_TESTS}
    done = client.post(
        "/stock/units",
        data={
            "csrf_token": csrf_token_of(html),
            "release": "all",
            "all_unit": [str(u.id) for u in ready],
            "confirmed": "1",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    assert {session.get(Unit, u.id).state for u in ready} == {UnitState.AVAILABLE}
    assert session.get(Unit, blocked.id).state == UnitState.PENDING_TESTS


def test_nothing_ticked_releases_nothing(client, app, session, world):
    ready, _blocked = ready_and_blocked(app, session, world)
    login(client, "bc.collector")
    page = client.get("/stock/units").get_data(as_text=True)
    response = client.post(
        "/stock/units",
        data={
            "csrf_token": csrf_token_of(page),
            "release": "ticked",
            "all_unit": [str(u.id) for u in ready],
        },
        follow_redirects=True,
    )
    assert "Choose at least one unit." in response.get_data(as_text=True)
    session.expire_all()
    assert {session.get(Unit, u.id).state for u in ready} == {UnitState.PENDING_TESTS}
    ticked = client.post(
        "/stock/units",
        data={"csrf_token": csrf_token_of(page), "release": "ticked", "unit": str(ready[0].id)},
    )
    assert ticked.status_code == 302
    session.expire_all()
    assert session.get(Unit, ready[0].id).state == UnitState.AVAILABLE
    assert session.get(Unit, ready[1].id).state == UnitState.PENDING_TESTS


def test_an_unknown_group_reads_as_such(client, app, session, world):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector", abo=None, rhd=None)
        d = collect(session, world)
        produce(session, world, d, stock.ComponentInput("E0001", 280))
        session.commit()
    login(client, "bc.clerk")
    html = client.get(f"/stock/donations/{d.id}").get_data(as_text=True)
    assert "Group unknown" in html and "Not yet confirmed by the laboratory" in html
    assert_no_raw_codes(html)
    units_page = client.get("/stock/units").get_data(as_text=True)
    assert "Group unknown" in units_page
    assert_no_raw_codes(units_page)


def test_collecting_whole_blood_says_so_and_a_deviation_needs_a_reason(client, session, world):
    with client.application.app_context():
        register(session, world, serial=301, username="bc.collector")
        session.commit()
    from tests.conftest import make_resident_id

    login(client, "bc.collector")
    form = {
        "donor": make_resident_id(serial=301),
        "kind": "whole_blood",
        "volume_ml": "450",
        "weight_kg": "65",
        "systolic": "120",
        "diastolic": "78",
        "pulse": "70",
        "hb_g_l": "140",
    }
    refused = post(client, "/stock/collect", form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert ">Why the volume is outside 200, 300 or 400 mL</a>: 450 mL is outside" in html
    assert session.exec(select(BloodDonation)).all() == []
    done = post(client, "/stock/collect", {**form, "deviation_reason": "bag overfilled"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Whole blood collected: DIN" in page
    assert "Recorded with a deviation" in page
    assert "450 mL collected; nearest allowed volume 400 mL (± 10 %)." in page
    assert "Waiting for the quality manager" in page
    assert_no_raw_codes(page)


def test_an_error_summary_names_the_field_by_its_label(client, session, world):
    login(client, "bc.collector")
    response = post(
        client, "/stock/collect", {"donor": "x", "kind": "whole_blood", "volume_ml": "0"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#f-volume_ml">Volume (mL)</a>' in html
    assert ">volume_ml<" not in html


def test_the_donation_page_shows_words_not_codes(client, app, session, world):
    with app.app_context():
        d = donation(session, world)
        produce(session, world, d, stock.ComponentInput("E0001", 280))
        test_results(session, world, d, hbsag="reactive")
        session.commit()
    login(client, "bc.clerk")
    html = client.get(f"/stock/donations/{d.id}").get_data(as_text=True)
    assert "discarded: Reactive screening test" in html
    assert "Reactive: HBsAg." in html
    assert_no_raw_codes(html)


def test_the_lab_page_takes_one_sample_and_a_batch(client, app, session, world):
    with app.app_context():
        first = donation(session, world, serial=301)
        second = donation(session, world, serial=303)
        lab(session, world)
        session.commit()
    login(client, "bc.lab")
    page = client.get("/stock/lab").get_data(as_text=True)
    assert first.din in page and second.din in page  # waiting for results
    one = post(
        client,
        "/stock/lab",
        {
            "din": first.din + first.check_character,
            "abo": "O",
            "rhd": "+",
            "alt": "18",
            "hbsag": "negative",
            "anti_hcv": "negative",
            "anti_hiv": "negative",
            "syphilis": "negative",
            "nat": "negative",
        },
    )
    assert one.status_code == 302, one.get_data(as_text=True)
    batch = post(
        client,
        "/stock/lab",
        {"batch": f"din,abo,rhd,alt\n{second.din},O,+,,negative,negative\n"},
    )
    assert batch.status_code == 422  # a header line is skipped; this one is short
    assert "Expected 9 values" in batch.get_data(as_text=True)
    batch = post(client, "/stock/lab", {"batch": f"{second.din}\tO\t+\t\tnegative\tmaybe\t\t\t\n"})
    assert batch.status_code == 422
    assert "Line 1: anti-HCV" in batch.get_data(as_text=True)
    batch = post(
        client, "/stock/lab", {"batch": f"{second.din}\tO\t+\t\tnegative\tnegative\t\t\t\n"}
    )
    assert batch.status_code == 302
    session.expire_all()
    status = stock.donation_statuses(
        session=session, donations=[session.get(BloodDonation, second.id)]
    )[second.id]
    assert sorted(status.results) == ["anti_hcv", "hbsag"]
    assert session.get(BloodDonation, second.id).group_status == "confirmed"


def test_the_example_batch_line_on_the_lab_page_parses(client, app, session, world):
    with app.app_context():
        lab(session, world)
        session.commit()
    login(client, "bc.lab")
    page = client.get("/stock/lab").get_data(as_text=True)
    example = re.search(r'<code id="batch-example">([^<]+)</code>', page).group(1)
    response = post(client, "/stock/lab", {"batch": example})
    html = response.get_data(as_text=True)
    # Every value of the example is taken; only its DIN is no donation of this centre.
    assert response.status_code == 422
    assert "No donation of this blood centre has this DIN." in html
    assert "Expected" not in html and "Negative or reactive" not in html
    assert "does not match" not in html and 'id="f-din-error"' not in html
    assert "Line 1: DIN" in html


def test_the_example_batch_line_records_results_for_a_real_donation(app, session, world):
    from blood.stock.views import lab as views

    markers = ("alt", "hbsag", "anti_hcv", "anti_hiv", "syphilis", "nat")
    with app.test_request_context():
        rows, errors = views.parse_batch(views.example_batch_line(markers), markers)
        assert errors == {}
        d = donation(session, world)
        rows[0]["din"] = d.din + d.check_character
        loaded, errors = views._load_rows(rows, markers, batch=True)
        assert errors == {}
        [outcome] = stock.record_lab_results(
            session=session, actor=lab(session, world), results=views._lab_inputs(loaded, markers)
        )
    assert outcome.failed == [] and outcome.donation.id == d.id


def test_a_group_discrepancy_page_says_how_to_resolve(client, app, session, world):
    with app.app_context():
        d = donation(session, world, abo="A", rhd="+")
        produce(session, world, d, stock.ComponentInput("E0001", 280))
        test_results(session, world, d, abo="B", rhd="+")
        quality(session, world)
        session.commit()
    login(client, "bc.quality")
    html = client.get(f"/stock/donations/{d.id}").get_data(as_text=True)
    assert "The laboratory found B+; the donor's record says A+." in html.replace("&#39;", "'")
    assert "How to resolve" in html and "Resolve the discrepancy" in html
    done = post(
        client,
        f"/stock/donations/{d.id}/group",
        {"group": "B+", "note": "segment retested B+"},
        page_url=f"/stock/donations/{d.id}",
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(BloodDonation, d.id).group_status == "resolved"


def test_the_quality_manager_rejects_a_deviation_after_confirming(client, app, session, world):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        d = collect(session, world, volume=520, deviation_reason="scale misread")
        [unit] = produce(session, world, d, stock.ComponentInput("E0001", 300))
        quality(session, world)
        session.commit()
    login(client, "bc.quality")
    page = client.get("/stock/deviations").get_data(as_text=True)
    assert d.din in page and "scale misread" in page
    assert "520 mL collected; nearest allowed volume 400 mL" in page
    assert_no_raw_codes(page)
    url = f"/stock/deviations/{d.id}"
    asked = client.post(
        url, data={"csrf_token": csrf_token_of(page), "decision": "reject", "note": "too much"}
    )
    html = asked.get_data(as_text=True)
    assert f"Reject the deviation of {d.din}?" in html
    session.expire_all()
    assert session.get(BloodDonation, d.id).deviation_status == "open"
    done = client.post(
        url,
        data={
            "csrf_token": csrf_token_of(html),
            "decision": "reject",
            "note": "too much",
            "confirmed": "1",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(BloodDonation, d.id).deviation_status == "rejected"
    assert session.get(Unit, unit.id).discard_reason == "deviation_rejected"
    no_note = client.post(url, data={"csrf_token": csrf_token_of(html), "decision": "accept"})
    assert no_note.status_code == 303


def test_bad_order_form_shows_errors(client, world):
    login(client, "hhz.officer")
    response = post(
        client,
        "/stock/orders",
        {
            "centre": "BC",
            "urgency": "urgent",
            "component.0": "red_cells",
            "group.0": "O+",
            "quantity.0": "-2",
        },
    )
    assert response.status_code == 422
    assert "Must be between 1 and 1000." in response.get_data(as_text=True)


def test_station_staff_cannot_open_stock_pages(client, world):
    login(client, "sca.registrar")
    response = client.get("/stock/")
    assert response.status_code == 403
    assert "You are not allowed to do this." in response.get_data(as_text=True)


def test_a_blood_centre_registers_donors_with_the_same_form(client, session, world):
    from blood.donors.models import Donor
    from tests.conftest import make_resident_id

    login(client, "bc.collector")
    page = client.get("/station/donors/new")
    assert page.status_code == 200
    response = client.post(
        "/station/donors/new",
        data={
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
            "resident_id": make_resident_id(region="330106", serial=401),
            "name": "孙浩",
            "abo": "B",
            "rhd": "+",
        },
    )
    assert response.status_code == 302
    donor = session.exec(select(Donor)).one()
    assert donor.station_id == world.org("BC").id
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_blood_centre_pages_read_in_chinese(client, app, session, world):
    from tests.conftest import make_resident_id

    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        [ready] = units_in_stock(session, world, 1, first_serial=303, released=False)
        test_results(session, world, session.get(BloodDonation, ready.donation_id))
        lab(session, world)
        session.commit()
    login(client, "bc.collector")
    client.get("/lang/zh_CN")
    form = {
        "donor": make_resident_id(serial=301),
        "kind": "whole_blood",
        "volume_ml": "450",
        "weight_kg": "65",
        "systolic": "120",
        "diastolic": "78",
        "pulse": "70",
        "hb_g_l": "140",
    }
    refused = post(client, "/stock/collect", form).get_data(as_text=True)
    assert "采集量不是 200、300 或 400 mL 的原因" in refused  # the field's label
    done = post(client, "/stock/collect", {**form, "deviation_reason": "采血秤故障"})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "全血采集完成：DIN" in page and "采浆" not in page
    assert "已按偏差记录" in page and "实际采集 450 mL" in page
    assert "献血者登记血型" in page and "尚未经检验确认" in page
    units_page = client.get("/stock/units").get_data(as_text=True)
    assert "全部放行（1 袋）" in units_page and "放行勾选的血袋" in units_page
    assert_no_raw_codes(units_page)
    deviations = client.get("/stock/deviations").get_data(as_text=True)
    assert "采集偏差" in deviations and "采血秤故障" in deviations
    assert_no_raw_codes(deviations)
    logout(client)
    login(client, "bc.lab")
    client.get("/lang/zh_CN")
    lab_page = client.get("/stock/lab").get_data(as_text=True)
    assert "血站检验科" in lab_page and "核酸检测（HBV、HCV、HIV）" in lab_page
    assert "每个标本一行" in lab_page
    batch = post(client, "/stock/lab", {"batch": "B330026000001,O,+"}).get_data(as_text=True)
    assert "第 1 行：数值" in batch and "每行应有 9 个值" in batch
