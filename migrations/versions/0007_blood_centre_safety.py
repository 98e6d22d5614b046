"""blood centre safety: whole-blood volume deviations, the centre's laboratory, checked
component splits, temperature excursions held at the hospital

- blood_donation: the deviation columns (blood.deviations.DeviationRecord) and the
  laboratory's ABO/RhD confirmation (with a discrepancy and its resolution);
- blood_test_result: one row per marker and donation;
- product_code.method: what a product is made from (whole blood or apheresis);
- blood_unit: state 'on_hold' (a temperature excursion at receipt); the group may be unknown
  while a unit waits for the laboratory, never once it can be used;
- blood_temperature_excursion: which unit, received by whom and when.

Existing rows: product codes get their method from their component and name (apheresis
platelets, else whole blood); donations have no deviation (facts {}), and no laboratory
confirmation recorded here (their units that wait for tests now need results entered);
released units stay released.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = (
    "'pending_tests', 'available', 'reserved', 'issued', 'received', 'transfused', "
    "'returned', 'discarded', 'expired'"
)
NEW_STATES = (
    "'pending_tests', 'available', 'reserved', 'issued', 'received', 'on_hold', "
    "'transfused', 'returned', 'discarded', 'expired'"
)


def upgrade() -> None:
    op.create_table('blood_test_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('marker', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('limit_value', sa.Float(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("result IN ('negative', 'reactive', 'within_limit', 'above_limit')", name='ck_blood_test_result'),
    sa.ForeignKeyConstraint(['centre_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['donation_id'], ['blood_donation.id'], ),
    sa.ForeignKeyConstraint(['entered_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('donation_id', 'marker', name='uq_blood_test_result_marker')
    )
    with op.batch_alter_table('blood_test_result', schema=None) as batch_op:
        batch_op.create_index('ix_blood_test_result_centre', ['centre_id', 'entered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_blood_test_result_donation_id'), ['donation_id'], unique=False)

    op.create_table('blood_temperature_excursion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('restocked', 'discarded', 'expired')", name='ck_temperature_excursion_outcome'),
    sa.ForeignKeyConstraint(['dispatch_id'], ['blood_dispatch.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['blood_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('blood_temperature_excursion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blood_temperature_excursion_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_temperature_excursion_org', ['organisation_id', 'recorded_at'], unique=False)

    # Donations: the deviation columns (none for the donations recorded so far) and the
    # laboratory's group confirmation.
    with op.batch_alter_table('blood_donation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deviation', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('deviation_facts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('deviation_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('deviation_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('deviation_decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deviation_decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('deviation_decision_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('confirmed_abo', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True))
        batch_op.add_column(sa.Column('confirmed_rhd', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True))
        batch_op.add_column(sa.Column('group_status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
        batch_op.add_column(sa.Column('group_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('group_resolved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('group_resolution_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.execute("UPDATE blood_donation SET deviation_facts = '{}'")
    with op.batch_alter_table('blood_donation', schema=None) as batch_op:
        batch_op.alter_column('deviation_facts', existing_type=sa.JSON(), nullable=False)
        batch_op.create_index('ix_blood_donation_centre_collected', ['centre_id', 'collected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_blood_donation_deviation_status'), ['deviation_status'], unique=False)
        batch_op.create_foreign_key('fk_blood_donation_deviation_decided_by', 'app_user', ['deviation_decided_by_id'], ['id'])
        batch_op.create_foreign_key('fk_blood_donation_group_confirmed_by', 'app_user', ['group_confirmed_by_id'], ['id'])
        batch_op.create_foreign_key('fk_blood_donation_group_resolved_by', 'app_user', ['group_resolved_by_id'], ['id'])
        batch_op.create_check_constraint(
            'ck_blood_donation_group_status',
            "group_status IS NULL OR group_status IN ('confirmed', 'discrepant', 'resolved')",
        )
        batch_op.create_check_constraint(
            'ck_blood_donation_deviation_status',
            "deviation_status IS NULL OR deviation_status IN ('open', 'accepted', 'rejected')",
        )
        batch_op.create_check_constraint(
            'ck_blood_donation_deviation', "(deviation IS NULL) = (deviation_status IS NULL)"
        )

    # Units: a held state; the group unknown only while waiting for the laboratory.
    with op.batch_alter_table('blood_unit', schema=None) as batch_op:
        batch_op.alter_column('abo', existing_type=sa.VARCHAR(length=2), nullable=True)
        batch_op.alter_column('rhd', existing_type=sa.VARCHAR(length=1), nullable=True)
        batch_op.drop_constraint('ck_blood_unit_state', type_='check')
        batch_op.create_check_constraint('ck_blood_unit_state', f"state IN ({NEW_STATES})")
        batch_op.create_check_constraint(
            'ck_blood_unit_group',
            "(abo IS NOT NULL AND rhd IS NOT NULL) "
            "OR state IN ('pending_tests', 'discarded', 'expired')",
        )

    with op.batch_alter_table('blood_unit_movement', schema=None) as batch_op:
        batch_op.alter_column('abo', existing_type=sa.VARCHAR(length=2), nullable=True)
        batch_op.alter_column('rhd', existing_type=sa.VARCHAR(length=1), nullable=True)

    # Product codes: the collection method each is made from.
    with op.batch_alter_table('product_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.execute(
        "UPDATE product_code SET method = CASE "
        "WHEN component = 'platelets' AND (code IN ('E3046', 'E0003') "
        "OR lower(name_en) LIKE '%pheresis%' OR name_zh LIKE '%单采%') THEN 'apheresis' "
        "ELSE 'whole_blood' END"
    )
    with op.batch_alter_table('product_code', schema=None) as batch_op:
        batch_op.alter_column('method', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
        batch_op.create_check_constraint('ck_product_method', "method IN ('whole_blood', 'apheresis')")


def downgrade() -> None:
    connection = op.get_bind()
    unknown = connection.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM blood_unit WHERE abo IS NULL OR rhd IS NULL) "
            "+ (SELECT count(*) FROM blood_unit_movement WHERE abo IS NULL OR rhd IS NULL)"
        )
    ).scalar()
    if unknown:
        raise RuntimeError(
            f"cannot downgrade below 0007: {unknown} units or movements have no ABO/RhD group, "
            "which the older schema cannot hold; confirm their groups first"
        )
    # A held unit was discarded at receipt before 0007: do the same.
    op.execute(
        "UPDATE blood_unit SET state = 'discarded', discard_reason = 'temperature_excursion' "
        "WHERE state = 'on_hold'"
    )
    with op.batch_alter_table('product_code', schema=None) as batch_op:
        batch_op.drop_constraint('ck_product_method', type_='check')
        batch_op.drop_column('method')

    with op.batch_alter_table('blood_unit_movement', schema=None) as batch_op:
        batch_op.alter_column('rhd', existing_type=sa.VARCHAR(length=1), nullable=False)
        batch_op.alter_column('abo', existing_type=sa.VARCHAR(length=2), nullable=False)

    with op.batch_alter_table('blood_unit', schema=None) as batch_op:
        batch_op.drop_constraint('ck_blood_unit_group', type_='check')
        batch_op.drop_constraint('ck_blood_unit_state', type_='check')
        batch_op.create_check_constraint('ck_blood_unit_state', f"state IN ({OLD_STATES})")
        batch_op.alter_column('rhd', existing_type=sa.VARCHAR(length=1), nullable=False)
        batch_op.alter_column('abo', existing_type=sa.VARCHAR(length=2), nullable=False)

    with op.batch_alter_table('blood_donation', schema=None) as batch_op:
        batch_op.drop_constraint('ck_blood_donation_deviation', type_='check')
        batch_op.drop_constraint('ck_blood_donation_deviation_status', type_='check')
        batch_op.drop_constraint('ck_blood_donation_group_status', type_='check')
        batch_op.drop_constraint('fk_blood_donation_group_resolved_by', type_='foreignkey')
        batch_op.drop_constraint('fk_blood_donation_group_confirmed_by', type_='foreignkey')
        batch_op.drop_constraint('fk_blood_donation_deviation_decided_by', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_blood_donation_deviation_status'))
        batch_op.drop_index('ix_blood_donation_centre_collected')
        batch_op.drop_column('group_resolution_note')
        batch_op.drop_column('group_resolved_at')
        batch_op.drop_column('group_resolved_by_id')
        batch_op.drop_column('group_confirmed_at')
        batch_op.drop_column('group_confirmed_by_id')
        batch_op.drop_column('group_status')
        batch_op.drop_column('confirmed_rhd')
        batch_op.drop_column('confirmed_abo')
        batch_op.drop_column('deviation_decision_note')
        batch_op.drop_column('deviation_decided_at')
        batch_op.drop_column('deviation_decided_by_id')
        batch_op.drop_column('deviation_status')
        batch_op.drop_column('deviation_reason')
        batch_op.drop_column('deviation_facts')
        batch_op.drop_column('deviation')

    with op.batch_alter_table('blood_temperature_excursion', schema=None) as batch_op:
        batch_op.drop_index('ix_temperature_excursion_org')
        batch_op.drop_index(batch_op.f('ix_blood_temperature_excursion_unit_id'))
    op.drop_table('blood_temperature_excursion')

    with op.batch_alter_table('blood_test_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blood_test_result_donation_id'))
        batch_op.drop_index('ix_blood_test_result_centre')
    op.drop_table('blood_test_result')
