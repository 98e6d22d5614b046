"""Fixtures of the supervision tests: records at the world's hospitals, indicators computed
as the scheduler would, API headers per organisation."""

from __future__ import annotations

import pytest

from blood.accounts.scoping import Actor
from blood.supervision import service as supervision
from tests.clinical.helpers import make_unit, payload


@pytest.fixture
def headers(api_headers):
    made: dict[str, dict[str, str]] = {}

    def of(org_code: str) -> dict[str, str]:
        if org_code not in made:
            made[org_code] = api_headers(org_code)
        return made[org_code]

    return of


@pytest.fixture
def transfuse(app, client, session, world, headers):
    """A factory: `n` units of a component given at a hospital through the usage API, on the
    hospital's own today (the day the indicators are computed for)."""

    def give(hospital: str, n: int = 1, component: str = "red_cells", **extra) -> list[dict]:
        with app.app_context():
            units = [
                make_unit(session, world, hospital=hospital, component=component) for _ in range(n)
            ]
            session.commit()
        given = []
        for unit in units:
            answer = client.post(
                "/api/v1/transfusions", headers=headers(hospital), json=payload(unit, **extra)
            )
            assert answer.status_code == 201, answer.json
            given.append(answer.json)
        return given

    return give


@pytest.fixture
def in_stock(app, session, world):
    """A factory: `n` units received into a hospital's stock."""

    def put(hospital: str, n: int = 1, **options) -> list:
        with app.app_context():
            units = [make_unit(session, world, hospital=hospital, **options) for _ in range(n)]
            session.commit()
        return units

    return put


@pytest.fixture
def compute(app, session):
    """Compute today's indicators and judge the alerts, as the scheduler's jobs do."""

    def run(evaluate: bool = True, **options):
        with app.app_context():
            computed = supervision.compute_indicators(
                session=session, actor=Actor.system("tests"), **options
            )
            judged = (
                supervision.evaluate_alerts(session=session, actor=Actor.system("tests"))
                if evaluate
                else None
            )
            session.commit()
        return computed, judged

    return run
