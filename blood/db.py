"""Engine and sessions: one Session per request (or CLI command, or job).

The request owns the transaction: it is committed after a successful response (status < 400)
and rolled back otherwise, so a refused request never leaves a half-written record.
Services only ``add``/``flush``; they never commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from blood.settings import INFO_KEY as SETTINGS_KEY
from blood.settings import Settings

EXTENSION_KEY = "blood.db"
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of timestamp we store)."""
    return datetime.now(UTC)


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo)
        _configure_sqlite(engine)
        return engine
    # psycopg prepares a statement on the server after a few runs, and PostgreSQL then may
    # switch it to a generic plan that ignores the parameters: the stock-level queries of a
    # long-lived worker went from 8–13 ms to 40–44 ms that way (docs/performance.md). Plan
    # each run for its own parameters; the statements stay prepared (no re-parsing).
    engine = sa.create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=3600,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )
    _ping_idle_connections(engine)
    return engine


IDLE_BEFORE_PING_SECONDS = 30.0


def _ping_idle_connections(engine: Engine) -> None:
    """A liveness check only for connections that sat idle, not on every checkout.

    ``pool_pre_ping`` costs a round trip per request. Under load a connection is reused
    within milliseconds and cannot have died unnoticed in between; one idle for a while may
    have been cut (a database restart, a firewall): ping that one, and on failure let the
    pool replace it (raising DisconnectionError makes the pool reconnect). A connection that
    dies mid-request is answered 503 and the pool is invalidated (``blood.errors``).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as lost:
            raise sa.exc.DisconnectionError() from lost


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and BEGIN under our control.

    Python 3.11's sqlite3 module issues BEGIN lazily on its own, which breaks SAVEPOINTs and
    transactional DDL; we switch that off and emit BEGIN ourselves (SQLAlchemy's SQLite docs,
    "Serializable isolation / Savepoints / Transactional DDL").

    A transaction that reads and then writes while another connection commits fails at once
    with "database is locked" (SQLite cannot upgrade a stale read snapshot). So whatever may
    write -- every request but GET/HEAD/OPTIONS, every CLI command and job -- starts with
    BEGIN IMMEDIATE, taking the single write lock up front and waiting for it (busy_timeout).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    return not (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"))


class Database:
    """Per-app engine and session factory, kept in ``app.extensions``. Every session it makes
    carries the app's ``Settings`` (see ``blood.settings``)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.sessionmaker = sessionmaker(
            bind=engine,
            class_=Session,
            expire_on_commit=False,
            info={SETTINGS_KEY: settings},
        )

    def new_session(self, **options) -> Session:
        """A session outside any request (jobs, threads in tests), with the app's settings."""
        return self.sessionmaker(**options)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def init_app(app: Flask, settings: Settings) -> None:
    engine = make_engine(
        app.config["DATABASE_URL"],
        pool_size=int(app.config["DATABASE_POOL_SIZE"]),
        echo=bool(app.config["DATABASE_ECHO"]),
    )
    app.extensions[EXTENSION_KEY] = Database(engine, settings)
    app.after_request(_finish_request)
    app.teardown_appcontext(_close_session)


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[EXTENSION_KEY]


def session() -> Session:
    """The session of the current request, CLI command or job."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def _finish_request(response: Response) -> Response:
    current = g.get("db_session")
    if current is None:
        return response
    try:
        return _end_request(current, response)
    finally:
        _write_kept(current)


def _end_request(current: Session, response: Response) -> Response:
    from blood.errors import DATABASE_UNAVAILABLE, database_unavailable_response

    if response.status_code >= 400:
        _rollback_quietly(current)
    elif request.method in ("GET", "HEAD", "OPTIONS"):
        # A safe request writes only bookkeeping (a token's last use, a language choice);
        # losing that to a concurrent writer must not turn the answer into an error.
        try:
            current.commit()
        except sa.exc.SQLAlchemyError:
            _rollback_quietly(current)
            log.warning("dropped the bookkeeping writes of %s %s", request.method, request.path)
    else:
        try:
            current.commit()
        except DATABASE_UNAVAILABLE as lost:
            # The connection went while committing: nothing was written, say so.
            _rollback_quietly(current)
            return database_unavailable_response(lost)
    return response


KEPT_KEY = "blood.kept_after_refusal"


def keep_after_refusal(session: Session, table: sa.Table, values: dict) -> None:
    """A row that must be written even though the work that produced it is refused and
    rolled back — a refused attempt is itself a fact someone supervises (an ABO-incompatible
    transfusion stopped by the system). It is inserted in its own transaction when the
    request or job ends, whether the work committed or not."""
    session.info.setdefault(KEPT_KEY, []).append((table, dict(values)))


def _write_kept(current: Session) -> None:
    kept = current.info.pop(KEPT_KEY, None)
    if not kept:
        return
    try:
        for table, values in kept:
            current.execute(sa.insert(table).values(**values))
        current.commit()
    except sa.exc.SQLAlchemyError:
        _rollback_quietly(current)
        log.warning("dropped %d records of refused attempts", len(kept))


def _rollback_quietly(current: Session) -> None:
    """Roll back; a connection that is already gone has nothing left to roll back."""
    try:
        current.rollback()
    except sa.exc.SQLAlchemyError:
        log.warning("rollback failed: the connection was already lost")


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()


def readiness() -> tuple[dict[str, str], int]:
    """Whether the database answers: for load balancers and monitoring."""
    try:
        with get_db().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return {"status": "unavailable", "database": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}, 200


@contextmanager
def transaction() -> Iterator[Session]:
    """A unit of work outside a request (CLI, jobs): commit on success, roll back on error."""
    current = session()
    try:
        yield current
        current.commit()
    except BaseException:
        current.rollback()
        raise
    finally:
        _write_kept(current)
