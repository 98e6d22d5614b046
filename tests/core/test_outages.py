"""While the database is unreachable: 503 with Retry-After (API) and a static, translated page
(web) that needs no database; and recovery without a restart once it is back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blood import create_app, db
from blood.db import get_db
from tests.conftest import TEST_CONFIG

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


@pytest.fixture(scope="module")
def down_app():
    app = create_app({**TEST_CONFIG, "DATABASE_URL": UNREACHABLE})
    yield app
    get_db(app).engine.dispose()


def test_the_api_answers_503_with_retry_after(down_app):
    response = down_app.test_client().get(
        "/api/v1/me", headers={"Authorization": "Bearer blood_abc", "Accept-Language": "en"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json["error"] == "database_unavailable"
    assert "nothing was changed" in response.json["message"]


def test_a_write_is_answered_503_too(down_app):
    response = down_app.test_client().post(
        "/api/v1/orders", json={}, headers={"Authorization": "Bearer blood_abc"}
    )
    assert response.status_code == 503
    assert response.json["error"] == "database_unavailable"


def test_a_logged_in_page_gets_a_static_translated_page(down_app):
    client = down_app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "1:abcdef"
        cookie["login"] = "token"
    response = client.get("/organisations", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "暂时无法使用" in html and "无法连接数据库" in html
    assert "Traceback" not in html and "Internal Server Error" not in html


def test_a_request_whose_connection_is_killed_gets_503_and_the_next_one_works(
    database_url, backend
):
    if backend != "postgresql":
        pytest.skip("terminating a server connection is a PostgreSQL test")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})

    def killed_mid_request():
        session = db.session()
        session.execute(sa.text("SELECT 1"))
        session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        session.execute(sa.text("SELECT 1"))  # the connection is gone by now
        return {"unreachable": "no"}

    app.add_url_rule("/api/v1/test-kill", "test_kill", killed_mid_request)
    client = app.test_client()
    killed = client.get("/api/v1/test-kill")
    assert killed.status_code == 503
    assert killed.json["error"] == "database_unavailable"
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/me").status_code == 401  # answered by the database again
    get_db(app).engine.dispose()


def test_connections_cut_while_idle_are_replaced_before_use(database_url, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("terminating server connections is a PostgreSQL test")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    client = app.test_client()
    engine = get_db(app).engine
    with engine.connect() as connection:  # returns to the pool, idle, when the block ends
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.execute(
            sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
        ).scalar_one()
    admin.dispose()
    assert killed
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)  # every connection counts as idle
    assert client.get("/api/v1/me").status_code == 401  # answered, on a fresh connection
    get_db(app).engine.dispose()
