"""analytics: recall campaigns, and the contacts logged against them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 15:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'analytics_recall_campaign',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('abo', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('rhd', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column('projected_on', sa.Date(), nullable=True),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('shortage', 'manual')", name='ck_analytics_recall_campaign_reason'
        ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['started_by_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_analytics_recall_campaign_org_started',
        'analytics_recall_campaign',
        ['organisation_id', 'started_at'],
        unique=False,
    )
    with op.batch_alter_table('analytics_donor_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_analytics_donor_contact_campaign_id'), ['campaign_id'], unique=False
        )
        batch_op.create_foreign_key(
            'fk_analytics_donor_contact_campaign_id',
            'analytics_recall_campaign',
            ['campaign_id'],
            ['id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('analytics_donor_contact', schema=None) as batch_op:
        batch_op.drop_constraint('fk_analytics_donor_contact_campaign_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_analytics_donor_contact_campaign_id'))
        batch_op.drop_column('campaign_id')
    op.drop_index(
        'ix_analytics_recall_campaign_org_started', table_name='analytics_recall_campaign'
    )
    op.drop_table('analytics_recall_campaign')
