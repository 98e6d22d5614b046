"""A real browser (Debian's Chromium, headless, driven by Playwright) walks the regulator's
dashboard against a real server: the province's page with its charts, a drill-down to a
hospital and back up with the period kept, an alert acknowledged, a CSV downloaded — and a
city inspector who sees only their city. No Content-Security-Policy violation on the way."""

from __future__ import annotations

import shutil
import threading
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from blood.accounts.roles import AuthorityLevel, OrgKind, Role
from blood.accounts.scoping import Actor
from blood.accounts.service import OrganisationInput, create_organisation, create_user
from blood.db import get_db
from blood.supervision import service as supervision
from tests.browser.test_station_flow import CHROMIUM
from tests.clinical.helpers import make_unit
from tests.conftest import wipe_committed

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password"
ORGS = [
    # code, kind, parent, level, division, Chinese name, English name
    ("ZJ", OrgKind.AUTHORITY, None, AuthorityLevel.PROVINCE, "330000", "浙江省卫生健康委员会",
     "Zhejiang Health Commission"),
    ("HZ", OrgKind.AUTHORITY, "ZJ", AuthorityLevel.CITY, "330100", "杭州市卫生健康委员会",
     "Hangzhou Health Commission"),
    ("WZ", OrgKind.AUTHORITY, "ZJ", AuthorityLevel.CITY, "330300", "温州市卫生健康委员会",
     "Wenzhou Health Commission"),
    ("BC", OrgKind.BLOOD_CENTRE, "ZJ", None, None, "浙江省血液中心", "Zhejiang Blood Centre"),
    ("H-HZ", OrgKind.HOSPITAL, "HZ", None, None, "杭州市第一人民医院", "Hangzhou First Hospital"),
    ("H-WZ", OrgKind.HOSPITAL, "WZ", None, None, "温州医科大学附属第一医院",
     "Wenzhou Medical University First Hospital"),
]  # fmt: skip
USERS = [
    ("zj.inspector", "ZJ", "en"),
    ("hz.inspector", "HZ", "en"),
    ("zj.inspector.zh", "ZJ", "zh_CN"),
]


@pytest.fixture
def live_dashboard(base_app):
    """Committed organisations, stock at both hospitals, indicators computed and alerts
    judged (every holder is below some minimum), and a real HTTP server."""
    engine = get_db(base_app).engine
    system = Actor.system("tests")
    with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
        made = {}
        for code, kind, parent, level, division, zh, en in ORGS:
            made[code] = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code=code, name_zh=zh, name_en=en, kind=kind, parent_code=parent,
                    level=level, division_code=division,
                ),
            )  # fmt: skip
        for username, org, locale in USERS:
            create_user(
                session=session,
                actor=system,
                organisation=made[org],
                username=username,
                display_name=username,
                password=PASSWORD,
                roles=[Role.INSPECTOR.value],
                locale=locale,
            )
        world = SimpleNamespace(org=made.__getitem__)
        for hospital, n in (("H-HZ", 3), ("H-WZ", 1)):
            for _ in range(n):
                make_unit(session, world, hospital=hospital, abo="A")
        supervision.compute_indicators(session=session, actor=system)
        supervision.evaluate_alerts(session=session, actor=system)
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
    """Debian's Chromium, headless, launched as the station flow's tests launch it."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), "Debian's chromium is not installed (apt-get install chromium)"
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


def watch_csp(page) -> list[str]:
    """Console messages about a refused script or style (a CSP violation)."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def test_the_province_drills_down_to_a_hospital_and_back_keeping_the_period(
    live_dashboard, browser, tmp_path
):
    page = browser.new_page(locale="en-GB")
    violations = watch_csp(page)
    log_in(page, live_dashboard, "zj.inspector")
    page.click("header nav >> text=Supervision")
    assert page.locator("h1").inner_text().startswith("Zhejiang Health Commission")
    assert page.locator("svg.pygal-chart").count() >= 1
    box = page.locator("svg.pygal-chart").first.bounding_box()
    assert box and box["width"] > 200  # drawn, at a readable size
    page.select_option("#f-kind", "quarter")
    page.click(".picker-form:first-of-type button[type=submit]")
    assert "period=" in page.url and "-Q" in page.url
    quarter = page.url.split("period=", 1)[1]

    page.click("#t-children >> text=Hangzhou Health Commission")
    assert page.locator("h1").inner_text().startswith("Hangzhou Health Commission")
    assert f"period={quarter}" in page.url
    page.click("#t-children >> text=Hangzhou First Hospital")
    assert page.locator("h1").inner_text().startswith("Hangzhou First Hospital")
    assert f"period={quarter}" in page.url
    assert page.locator("#t-stock td.phase-red, #t-stock td.phase-none").count() > 0
    page.screenshot(path=str(tmp_path / "hospital.png"), full_page=True)

    page.click(".breadcrumb >> text=Zhejiang Health Commission")
    assert page.locator("h1").inner_text().startswith("Zhejiang Health Commission")
    assert f"period={quarter}" in page.url
    assert violations == []


def test_an_inspector_acknowledges_an_alert(live_dashboard, browser):
    page = browser.new_page(locale="en-GB")
    violations = watch_csp(page)
    log_in(page, live_dashboard, "hz.inspector")
    page.click("header nav >> text=Alerts")
    page.click("#t-alerts tbody tr:first-child td a")
    assert "Hangzhou First Hospital" in page.locator("#message").inner_text()
    assert page.locator("#status").inner_text() == "Open"
    page.fill("#f-ack-comment", "Called the hospital's blood bank")
    page.click("#acknowledge button[type=submit]")
    assert page.locator("#status").inner_text() == "Acknowledged"
    assert "Called the hospital's blood bank" in page.locator("#history").inner_text()
    assert violations == []


def test_a_csv_downloads_with_a_bom_and_only_the_citys_names(live_dashboard, browser, tmp_path):
    page = browser.new_page(locale="en-GB", accept_downloads=True)
    log_in(page, live_dashboard, "hz.inspector")
    page.goto(f"{live_dashboard}/supervision/")
    body = page.locator("main").inner_text()
    assert "Hangzhou First Hospital" in body and "Wenzhou" not in body
    with page.expect_download() as info:
        page.click("#t-stock a.export")
    saved = tmp_path / "stock.csv"
    info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Hangzhou First Hospital" in text and "Wenzhou" not in text


def test_the_dashboard_reads_in_chinese(live_dashboard, browser, tmp_path):
    page = browser.new_page(locale="zh-CN")
    violations = watch_csp(page)
    log_in(page, live_dashboard, "zj.inspector.zh")
    page.goto(f"{live_dashboard}/supervision/")
    assert page.locator("h1").inner_text().startswith("浙江省卫生健康委员会")
    assert "杭州市卫生健康委员会" in page.locator("#t-children").inner_text()
    assert "采浆人次" not in page.locator("main").inner_text()  # no stations here
    chart = page.locator("#chart-trend-transfusions svg.pygal-chart")
    assert chart.get_attribute("aria-label") == "输血 (袋次)"
    assert "输血 (袋次)" in chart.locator("text.title").first.text_content()
    page.screenshot(path=str(tmp_path / "province-zh.png"), full_page=True)
    assert violations == []
