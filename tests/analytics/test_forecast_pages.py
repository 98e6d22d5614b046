"""The forecast page and its CSV, in both languages, for those who may read them."""

from __future__ import annotations

from blood.accounts.scoping import Actor
from blood.analytics.service import forecast as service
from tests.analytics.test_forecast_service import _issues
from tests.conftest import login
from tests.helpers import as_user
from tests.stock.helpers import units_in_stock


def _forecast(app, session, world):
    with app.app_context():
        units_in_stock(session, world, n=3)
        _issues(session, world.org("BC"), 120, weekday=6, weekend=2)
        service.run_forecasts(session=session, actor=Actor.system("tests"))
        session.commit()


def test_the_centre_reads_its_forecast_chart_and_shortages(app, client, session, world):
    _forecast(app, session, world)
    login(client, "bc.clerk")
    page = client.get("/analytics/forecast")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="forecast-chart"' in html and "<svg" in html
    assert 'data-series="red_cells-O+"' in html
    assert "Projected red" in html and "Red cells" in html
    assert "Forecast, next 14 days" in html and "Forecast, next 28 days" in html
    with app.app_context():
        shown = service.centre_forecast(session=session, actor=as_user(session, world, "bc.clerk"))
        o_pos = next(s for s in shown.series if service.series_key(s) == "red_cells-O+")
        four_weeks = sum(d.mean for d in shown.days[o_pos.id][:28])
    row = html.split('data-series="red_cells-O+"', 1)[1].split("</tr>", 1)[0]
    assert f"<td>{four_weeks:.0f} <small>(" in row
    assert "red_cells" not in html.split('id="forecast-series"', 1)[1].replace(
        'data-series="red_cells', ""
    ).replace("series=red_cells", "")
    csv_text = client.get("/analytics/forecast.csv").get_data().decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Blood centre,Component,Group,Day")
    assert len(csv_text.splitlines()) > service.HORIZON_DAYS


def test_the_page_reads_in_chinese(app, client, session, world):
    _forecast(app, session, world)
    user = world.users["bc.clerk"]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()
    login(client, "bc.clerk", lang="zh_CN")
    html = client.get("/analytics/forecast").get_data(as_text=True)
    assert "需求预测" in html and "Demand forecast" not in html


def test_an_authority_reads_its_centres_and_another_tree_gets_404(app, client, session, world):
    _forecast(app, session, world)
    login(client, "p.inspector")
    assert client.get("/analytics/forecast?centre=BC").status_code == 200
    other = app.test_client()
    login(other, "wz.inspector")
    assert other.get("/analytics/forecast?centre=BC").status_code == 404
    hospital = app.test_client()
    login(hospital, "hhz.officer")
    assert hospital.get("/analytics/forecast").status_code == 403
    assert client.get("/analytics/forecast?centre=" + "X" * 40).status_code == 422
