"""Test fixtures: the whole suite runs on SQLite and, when BLOOD_TEST_DATABASE_URL is set,
again on PostgreSQL (in a throwaway database created and dropped here).

Each test runs inside one connection-level transaction that is rolled back at its end; the
app's sessions join it through SAVEPOINTs, so a request's commit or rollback behaves as in
production while nothing leaks between tests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url
from sqlmodel import Session

from blood import create_app, migrate
from blood.db import get_db

PG_ENV = "BLOOD_TEST_DATABASE_URL"

TEST_CONFIG = {
    "ENV": "testing",
    "PII_KEY": "test-pii-key-" + "x" * 32,
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    # Fast hashes: the suite creates many users. Production keeps scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "WTF_CSRF_ENABLED": True,
    # Assertions read English; deployments default to Chinese (tests/core/test_i18n.py).
    "BABEL_DEFAULT_LOCALE": "en",
}


def backends() -> list[str]:
    names = ["sqlite"]
    if os.environ.get(PG_ENV):
        names.append("postgresql")
    return names


def _create_pg_database(base_url: str) -> tuple[str, sa.Engine]:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"blood_test_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return url, admin


def _drop_pg_database(admin: sa.Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory):
    """A factory of empty databases of a backend, dropped at the end of the session."""
    created: list[tuple[sa.Engine, str]] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("sqlite") / "blood.sqlite3"
            return f"sqlite:///{path}"
        url, admin = _create_pg_database(os.environ[PG_ENV])
        created.append((admin, url))
        return url

    yield make
    for admin, url in created:
        _drop_pg_database(admin, url)


@pytest.fixture(scope="session", params=backends())
def database_url(request, fresh_database) -> str:
    """A database of the backend under test, migrated to head with Alembic."""
    url = fresh_database(request.param)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def base_app(database_url) -> Iterator[Flask]:
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    yield app
    get_db(app).engine.dispose()


# --- the demo, loaded once per database ----------------------------------------------------

DEMO_TEST_PUSH_URL = "http://127.0.0.1:8123/api/v1/supervision/inbound"


@dataclass(frozen=True)
class LoadedDemo:
    url: str
    output: str


@pytest.fixture(scope="session", params=backends())
def loaded_demo(request, fresh_database) -> LoadedDemo:
    """A database of the backend holding ``blood demo``, loaded and committed once.

    A load takes seconds, and some twenty tests read the demo: each still runs in its own
    transaction over it (``app`` below), so what one test changes the next never sees.
    """
    url = fresh_database(request.param)
    migrate.upgrade(url)
    loader = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    try:
        result = loader.test_cli_runner().invoke(
            args=["blood", "demo", "--push-url", DEMO_TEST_PUSH_URL]
        )
    finally:
        get_db(loader).engine.dispose()
    assert result.exit_code == 0, result.output
    return LoadedDemo(url=url, output=result.output)


@pytest.fixture(scope="session")
def demo_app(loaded_demo) -> Iterator[Flask]:
    """The app over the loaded demo. A test module reads the demo by overriding ``base_app``
    with it::

        @pytest.fixture(scope="session")
        def base_app(demo_app):
            return demo_app
    """
    app = create_app({**TEST_CONFIG, "DATABASE_URL": loaded_demo.url})
    yield app
    get_db(app).engine.dispose()


@pytest.fixture
def demo_output(loaded_demo) -> str:
    """What ``blood demo`` printed when it loaded (the API tokens are shown only then)."""
    return loaded_demo.output


@pytest.fixture
def app(base_app) -> Iterator[Flask]:
    """The app with every session bound to one outer transaction, rolled back afterwards."""
    from blood.extensions import limiter

    database = get_db(base_app)
    connection = database.engine.connect()
    outer = connection.begin()
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    try:
        yield base_app
    finally:
        database.sessionmaker.configure(
            bind=database.engine, join_transaction_mode="conditional_savepoint"
        )
        outer.rollback()
        connection.close()


@pytest.fixture
def backend(base_app) -> str:
    return get_db(base_app).dialect


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session for arranging and checking data, in the test's transaction.

    No app context stays pushed: requests made by the test client must get their own
    (and so their own ``g``), as in production. Wrap service calls in ``app.app_context()``.
    """
    db_session = get_db(app).sessionmaker()
    yield db_session
    db_session.close()


# --- a small world of organisations and users ---------------------------------------------

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def org(self, code: str):
        return self.orgs[code]


@pytest.fixture
def world(app, session) -> World:
    """Province ZJ (330000) > cities HZ (330100) and WZ (330300); county CA (330127) in HZ.

    Station S-CA in the county, station S-WZ in Wenzhou, hospital H-HZ in Hangzhou city,
    hospital H-WZ in Wenzhou, blood centre BC under the province.
    """
    from blood.accounts.roles import AuthorityLevel, OrgKind, Role
    from blood.accounts.scoping import Actor
    from blood.accounts.service import OrganisationInput, create_organisation, create_user

    actor = Actor.system("tests")
    world = World()
    specs = [
        ("ZJ", OrgKind.AUTHORITY, None, AuthorityLevel.PROVINCE, "330000"),
        ("HZ", OrgKind.AUTHORITY, "ZJ", AuthorityLevel.CITY, "330100"),
        ("WZ", OrgKind.AUTHORITY, "ZJ", AuthorityLevel.CITY, "330300"),
        ("CA", OrgKind.AUTHORITY, "HZ", AuthorityLevel.COUNTY, "330127"),
        ("S-CA", OrgKind.PLASMA_STATION, "CA", None, None),
        ("S-WZ", OrgKind.PLASMA_STATION, "WZ", None, None),
        ("H-HZ", OrgKind.HOSPITAL, "HZ", None, None),
        ("H-WZ", OrgKind.HOSPITAL, "WZ", None, None),
        ("BC", OrgKind.BLOOD_CENTRE, "ZJ", None, None),
        ("MF", OrgKind.MANUFACTURER, "ZJ", None, None),
    ]
    with app.app_context():
        for code, kind, parent, level, division in specs:
            world.orgs[code] = create_organisation(
                session=session,
                actor=actor,
                data=OrganisationInput(
                    code=code,
                    name_zh=f"{code} 机构",
                    name_en=f"{code} organisation",
                    kind=kind,
                    parent_code=parent,
                    level=level,
                    division_code=division,
                ),
            )
        users = [
            ("p.inspector", "ZJ", [Role.INSPECTOR]),
            ("p.admin", "ZJ", [Role.ORG_ADMIN]),
            ("hz.inspector", "HZ", [Role.INSPECTOR]),
            ("wz.inspector", "WZ", [Role.INSPECTOR]),
            ("ca.inspector", "CA", [Role.INSPECTOR]),
            ("sca.registrar", "S-CA", [Role.REGISTRAR]),
            ("sca.admin", "S-CA", [Role.ORG_ADMIN]),
            ("sca.physician", "S-CA", [Role.PHYSICIAN]),
            ("sca.collector", "S-CA", [Role.COLLECTOR]),
            ("sca.lab", "S-CA", [Role.LAB]),
            ("sca.quality", "S-CA", [Role.QUALITY]),
            ("swz.registrar", "S-WZ", [Role.REGISTRAR]),
            ("swz.physician", "S-WZ", [Role.PHYSICIAN]),
            ("swz.admin", "S-WZ", [Role.ORG_ADMIN]),
            ("hhz.admin", "H-HZ", [Role.ORG_ADMIN]),
            ("hhz.officer", "H-HZ", [Role.TRANSFUSION_OFFICER]),
            ("bc.clerk", "BC", [Role.STOCK_CLERK]),
            ("bc.collector", "BC", [Role.REGISTRAR, Role.COLLECTOR, Role.QUALITY]),
            ("hwz.officer", "H-WZ", [Role.TRANSFUSION_OFFICER]),
            ("mf.clerk", "MF", [Role.RECEIVING_CLERK]),
        ]
        for username, org_code, roles in users:
            world.users[username] = create_user(
                session=session,
                actor=actor,
                organisation=world.orgs[org_code],
                username=username,
                display_name=username,
                password=PASSWORD,
                roles=[r.value for r in roles],
                locale="en",
            )
        # Collecting organisations: ISBT 128 facility ids and designated areas.
        from blood.donors.service import set_designated_area

        for code, facility in (("S-CA", "P3301"), ("S-WZ", "P3303"), ("BC", "B3300")):
            world.orgs[code].facility_id = facility
            session.add(world.orgs[code])
        set_designated_area(
            session=session, actor=actor, station=world.orgs["S-CA"], division_codes=["330127"]
        )
        set_designated_area(
            session=session, actor=actor, station=world.orgs["S-WZ"], division_codes=["330300"]
        )
        session.commit()
    return world


@pytest.fixture
def api_headers(app, session, world):
    """A factory: request headers with a new API token of one of the world's organisations
    (answers in English)."""
    from blood.accounts.scoping import Actor
    from blood.accounts.service import create_token

    def make(org_code: str, name: str = "HIS") -> dict[str, str]:
        with app.app_context():
            _row, plaintext = create_token(
                session=session, actor=Actor.system(), organisation=world.org(org_code), name=name
            )
            session.commit()
        return {"Authorization": f"Bearer {plaintext}", "Accept-Language": "en"}

    return make


REFERENCE_TABLES = {"product_code"}  # loaded by the migrations: kept


def wipe_committed(engine) -> None:
    """Empty what a test committed for real (concurrency and browser tests), keeping the
    reference data the migrations loaded."""
    from sqlmodel import SQLModel

    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                connection.execute(sa.delete(table))


def commit_world(
    app,
    orgs: list[tuple[str, str, str]],
    users: list[tuple[str, str, list, str]],
    *,
    facility_ids: dict[str, str] | None = None,
    areas: dict[str, list[str]] | None = None,
    password: str = "a-long-password",
) -> dict:
    """Organisations (code, kind, name) under a province ZJ, and users (name, org code, roles,
    locale), COMMITTED: for concurrency and browser tests, whose other connections cannot see
    the per-test transaction. Pair with ``wipe_committed``."""
    from blood.accounts.roles import AuthorityLevel, OrgKind
    from blood.accounts.scoping import Actor
    from blood.accounts.service import OrganisationInput, create_organisation, create_user
    from blood.donors.service import set_designated_area

    system = Actor.system("tests")
    database = get_db(app)
    with app.app_context(), database.new_session(bind=database.engine) as session:
        made = {
            "ZJ": create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code="ZJ",
                    name_zh="浙江省卫生健康委员会",
                    name_en="Zhejiang",
                    kind=OrgKind.AUTHORITY,
                    level=AuthorityLevel.PROVINCE,
                    division_code="330000",
                ),
            )
        }
        for code, kind, name in orgs:
            made[code] = create_organisation(
                session=session,
                actor=system,
                data=OrganisationInput(
                    code=code, name_zh=name, name_en=code, kind=kind, parent_code="ZJ"
                ),
            )
        for code, facility in (facility_ids or {}).items():
            made[code].facility_id = facility
        for code, division_codes in (areas or {}).items():
            set_designated_area(
                session=session, actor=system, station=made[code], division_codes=division_codes
            )
        for username, org_code, roles, locale in users:
            create_user(
                session=session,
                actor=system,
                organisation=made[org_code],
                username=username,
                display_name=username,
                password=password,
                roles=[str(r) for r in roles],
                locale=locale,
            )
        session.commit()
    return made


def make_resident_id(region: str = "330127", birth: str = "19900101", serial: int = 123) -> str:
    """A valid resident ID (python-stdnum checks region, date and check digit).

    An odd serial is a man, an even one a woman.
    """
    from stdnum.cn import ric

    body = f"{region}{birth}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def login(client, username: str, password: str = PASSWORD, lang: str = "en"):
    """Log in through the real form, CSRF token included."""
    page = client.get("/login", headers={"Accept-Language": lang})
    token = csrf_token_of(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers={"Accept-Language": lang},
    )


def csrf_token_of(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)
