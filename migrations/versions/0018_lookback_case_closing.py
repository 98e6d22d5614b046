"""trace: closing a look-back case (when, by whom, the required comment)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 22:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('trace_lookback_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.add_column(
            sa.Column('closing_comment', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )
        batch_op.create_foreign_key(
            'fk_trace_lookback_case_closed_by_id_app_user', 'app_user', ['closed_by_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('trace_lookback_case', schema=None) as batch_op:
        batch_op.drop_constraint('fk_trace_lookback_case_closed_by_id_app_user', type_='foreignkey')
        batch_op.drop_column('closing_comment')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
