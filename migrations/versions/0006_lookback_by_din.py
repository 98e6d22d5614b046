"""look-back triggers name the donation by its DIN and the organisation that found it

A blood centre's laboratory opens look-backs too, so a trigger no longer points at a plasma
collection row: it carries the DIN (unique across stations and centres) and the organisation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lookback_trigger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('din', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True))
    op.execute(
        "UPDATE lookback_trigger SET "
        "organisation_id = (SELECT station_id FROM plasma_collection c WHERE c.id = lookback_trigger.collection_id), "
        "din = (SELECT din FROM plasma_collection c WHERE c.id = lookback_trigger.collection_id)"
    )
    with op.batch_alter_table('lookback_trigger', schema=None) as batch_op:
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('din', existing_type=sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False)
        batch_op.create_foreign_key('fk_lookback_trigger_organisation', 'organisation', ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_lookback_trigger_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookback_trigger_din'), ['din'], unique=False)
        batch_op.drop_column('collection_id')


def downgrade() -> None:
    with op.batch_alter_table('lookback_trigger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collection_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE lookback_trigger SET collection_id = "
        "(SELECT id FROM plasma_collection c WHERE c.din = lookback_trigger.din)"
    )
    # A blood centre's trigger has no plasma collection: it cannot exist in the old shape.
    op.execute("DELETE FROM lookback_trigger WHERE collection_id IS NULL")
    with op.batch_alter_table('lookback_trigger', schema=None) as batch_op:
        batch_op.alter_column('collection_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('lookback_trigger_collection_id_fkey', 'plasma_collection', ['collection_id'], ['id'])
        batch_op.drop_index(batch_op.f('ix_lookback_trigger_din'))
        batch_op.drop_index(batch_op.f('ix_lookback_trigger_organisation_id'))
        batch_op.drop_constraint('fk_lookback_trigger_organisation', type_='foreignkey')
        batch_op.drop_column('din')
        batch_op.drop_column('organisation_id')
