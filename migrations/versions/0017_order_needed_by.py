"""stock: an order's needed-by time (optional; the centre's order list shows and sorts by it)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 22:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('blood_order', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('needed_by', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('blood_order', schema=None) as batch_op:
        batch_op.drop_column('needed_by')
