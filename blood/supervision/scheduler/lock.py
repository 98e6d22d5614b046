"""Who leads: one lock per database, held for as long as the leading process lives.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a connection
  of its own — not one of the pool's, which would hand it to a job and could close or reset it
  — in autocommit, so it never sits idle in a transaction. The lock lives as long as that
  session: when the leader dies, its connection closes and the server releases the lock (a
  killed process at once; a host that vanished once the server's TCP keepalives give up on
  it). The leader checks, every few seconds, that the server still shows the lock granted to
  its session; if the connection is gone it stops leading.
- SQLite (one host by nature): an exclusive ``flock`` on a file in the instance folder, named
  after the database. The kernel releases it when the process dies, however it dies.

A standby calls ``acquire`` every few seconds; it returns False while another process leads.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# The advisory lock's key: a signed 64-bit number derived from a fixed name.
LOCK_NAME = "blood.supervision.scheduler"
ADVISORY_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)


class LeaderLock(Protocol):
    description: str

    def acquire(self) -> bool: ...

    def held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLock:
    """A session-level advisory lock on a dedicated connection."""

    def __init__(self, url: str, key: int = ADVISORY_KEY, connect_timeout: int = 10):
        self.key = key
        self.description = f"PostgreSQL advisory lock {key}"
        self._engine = sa.create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": connect_timeout,
                "application_name": "blood scheduler",
                # Notice a dead server (or a cut network) within about a minute.
                "keepalives": 1,
                "keepalives_idle": 20,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self._connection: sa.Connection | None = None

    def acquire(self) -> bool:
        if self._connection is not None:
            return self.held()
        try:
            connection = self._engine.connect()
        except sa.exc.SQLAlchemyError as error:
            log.warning("scheduler lock: cannot reach the database (%s)", type(error).__name__)
            return False
        try:
            got = connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar_one()
        except sa.exc.SQLAlchemyError:
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """Whether the server still shows the lock granted to this connection's session."""
        if self._connection is None:
            return False
        try:
            granted = self._connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objsubid = 1 "
                    "AND classid::bigint = :high AND objid::bigint = :low"
                ),
                {"high": (self.key >> 32) & 0xFFFFFFFF, "low": self.key & 0xFFFFFFFF},
            ).scalar_one()
        except sa.exc.SQLAlchemyError as error:
            log.error("scheduler lock: the lock's connection is lost (%s)", type(error).__name__)
            self._drop()
            return False
        if not granted:
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                connection.invalidate()
                connection.close()

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                connection.close()
        self._engine.dispose()


class FileLock:
    """An exclusive ``flock`` on a file: for the processes of one host (SQLite)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.description = f"lock file {self.path}"
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return self.held()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        """Held while the file we locked is still the file at the path (one deleted and
        created again could be locked by another process)."""
        if self._fd is None:
            return False
        try:
            same = os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except OSError:
            same = False
        if not same:
            log.error("scheduler lock: %s was removed or replaced", self.path)
            self.release()
        return same

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


def lock_for(database_url: str, instance_path: str | os.PathLike) -> LeaderLock:
    """The lock that fits the database: advisory on PostgreSQL, a file on SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLock(database_url)
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return FileLock(Path(instance_path) / f"scheduler-{digest}.lock")
