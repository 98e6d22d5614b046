"""analytics: the contact log of recall calls to lapsed donors

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 07:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'analytics_donor_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('contacted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('contacted_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('called', 'messaged', 'declined', 'booked', 'unreachable')",
            name='ck_analytics_donor_contact_outcome',
        ),
        sa.ForeignKeyConstraint(['contacted_by_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_analytics_donor_contact_donor_at',
        'analytics_donor_contact',
        ['donor_id', 'contacted_at'],
        unique=False,
    )
    op.create_index(
        op.f('ix_analytics_donor_contact_organisation_id'),
        'analytics_donor_contact',
        ['organisation_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f('ix_analytics_donor_contact_organisation_id'), table_name='analytics_donor_contact'
    )
    op.drop_index('ix_analytics_donor_contact_donor_at', table_name='analytics_donor_contact')
    op.drop_table('analytics_donor_contact')
