"""A real browser (Debian's Chromium, headless, driven by Playwright) walks a station's day
against a real server: log in, register a donor, screen, collect, see the DIN; and a
refusal shown with its reason, in Chinese."""

from __future__ import annotations

import re
import shutil
import threading
from datetime import date

import pytest
from werkzeug.serving import make_server

from blood import isbt128
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import get_db
from blood.donors import service as donors
from tests.conftest import commit_world, make_resident_id, wipe_committed
from tests.helpers import past_collection

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser-test-password"


@pytest.fixture
def live_station(base_app):
    """Committed data and a real HTTP server on a free loopback port."""
    engine = get_db(base_app).engine
    made = commit_world(
        base_app,
        [("PS-CA", OrgKind.PLASMA_STATION, "淳安县单采血浆站")],
        [
            (username, "PS-CA", [Role.REGISTRAR, Role.PHYSICIAN, Role.COLLECTOR], locale)
            for username, locale in (("staff.en", "en"), ("staff.zh", "zh_CN"))
        ],
        facility_ids={"PS-CA": "P3327"},
        areas={"PS-CA": ["330127"]},
        password=PASSWORD,
    )
    station = made["PS-CA"]
    with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
        station = session.merge(station)
        returning = donors.register_donor(
            session=session,
            actor=Actor.for_organisation("user", None, "tests", station, [Role.REGISTRAR]),
            data=donors.DonorRegistration(
                resident_id=make_resident_id(serial=201), name="汪志明", abo="B", rhd="+"
            ),
        )
        past_collection(session, returning, station, 10)
        session.commit()

    server = make_server("127.0.0.1", 0, base_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    wipe_committed(engine)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM) or shutil.os.path.exists(CHROMIUM), (
        "Debian's chromium is not installed: `make test` installs it (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")


def answer_questionnaire(page):
    for code, answer in (
        ("feels_well", "yes"),
        ("recent_illness", "no"),
        ("new_medication", "no"),
        ("tattoo_or_piercing_12m", "no"),
        ("pregnant_or_recent_birth", "no"),
        ("high_risk_behaviour", "no"),
    ):
        page.check(f"input[name='q.{code}'][value='{answer}']")


def test_register_screen_collect_and_see_the_din(live_station, browser, tmp_path):
    page = browser.new_page(locale="en-GB")
    log_in(page, live_station, "staff.en")
    page.click("text=Front desk")
    page.click("text=Register a new donor")
    new_id = make_resident_id(birth="19880430", serial=124)
    page.fill("#f-resident_id", new_id)
    page.fill("#f-name", "徐丽娟")
    page.select_option("#f-abo", "A")
    page.select_option("#f-rhd", "+")
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text().startswith("徐丽娟")
    assert new_id not in page.content()  # only the masked form is shown

    page.click("text=Front desk")
    page.fill("#checkin-id", new_id)
    page.click("form[action$='/check-in'] button")
    page.fill("#f-weight_kg", "58")
    page.fill("#f-systolic", "116")
    page.fill("#f-diastolic", "74")
    page.fill("#f-pulse", "70")
    answer_questionnaire(page)
    page.click("form[action$='/screening'] button[type=submit]")
    assert "Eligible to donate today." in page.locator("#decision").inner_text()

    page.fill("#f-machine", "PCS2-03")
    page.fill("#f-kit_lot", "LOT-2611")
    page.fill("#f-total_weight_g", "596")
    page.fill("#f-anticoagulant_ml", "57")
    # Start 45 minutes before the prefilled end.
    end = page.input_value("#f-ended_at")
    hours, minutes = int(end[11:13]), int(end[14:16])
    total = max(hours * 60 + minutes - 45, 0)
    page.fill("#f-started_at", f"{end[:11]}{total // 60:02d}:{total % 60:02d}")
    page.click("form[action$='/collection'] button[type=submit]")

    label = page.locator("article.isbt-label")
    din = label.locator(".din-number").inner_text().replace(" ", "")
    check = label.locator(".din-check").inner_text()
    assert re.fullmatch(rf"P3327{date.today().year % 100:02d}\d{{6}}", din)
    assert check == isbt128.check_character(din)
    assert label.locator("img.bc").first.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(tmp_path / "label.png"))


def test_too_soon_is_refused_with_its_reason_in_chinese(live_station, browser, tmp_path):
    page = browser.new_page(locale="zh-CN")
    log_in(page, live_station, "staff.zh")
    page.goto(f"{live_station}/station/")
    page.fill("#checkin-id", make_resident_id(serial=201))
    page.click("form[action$='/check-in'] button")
    page.fill("#f-weight_kg", "70")
    page.fill("#f-systolic", "120")
    page.fill("#f-diastolic", "80")
    page.fill("#f-pulse", "72")
    answer_questionnaire(page)
    page.click("form[action$='/screening'] button[type=submit]")
    decision = page.locator("#decision").inner_text()
    assert "今日不符合捐献条件" in decision
    assert page.locator("[data-reason='interval']").count() == 1
    page.screenshot(path=str(tmp_path / "refusal.png"), full_page=True)
    # No collection form for an ineligible donor.
    assert page.locator("#f-total_weight_g").count() == 0
