"""Named counters that hand out 1, 2, 3 … exactly once each, even under concurrent callers.

One statement does it on both databases: an INSERT … ON CONFLICT DO UPDATE … RETURNING. On
PostgreSQL the conflicting row is locked until the caller's transaction ends, so two
transactions never get the same value; on SQLite writers are serialised anyway.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel


class Counter(SQLModel, table=True):
    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=100)
    value: int = Field(default=0)


def next_value(session: Session, name: str) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Counter.__table__
    statement = (
        insert(table)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=[table.c.name], set_={"value": table.c.value + 1})
        .returning(table.c.value)
    )
    return int(session.execute(statement).scalar_one())
