"""analytics: demand forecasts per blood centre, component and group, and their days ahead

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 06:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'analytics_forecast_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('centre_id', sa.Integer(), nullable=False),
        sa.Column('made_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('abo', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('rhd', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('history_days', sa.Integer(), nullable=False),
        sa.Column('holiday_factor', sa.Float(), nullable=False),
        sa.Column('origins', sa.Integer(), nullable=False),
        sa.Column('mase_model', sa.Float(), nullable=True),
        sa.Column('mase_baseline', sa.Float(), nullable=True),
        sa.Column('mape_model', sa.Float(), nullable=True),
        sa.Column('mape_baseline', sa.Float(), nullable=True),
        sa.Column('on_hand', sa.Integer(), nullable=False),
        sa.Column('in_testing', sa.Integer(), nullable=False),
        sa.Column('first_amber', sa.Date(), nullable=True),
        sa.Column('first_red', sa.Date(), nullable=True),
        sa.CheckConstraint(
            "method IN ('ets', 'seasonal_naive')", name='ck_analytics_forecast_method'
        ),
        sa.ForeignKeyConstraint(['centre_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_analytics_forecast_series_centre_made',
        'analytics_forecast_series',
        ['centre_id', 'made_at'],
        unique=False,
    )
    op.create_table(
        'analytics_forecast_day',
        sa.Column('series_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('mean', sa.Float(), nullable=False),
        sa.Column('lower', sa.Float(), nullable=False),
        sa.Column('upper', sa.Float(), nullable=False),
        sa.Column('projected_units', sa.Float(), nullable=False),
        sa.Column('days_of_supply', sa.Float(), nullable=True),
        sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.ForeignKeyConstraint(['series_id'], ['analytics_forecast_series.id']),
        sa.PrimaryKeyConstraint('series_id', 'day'),
    )


def downgrade() -> None:
    op.drop_table('analytics_forecast_day')
    op.drop_index(
        'ix_analytics_forecast_series_centre_made', table_name='analytics_forecast_series'
    )
    op.drop_table('analytics_forecast_series')
