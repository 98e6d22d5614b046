"""The laboratory's work list pages its donations (50 a page) instead of cutting the list
off at a fixed number: every donation waiting for results can be reached."""

from __future__ import annotations

import re

from blood.accounts.roles import Role
from tests.conftest import login
from tests.stock.helpers import donation, staff

COUNT = 52  # more than a page (50)


def _waiting(html: str) -> list[str]:
    table = html.split('<table id="waiting">')[1].split("</table>")[0]
    return re.findall(r"<code>([A-Z0-9]+)</code>", table)


def test_the_lab_work_list_pages_the_donations_waiting_for_results(app, client, session, world):
    with app.app_context():
        made = [donation(session, world, serial=301 + 2 * i).din for i in range(COUNT)]
        staff(session, world, "bc.lab", Role.LAB)
        session.commit()
    login(client, "bc.lab")
    first = client.get("/stock/lab").get_data(as_text=True)
    second = client.get("/stock/lab?page=2").get_data(as_text=True)
    assert len(_waiting(first)) == 50 and len(_waiting(second)) == COUNT - 50
    assert sorted(_waiting(first) + _waiting(second)) == sorted(made)  # every one reachable
    assert f"Page 1 of 2 ({COUNT} in all)" in first
    [following] = re.findall(r'href="/stock/lab\?([^"]+)" rel="next"', first)
    assert sorted(following.split("&amp;")) == ["discrepancies_page=1", "page=2"]
    assert f"Page 2 of 2 ({COUNT} in all)" in second and 'rel="prev"' in second
    # No discrepancy: that list has no pager of its own.
    assert first.count('class="pager"') == 1
