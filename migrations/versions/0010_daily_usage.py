"""daily usage: a roll-up of the movements that count as use, for stock levels

blood_daily_usage holds, per organisation, local day (in the organisation's time zone),
component and ABO/RhD group, the units used: a blood centre's issues and a hospital's
transfusions. Stock levels sum a window's days from it instead of counting every movement of
the window (blood.stock.service.usage); the services keep it with each movement, in the same
transaction.

Existing rows: filled here from blood_unit_movement, one organisation at a time (movements
without a group are never part of a stock level and are left out). Going down drops the
table; the movements are untouched.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whose movements count as use: a blood centre's issues, a hospital's transfusions.
USE = {'blood_centre': 'issue', 'hospital': 'transfuse'}
BATCH = 5000


def upgrade() -> None:
    usage = op.create_table('blood_daily_usage',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('abo', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('rhd', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.CheckConstraint('units >= 0', name='ck_daily_usage_units'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('organisation_id', 'day', 'component', 'abo', 'rhd')
    )
    _backfill(usage)


def _backfill(usage: sa.Table) -> None:
    """Count each organisation's movements that are use by local day, component and group;
    the local day as the services compute it (Python's zoneinfo), one organisation at a time
    (its movements come from the (organisation_id, action, at) index)."""
    bind = op.get_bind()
    organisations = bind.execute(
        sa.text("SELECT id, kind, timezone FROM organisation WHERE kind IN :kinds ORDER BY id")
        .bindparams(sa.bindparam('kinds', expanding=True)),
        {'kinds': list(USE)},
    ).all()
    movements = sa.text(
        "SELECT at, component, abo, rhd FROM blood_unit_movement"
        " WHERE organisation_id = :organisation AND action = :action"
        " AND abo IS NOT NULL AND rhd IS NOT NULL"
    ).columns(
        sa.column('at', sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column('component'),
        sa.column('abo'),
        sa.column('rhd'),
    )
    for organisation, kind, timezone in organisations:
        zone = ZoneInfo(timezone)
        days: Counter = Counter()
        result = bind.execute(
            movements.execution_options(yield_per=BATCH),
            {'organisation': organisation, 'action': USE[kind]},
        )
        for at, component, abo, rhd in result:
            days[(at.astimezone(zone).date(), component, abo, rhd)] += 1
        rows = [
            {'organisation_id': organisation, 'day': day, 'component': component,
             'abo': abo, 'rhd': rhd, 'units': units}
            for (day, component, abo, rhd), units in sorted(days.items())
        ]
        for start in range(0, len(rows), BATCH):
            bind.execute(usage.insert(), rows[start:start + BATCH])


def downgrade() -> None:
    op.drop_table('blood_daily_usage')
