"""Filling in the station's forms with the test client."""

from __future__ import annotations

from tests.conftest import csrf_token_of

QUESTIONNAIRE_OK = {
    "q.feels_well": "yes",
    "q.recent_illness": "no",
    "q.new_medication": "no",
    "q.tattoo_or_piercing_12m": "no",
    "q.pregnant_or_recent_birth": "no",
    "q.high_risk_behaviour": "no",
}


def post(client, path, data, page=None):
    """Post ``data`` to ``path`` with the CSRF token of ``page`` (default: ``path``)."""
    token = csrf_token_of(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def logout(client):
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )
