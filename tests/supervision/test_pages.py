"""The regulator's pages: the dashboard of a jurisdiction for a period, its drill-down and
breadcrumb, the alerts and their forms, the CSV of every table, the charts — and, above all,
that a city inspector never sees another city in any of them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlmodel import select

from blood.supervision import charts
from blood.supervision.models import Alert
from tests.conftest import csrf_token_of, login

STATIC = Path(__file__).resolve().parents[2] / "blood" / "static"
WZ_NAMES = ("WZ organisation", "H-WZ organisation", "S-WZ organisation")


@pytest.fixture
def province(world, transfuse, in_stock, compute):
    """Transfusions at both cities' hospitals (2 at H-HZ, 1 at H-WZ), stock at H-HZ, the
    indicators computed and the alerts judged (hospitals and the centre are below their
    minimum stock)."""
    transfuse("H-HZ", 2)
    transfuse("H-WZ", 1)
    in_stock("H-HZ", 3, abo="A")
    compute()
    return world


def _alert_of(session, world, org_code: str) -> Alert:
    found = session.exec(
        select(Alert).where(Alert.organisation_id == world.org(org_code).id)
    ).first()
    assert found is not None, f"no alert at {org_code}"
    return found


def _csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    body = answer.get_data()
    assert body.startswith("\ufeff".encode()), "no byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _text(answer) -> str:
    return answer.get_data(as_text=True)


# --- the dashboard -------------------------------------------------------------------------


def test_the_province_dashboard_shows_its_cities_stock_trends_and_open_alerts(client, province):
    login(client, "p.inspector")
    answer = client.get("/supervision/?period=this-month")
    assert answer.status_code == 200
    page = _text(answer)
    for name in ("HZ organisation", "WZ organisation", "BC organisation"):
        assert name in page  # the cities and the centre below the province, by name
    assert 'id="t-stock"' in page and "H-HZ organisation" in page
    assert re.search(r'class="phase-(red|amber|green|pre_amber|none)', page)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="pygal-chart"') >= 2
    assert "Transfusions" in page and "Wastage" in page
    assert "Red (level I)" in page  # severities in words, with their counts
    assert "on hand, below the minimum of" in page  # an alert as a sentence
    assert 'class="severity severity-red"' in page


def test_drilling_down_keeps_the_period_and_the_breadcrumb_leads_back_up(client, province):
    login(client, "p.inspector")
    page = _text(client.get("/supervision/?org=HZ&period=2026-W10"))
    assert "2026-W10" in page
    # Down: the county and the hospital under Hangzhou, each with the same period.
    assert re.search(r'href="/supervision/\?org=CA&amp;period=2026-W10"', page)
    assert re.search(r'href="/supervision/\?org=H-HZ&amp;period=2026-W10"', page)
    # Back up: the breadcrumb links the province, keeping the period; HZ is where we are.
    crumbs = page.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'href="/supervision/\?org=ZJ&amp;period=2026-W10">ZJ organisation', crumbs)
    assert 'aria-current="page">HZ organisation' in crumbs
    hospital = _text(client.get("/supervision/?org=H-HZ&period=2026-W10"))
    assert "H-HZ organisation" in hospital.split('class="breadcrumb"', 1)[1].split("</nav>")[0]
    assert "HZ organisation</a>" in hospital  # one level up, a link


def test_the_period_picker_goes_to_the_canonical_period_and_refuses_a_bad_one(client, province):
    login(client, "p.inspector")
    week = client.get("/supervision/?org=HZ&kind=week&on=2026-03-05")
    assert week.status_code == 302
    assert week.headers["Location"].endswith("/supervision/?org=HZ&period=2026-W10")
    ranged = client.get("/supervision/?kind=range&from=2026-03-01&to=2026-03-15")
    assert "period=2026-03-01..2026-03-15" in ranged.headers["Location"]
    quarter = _text(client.get("/supervision/?period=2026-Q1"))
    assert "2026-01-01 – 2026-03-31" in quarter
    bad = client.get("/supervision/?period=someday")
    assert bad.status_code == 422
    assert "Not a period" in _text(bad)
    assert 'id="t-figures"' in _text(bad)  # the page still shows (the default period)


def test_only_inspectors_of_an_authority_open_the_dashboard(client, province):
    login(client, "p.admin")
    assert client.get("/supervision/").status_code == 403
    assert client.get("/supervision/alerts").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token_of(_text(client.get("/")))})
    login(client, "hhz.officer")
    assert client.get("/supervision/").status_code == 403


# --- scoping: a city inspector never sees another city ---------------------------------------


def test_a_city_inspector_sees_only_their_city_in_the_page(client, province):
    login(client, "hz.inspector")
    page = _text(client.get("/supervision/?period=this-month"))
    assert "H-HZ organisation" in page and "CA organisation" in page
    for name in (*WZ_NAMES, "BC organisation"):
        assert name not in page
    assert 'href="/supervision/?org=ZJ' not in page  # the breadcrumb starts at Hangzhou


def test_another_citys_organisation_answers_404_in_pages_csv_and_alerts(client, session, province):
    login(client, "hz.inspector")
    wenzhou_alert = _alert_of(session, province, "H-WZ")
    for url in (
        "/supervision/?org=WZ",
        "/supervision/?org=H-WZ&period=this-month",
        "/supervision/?org=ZJ",
        "/supervision/export/stock.csv?org=H-WZ",
        "/supervision/export/figures.csv?org=WZ",
        "/supervision/export/trend-transfusions.csv?org=H-WZ",
        "/supervision/export/alerts.csv?org=H-WZ",
        "/supervision/alerts?organisation=H-WZ",
        "/supervision/alerts/export.csv?organisation=WZ",
        f"/supervision/alerts/{wenzhou_alert.id}",
    ):
        assert client.get(url).status_code == 404, url
    page = _text(client.get(f"/supervision/alerts/{_alert_of(session, province, 'H-HZ').id}"))
    token = csrf_token_of(page)
    for action in ("acknowledge", "close"):
        answer = client.post(
            f"/supervision/alerts/{wenzhou_alert.id}/{action}",
            data={"csrf_token": token, "comment": "not mine", "confirmed": "1"},
        )
        assert answer.status_code == 404
    session.refresh(wenzhou_alert)
    assert wenzhou_alert.status == "open"


def test_a_city_inspectors_csv_holds_only_their_city(client, province):
    login(client, "hz.inspector")
    page = _text(client.get("/supervision/?period=this-month"))
    exports = sorted(set(re.findall(r'href="(/supervision/export/[^"]+)"', page)))
    assert {"stock", "children", "figures", "alerts", "trend-transfusions"} <= {
        re.search(r"export/([\w-]+)\.csv", e).group(1) for e in exports
    }
    for url in [*exports, "/supervision/alerts/export.csv?status=all"]:
        text = "\n".join(",".join(r) for r in _csv(client.get(url.replace("&amp;", "&"))))
        for name in (*WZ_NAMES, "BC organisation"):
            assert name not in text, url
    alerts = _csv(client.get("/supervision/alerts/export.csv"))
    assert alerts[1:] and all(row[1] == "H-HZ organisation" for row in alerts[1:])


def test_a_city_inspectors_charts_count_only_their_city(client, province):
    login(client, "p.inspector")
    province_rows = _csv(client.get("/supervision/export/trend-transfusions.csv?period=this-month"))
    client.post("/logout", data={"csrf_token": csrf_token_of(_text(client.get("/")))})
    login(client, "hz.inspector")
    city_rows = _csv(client.get("/supervision/export/trend-transfusions.csv?period=this-month"))

    def total(rows):
        return sum(float(r[3] or 0) for r in rows[1:])

    assert total(province_rows) == 3  # 2 in Hangzhou, 1 in Wenzhou
    assert total(city_rows) == 2
    page = _text(client.get("/supervision/?period=this-month"))
    chart = page.split('id="chart-trend-transfusions"', 1)[1].split("</svg>", 1)[0]
    values = [float(v) for v in re.findall(r'<desc class="value">([\d.]+)</desc>', chart)]
    assert sum(values) == 2  # the city's chart draws the city's transfusions only


# --- charts, CSV, print -------------------------------------------------------------------------


def test_charts_are_inline_svg_with_no_script_or_style_so_the_csp_holds(client, province):
    login(client, "p.inspector")
    answer = client.get("/supervision/")
    page = _text(answer)
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "<svg" in page
    assert "<script" not in page and "<style" not in page
    assert "style=" not in page.split("<main", 1)[1]
    assert 'href="/static/charts.css"' in page


def test_the_chart_stylesheet_is_the_one_pygal_would_inline():
    assert (STATIC / "charts.css").read_text(encoding="utf-8") == charts.stylesheet()


def test_charts_read_chinese_labels_with_a_cjk_font():
    svg = charts.line_chart("输血", ["03-01", "03-02"], [("输血", [1, 2])], unit="袋次")
    assert "输血 (袋次)" in svg and "<script" not in svg and "<style" not in svg
    assert "Noto Sans CJK SC" in charts.stylesheet()


def test_csv_is_utf8_with_a_byte_order_mark_and_names_not_codes(client, province):
    login(client, "p.inspector")
    answer = client.get("/supervision/export/stock.csv?org=HZ")
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    rows = _csv(answer)
    assert rows[0][:2] == ["Organisation", "Organisation code"]
    hospital = [r for r in rows[1:] if r[0] == "H-HZ organisation"]
    assert hospital and {r[3] for r in hospital} >= {"Red cells"}
    a_plus = next(r for r in hospital if r[3] == "Red cells" and r[4] == "A+")
    assert a_plus[5] == "3"
    assert a_plus[8] in ("Green", "Pre-amber", "Amber", "Red", "—")


def test_csv_in_chinese_opens_with_chinese_names(client, session, province):
    login(client, "p.inspector")
    client.get("/lang/zh_CN")
    rows = _csv(client.get("/supervision/export/children.csv?period=this-month"))
    assert "HZ 机构" in {r[0] for r in rows[1:]}
    assert rows[0][0] != "Organisation"  # translated headers


def test_the_page_prints_without_navigation_or_forms(client, province):
    login(client, "p.inspector")
    page = _text(client.get("/supervision/"))
    assert '<link rel="stylesheet" href="/static/print.css" media="print">' in page
    printed = (STATIC / "print.css").read_text(encoding="utf-8")
    assert "@media print" in printed
    hidden = printed.split("display: none", 1)[0]
    for selector in ("header.top", "form", "button", ".no-print"):
        assert selector in hidden
    assert 'class="picker no-print"' in page


# --- alerts ---------------------------------------------------------------------------------------


def test_alerts_list_filters_by_severity_and_exports_all(client, province):
    login(client, "p.inspector")
    page = _text(client.get("/supervision/alerts?severity=red"))
    assert "Stock below its minimum" in page
    assert "H-WZ organisation" in page and "H-HZ organisation" in page
    none = _text(client.get("/supervision/alerts?severity=blue"))
    assert "Nothing to show." in none
    rows = _csv(client.get("/supervision/alerts/export.csv?severity=red"))
    assert rows[0][0] == "Severity" and all(r[0] == "Red (level I)" for r in rows[1:])
    assert client.get("/supervision/alerts?severity=purple").status_code == 422


def test_an_inspector_acknowledges_an_alert(client, session, province):
    login(client, "hz.inspector")
    alert = _alert_of(session, province, "H-HZ")
    page = _text(client.get(f"/supervision/alerts/{alert.id}"))
    assert "H-HZ organisation" in page and 'id="acknowledge"' in page
    answer = client.post(
        f"/supervision/alerts/{alert.id}/acknowledge",
        data={"csrf_token": csrf_token_of(page), "comment": "calling the hospital"},
    )
    assert answer.status_code == 303
    page = _text(client.get(f"/supervision/alerts/{alert.id}"))
    assert '<dd id="status">Acknowledged</dd>' in page
    assert "calling the hospital" in page and 'id="acknowledge"' not in page
    again = client.post(
        f"/supervision/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf_token_of(page)}
    )
    assert again.status_code == 422
    assert "already acknowledged" in _text(again)


def test_closing_an_alert_needs_a_comment_and_a_confirmation(client, session, province):
    login(client, "p.inspector")
    alert = _alert_of(session, province, "H-WZ")
    page = _text(client.get(f"/supervision/alerts/{alert.id}"))
    token = csrf_token_of(page)
    url = f"/supervision/alerts/{alert.id}/close"
    empty = client.post(url, data={"csrf_token": token, "comment": ""})
    assert empty.status_code == 422
    asked = client.post(url, data={"csrf_token": token, "comment": "restocked by BC"})
    assert asked.status_code == 200 and "Close this alert?" in _text(asked)
    session.refresh(alert)
    assert alert.status == "open"  # nothing written before the confirmation
    done = client.post(
        url, data={"csrf_token": token, "comment": "restocked by BC", "confirmed": "1"}
    )
    assert done.status_code == 303
    session.refresh(alert)
    assert alert.status == "closed" and alert.close_comment == "restocked by BC"
    page = _text(client.get(f"/supervision/alerts/{alert.id}"))
    assert '<dd id="status">Closed</dd>' in page and 'id="close"' not in page


def test_one_hospitals_page_counts_its_own_figures_once(client, province):
    login(client, "p.inspector")
    rows = _csv(client.get("/supervision/export/figures.csv?org=H-HZ&period=this-month"))
    figure = {r[0]: r[1] for r in rows[1:]}
    assert figure["Transfusions"] == "2"
    assert figure["Units on hand"] == "3"
    city = {r[0]: r[1] for r in _csv(client.get("/supervision/export/figures.csv?org=HZ"))[1:]}
    assert city["Transfusions"] == "2"


def test_a_station_that_sent_nothing_for_48_hours_shows_as_silent(
    client, app, session, world, transfuse, compute
):
    from datetime import timedelta

    from blood.db import utcnow

    station = world.org("S-WZ")
    station.created_at = utcnow() - timedelta(days=3)
    session.add(station)
    session.commit()
    transfuse("H-HZ", 1)
    compute()
    login(client, "p.inspector")
    rows = _csv(client.get("/supervision/export/reporting.csv?org=ZJ&period=today"))
    status = {row[0]: row[3] for row in rows[1:]}
    assert status["S-WZ organisation"] == "Silent"
    assert status["H-HZ organisation"] == "Reporting"
    assert rows[1][0] == "S-WZ organisation"  # the silent ones first
    city = app.test_client()
    login(city, "hz.inspector")
    hz = _csv(city.get("/supervision/export/reporting.csv?org=HZ&period=today"))
    assert "S-WZ organisation" not in {row[0] for row in hz}
