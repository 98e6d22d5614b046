"""An authority's roll-up of its centres' forecasts: the sums per group, the earliest
projected shortage of any centre (with the centre), and only the centres of its tree."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.accounts.service import OrganisationInput, create_organisation
from blood.analytics.models import ForecastDay, ForecastSeries
from blood.analytics.service import forecast as service
from blood.analytics.service.jurisdiction import jurisdiction_forecast
from blood.errors import Forbidden
from tests.analytics.test_forecast_service import SYSTEM, _issues
from tests.conftest import login
from tests.helpers import as_user
from tests.stock.helpers import units_in_stock


def _two_centres(session, world):
    """BC (province) holds 12 O+ units; BC-WZ, under Wenzhou, holds none."""
    wenzhou = create_organisation(
        session=session,
        actor=Actor.system("tests"),
        data=OrganisationInput(
            code="BC-WZ", name_zh="温州市中心血站", name_en="Wenzhou blood centre",
            kind=OrgKind.BLOOD_CENTRE, parent_code="WZ",
        ),
    )  # fmt: skip
    units_in_stock(session, world, n=12)
    _issues(session, world.org("BC"), 120, weekday=6, weekend=2)
    _issues(session, wenzhou, 120, weekday=3, weekend=1)
    service.run_forecasts(session=session, actor=SYSTEM)
    return wenzhou


def _days(session, centre):
    series = session.exec(
        select(ForecastSeries).where(
            ForecastSeries.centre_id == centre.id,
            ForecastSeries.component == "red_cells",
            ForecastSeries.abo == "O",
            ForecastSeries.rhd == "+",
        )
    ).one()
    days = session.exec(
        select(ForecastDay).where(ForecastDay.series_id == series.id).order_by(ForecastDay.day)
    ).all()
    return series, days


def test_the_province_adds_up_its_centres_and_names_the_first_short(app, session, world):
    with app.app_context():
        wenzhou = _two_centres(session, world)
        page = jurisdiction_forecast(session=session, actor=as_user(session, world, "p.inspector"))
        [o_pos] = [g for g in page.groups if g.key == "red_cells-O+"]
        bc, bc_days = _days(session, world.org("BC"))
        wz, wz_days = _days(session, wenzhou)
        assert o_pos.centres == 2 and o_pos.on_hand == 12
        assert o_pos.mean == pytest.approx(
            [a.mean + b.mean for a, b in zip(bc_days, wz_days, strict=True)]
        )
        assert o_pos.upper == pytest.approx(
            [a.upper + b.upper for a, b in zip(bc_days, wz_days, strict=True)]
        )
        assert wz.first_red is not None and (bc.first_red is None or wz.first_red <= bc.first_red)
        assert (o_pos.first_red, o_pos.red_centre.code) == (wz.first_red, "BC-WZ")
        assert len(o_pos.actual) == service.RECENT_DAYS and sum(n for _d, n in o_pos.actual) > 0
        assert {c.code for c in page.centres} == {"BC", "BC-WZ"}
        city = jurisdiction_forecast(session=session, actor=as_user(session, world, "wz.inspector"))
        assert [c.code for c in city.centres] == ["BC-WZ"]
        assert [g.centres for g in city.groups if g.key == "red_cells-O+"] == [1]
        hangzhou = jurisdiction_forecast(
            session=session, actor=as_user(session, world, "hz.inspector")
        )
        assert hangzhou.centres == [] and hangzhou.groups == []
        with pytest.raises(Forbidden):
            jurisdiction_forecast(session=session, actor=as_user(session, world, "bc.clerk"))


def test_the_pages(app, client, session, world):
    with app.app_context():
        _two_centres(session, world)
        session.commit()
    login(client, "p.inspector")
    page = client.get("/analytics/forecast/jurisdiction").get_data(as_text=True)
    assert 'data-series="red_cells-O+"' in page and "Wenzhou blood centre" in page
    assert "<svg" in page and "Forecast, next 28 days" in page
    dashboard = client.get("/supervision/").get_data(as_text=True)
    assert 'href="/analytics/forecast/jurisdiction"' in dashboard  # from the stock board
    csv = client.get("/analytics/forecast/jurisdiction.csv").get_data(as_text=True)
    assert csv.startswith("\ufeff") and "\nZJ,red_cells,O+," in csv
    clerk = app.test_client()
    login(clerk, "bc.clerk")
    assert clerk.get("/analytics/forecast/jurisdiction").status_code == 403
