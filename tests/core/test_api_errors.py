"""Every error under /api is JSON of one shape; never an HTML page, never a bare 500."""

from __future__ import annotations

import pytest

from blood import create_app
from blood.accounts.scoping import Actor
from blood.accounts.service import revoke_token
from tests.conftest import TEST_CONFIG

SHAPE = {"code", "status", "error", "message", "request_id"}


def assert_error(response, status: int, error: str):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) >= SHAPE, body
    assert body["code"] == status
    assert body["error"] == error
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


@pytest.fixture
def token(api_headers) -> str:
    return api_headers("H-HZ")["Authorization"].removeprefix("Bearer ")


def test_401_without_credentials(client, world):
    response = client.get("/api/v1/me")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_401_with_an_unknown_token(client, world):
    response = client.get(
        "/api/v1/me", headers={"Authorization": "Bearer blood_nope", "Accept-Language": "en"}
    )
    body = assert_error(response, 401, "unauthorized")
    assert "unknown or revoked" in body["message"]


def test_401_with_a_revoked_token(app, client, session, world, token):
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        from sqlmodel import select

        from blood.accounts.models import ApiToken

        row = session.exec(select(ApiToken).where(ApiToken.name == "HIS")).one()
        revoke_token(session=session, actor=Actor.system(), token_id=row.id)
        session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "unauthorized")


def test_me_with_a_token(client, session, world, token):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["kind"] == "token"
    assert response.json["organisation"]["code"] == "H-HZ"
    assert response.json["organisation"]["parent_code"] == "HZ"
    assert response.json["roles"] == ["transfusion_officer"]


def test_token_use_is_recorded(client, session, world, token):
    from sqlmodel import select

    from blood.accounts.models import ApiToken

    client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    session.expire_all()
    row = session.exec(select(ApiToken).where(ApiToken.name == "HIS")).one()
    assert row.last_used_at is not None


def test_404_unknown_route(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_405_wrong_method(client, token):
    response = client.delete("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 405, "method_not_allowed")


def test_422_bad_query_names_the_field(client, token):
    response = client.get(
        "/api/v1/organisations?kind=castle", headers={"Authorization": f"Bearer {token}"}
    )
    body = assert_error(response, 422, "validation_failed")
    assert "kind" in body["errors"]["query"]


def test_413_body_too_large(client, token):
    response = client.post(
        "/api/v1/me",
        data=b"x" * (3 * 1024 * 1024),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")


def test_cookie_authenticated_api_post_needs_csrf(client, world):
    from tests.conftest import login

    login(client, "hhz.officer")
    response = client.post("/api/v1/me", json={}, headers={"Accept-Language": "en"})
    body = assert_error(response, 400, "csrf_failed")
    assert "form expired" in body["message"]


def test_request_id_is_echoed_when_sane_and_replaced_otherwise(client):
    given = client.get("/api/v1/me", headers={"X-Request-ID": "his-42"})
    assert given.headers["X-Request-ID"] == "his-42" == given.json["request_id"]
    hostile = client.get("/api/v1/me", headers={"X-Request-ID": "<script>"})
    assert hostile.headers["X-Request-ID"] != "<script>"


def test_500_is_json_and_hides_the_exception(base_app):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": base_app.config["DATABASE_URL"]})

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/boom", headers={"Accept-Language": "en"})
    body = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "request id" in body["message"]


def test_web_errors_are_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found." in response.get_data(as_text=True)


def test_openapi_document_and_local_docs(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"].startswith("3.")
    assert "/api/v1/me" in spec.json["paths"]
    assert "bearerAuth" in spec.json["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    html = docs.get_data(as_text=True)
    assert docs.status_code == 200
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert client.get("/api/v1/docs/static/swagger-ui-bundle.js").status_code == 200


def test_health_endpoints(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["database"] == "ok"


def test_readyz_reports_an_unreachable_database():
    app = create_app(
        {**TEST_CONFIG, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


@pytest.fixture(scope="module")
def raising_app(tmp_path_factory):
    """A separate app whose test-only routes raise each kind of error the services raise."""
    from flask import request

    from blood.errors import Conflict, Forbidden, ValidationFailed

    path = tmp_path_factory.mktemp("raising") / "db.sqlite3"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{path}"})

    @app.post("/api/v1/test-json")
    def needs_json():
        return request.get_json()

    @app.get("/api/v1/test-forbidden")
    def forbidden():
        raise Forbidden()

    @app.get("/api/v1/test-conflict")
    def conflict():
        raise Conflict()

    @app.get("/api/v1/test-invalid")
    def invalid():
        raise ValidationFailed({"weight": ["Not a number."]})

    return app


def test_400_malformed_json(raising_app):
    response = raising_app.test_client().post(
        "/api/v1/test-json",
        data="{not json",
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    "path, status, error",
    [
        ("/api/v1/test-forbidden", 403, "forbidden"),
        ("/api/v1/test-conflict", 409, "conflict"),
        ("/api/v1/test-invalid", 422, "validation_failed"),
    ],
)
def test_domain_errors_share_the_shape(raising_app, path, status, error):
    body = assert_error(raising_app.test_client().get(path), status, error)
    if status == 422:
        assert body["errors"] == {"json": {"weight": ["Not a number."]}}
