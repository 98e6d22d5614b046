"""The quarantine page pages its units (50 a page) instead of cutting the list off: every unit
in quarantine can be reached, and "Release all" names only the releasable units shown."""

from __future__ import annotations

import re

from tests.conftest import login
from tests.helpers import past_collection

COUNT = 53  # more than a page (50)


def _dins(html: str) -> list[str]:
    return re.findall(r"<td><code>([A-Z0-9]+)</code></td>", html)


def test_the_quarantine_page_pages_its_units(app, client, session, world, donor):
    station = world.org("S-CA")
    with app.app_context():
        made = [past_collection(session, donor, station, 200 - i).din for i in range(COUNT)]
        session.commit()
    login(client, "sca.quality")
    first = client.get("/station/quarantine").get_data(as_text=True)
    second = client.get("/station/quarantine?page=2").get_data(as_text=True)
    assert len(_dins(first)) == 50 and len(_dins(second)) == COUNT - 50
    assert _dins(first) + _dins(second) == made  # oldest first, every unit reachable
    assert f"Page 1 of 2 ({COUNT} in all)" in first and 'rel="next"' in first
    assert 'href="/station/quarantine?page=2"' in first
    assert f"Page 2 of 2 ({COUNT} in all)" in second and 'rel="prev"' in second
    # "Release all" names the releasable units of this page, and says so.
    releasable = re.findall(r'name="releasable" value="([A-Z0-9]+)"', second)
    assert set(releasable) <= set(_dins(second)) and releasable
    assert f"Release all {len(releasable)} releasable units on this page" in second


def test_a_short_quarantine_list_has_no_pager(app, client, session, world, donor):
    station = world.org("S-CA")
    with app.app_context():
        past_collection(session, donor, station, 120)
        past_collection(session, donor, station, 100)
        session.commit()
    login(client, "sca.quality")
    html = client.get("/station/quarantine").get_data(as_text=True)
    assert len(_dins(html)) == 2 and 'class="pager"' not in html
    assert "Release all 1 releasable units</button>" in html
