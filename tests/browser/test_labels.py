"""A real browser (Debian's Chromium, headless) prints a unit's ISBT 128 label: with print
media emulated, only the label is visible (no header, navigation, footer or page text), it is
100 × 100 mm, its four quadrants are drawn with their barcodes, and the check character is
boxed. No Content-Security-Policy violation (the print button's script is a static file)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from blood.accounts.roles import OrgKind, Role
from blood.db import get_db
from blood.stock.models import ProductCode
from tests.browser.test_dashboard import browser, watch_csp  # noqa: F401  (the Chromium fixture)
from tests.clinical.helpers import make_unit
from tests.conftest import commit_world, wipe_committed

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password"


@pytest.fixture
def live_label(base_app):
    """A unit of BC's held at H-HZ, committed, and a real HTTP server: (base url, unit id)."""
    engine = get_db(base_app).engine
    made = commit_world(
        base_app,
        [
            ("BC", OrgKind.BLOOD_CENTRE, "浙江省血液中心"),
            ("H-HZ", OrgKind.HOSPITAL, "杭州市第一人民医院"),
        ],
        [("hhz.officer", "H-HZ", [Role.TRANSFUSION_OFFICER], "en")],
        password=PASSWORD,
    )
    with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
        world = SimpleNamespace(org=lambda code: session.merge(made[code]))
        if session.get(ProductCode, "E0001") is None:
            from blood.accounts.scoping import Actor
            from blood.stock import service as stock

            stock.load_product_codes(session, Actor.system("tests"))
        unit = make_unit(session, world, hospital="H-HZ", abo="A", rhd="-")
        session.commit()
        unit_id = unit.id
    server = make_server("127.0.0.1", 0, base_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", unit_id
    server.shutdown()
    thread.join(timeout=10)
    wipe_committed(engine)


def test_label_print_view_shows_only_the_label(live_label, browser):  # noqa: F811
    base, unit_id = live_label
    page = browser.new_page(locale="en-GB")
    violations = watch_csp(page)
    page.goto(f"{base}/login")
    page.fill("#f-username", "hhz.officer")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/stock/units/{unit_id}/label")
    assert page.locator(".print-button").is_visible()  # the static script showed it

    page.emulate_media(media="print")
    for hidden in ("header.top", "footer", "main > h1", ".print-tools"):
        assert not page.locator(hidden).first.is_visible(), hidden
    label = page.locator(".isbt-label")
    assert label.count() == 1 and label.is_visible()
    box = label.bounding_box()
    mm = 96 / 25.4
    assert box and abs(box["width"] - 100 * mm) < 2 and abs(box["height"] - 100 * mm) < 2
    for quadrant in (".q-din", ".q-group", ".q-product", ".q-dates"):
        assert label.locator(f"{quadrant} img.bc").is_visible(), quadrant
    assert label.locator(".q-group .group").inner_text() == "A-"
    check = label.locator(".din-check")
    assert check.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    assert page.pdf(format="A4")  # prints (headless Chromium)
    assert violations == []
