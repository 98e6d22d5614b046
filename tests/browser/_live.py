"""A committed site for the queue and accessibility browser tests: a station with one user
per role and two donors checked in today, a blood centre, a hospital, a manufacturer and the
province; a real HTTP server on a free loopback port; Debian's Chromium."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import get_db
from blood.donors import service as donors
from blood.plasma import service as plasma
from tests.browser.test_station_flow import CHROMIUM
from tests.conftest import commit_world, make_resident_id, wipe_committed

PASSWORD = "browser-test-password"
USERS = [
    ("st.registrar", "PS-CA", [Role.REGISTRAR], "en"),
    ("st.registrar.zh", "PS-CA", [Role.REGISTRAR], "zh_CN"),
    ("st.physician", "PS-CA", [Role.PHYSICIAN], "en"),
    ("st.quality", "PS-CA", [Role.QUALITY, Role.LAB], "zh_CN"),
    ("st.admin", "PS-CA", [Role.ORG_ADMIN], "en"),
    ("bc.clerk", "BC", [Role.STOCK_CLERK], "en"),
    ("h.officer", "H-HZ", [Role.TRANSFUSION_OFFICER], "zh_CN"),
    ("mf.clerk", "MF", [Role.RECEIVING_CLERK], "en"),
    ("zj.inspector", "ZJ", [Role.INSPECTOR], "en"),
]
# The user whose home page shows each kind of organisation.
HOME_OF_KIND = {
    "plasma_station": "st.registrar",
    "blood_centre": "bc.clerk",
    "hospital": "h.officer",
    "manufacturer": "mf.clerk",
    "authority": "zj.inspector",
}


@pytest.fixture
def live_site(base_app):
    engine = get_db(base_app).engine
    made = commit_world(
        base_app,
        [
            ("PS-CA", OrgKind.PLASMA_STATION, "淳安县单采血浆站"),
            ("BC", OrgKind.BLOOD_CENTRE, "浙江省血液中心"),
            ("H-HZ", OrgKind.HOSPITAL, "杭州市第一人民医院"),
            ("MF", OrgKind.MANUFACTURER, "华兰生物"),
        ],
        USERS,
        facility_ids={"PS-CA": "P3327", "BC": "B3300"},
        areas={"PS-CA": ["330127"]},
        password=PASSWORD,
    )
    with base_app.app_context(), get_db(base_app).new_session(bind=engine) as session:
        station = session.merge(made["PS-CA"])
        registrar = Actor.for_organisation("user", None, "tests", station, [Role.REGISTRAR])
        for serial, name in ((301, "汪志明"), (302, "欧阳文静")):
            donors.register_donor(
                session=session,
                actor=registrar,
                data=donors.DonorRegistration(
                    resident_id=make_resident_id(serial=serial), name=name, abo="O", rhd="+"
                ),
            )
            plasma.check_in(
                session=session, actor=registrar, resident_id=make_resident_id(serial=serial)
            )
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
    page.wait_for_load_state()
