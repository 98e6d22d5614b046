"""Fixtures of the clinical tests: API headers per organisation, units in stock."""

from __future__ import annotations

import pytest

from tests.clinical.helpers import make_unit


@pytest.fixture
def headers(api_headers):
    """A factory: the API headers of an organisation's system (one token each)."""
    made: dict[str, dict[str, str]] = {}

    def of(org_code: str) -> dict[str, str]:
        if org_code not in made:
            made[org_code] = api_headers(org_code)
        return made[org_code]

    return of


@pytest.fixture
def his(headers):
    """Hospital H-HZ's information system."""
    return headers("H-HZ")


@pytest.fixture
def unit_in_stock(app, session, world):
    """A factory: a unit in a hospital's stock, committed so that requests see it."""

    def make(**options):
        with app.app_context():
            made = make_unit(session, world, **options)
            session.commit()
        return made

    return make
