"""supervision: time indexes for the last report (every organisation's latest record of a
time range is read across organisations, by time alone)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:50:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ('plasma_collection', 'ix_plasma_collection_started', 'started_at'),
    ('deferral', 'ix_deferral_created', 'created_at'),
    ('blood_donation', 'ix_blood_donation_collected', 'collected_at'),
    ('blood_test_result', 'ix_blood_test_result_entered', 'entered_at'),
    ('clinical_transfusion', 'ix_clinical_transfusion_recorded_at', 'recorded_at'),
    ('clinical_adverse_reaction', 'ix_clinical_reaction_recorded_at', 'recorded_at'),
)


def upgrade() -> None:
    for table, name, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, [column], unique=False)


def downgrade() -> None:
    for table, name, _column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
