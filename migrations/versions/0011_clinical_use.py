"""clinical blood use: transfusions, their approvals, flags and outcomes; adverse reactions

New tables only (clinical_*): nothing existing changes, so the upgrade is safe on a live
database and the downgrade drops exactly these tables.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clinical_adverse_reaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('imputability', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('onset_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('onset_warning', sa.JSON(), nullable=True),
    sa.Column('alert_required', sa.Boolean(), nullable=False),
    sa.Column('alerted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.CheckConstraint("category IN ('febrile_non_haemolytic', 'allergic', 'anaphylactic', 'acute_haemolytic', 'delayed_haemolytic', 'taco', 'trali', 'ta_dyspnoea', 'hypotensive', 'post_transfusion_purpura', 'ta_gvhd', 'tti', 'other')", name='ck_clinical_reaction_category'),
    sa.CheckConstraint("imputability IN ('definite', 'probable', 'possible', 'doubtful', 'ruled_out', 'not_determined')", name='ck_clinical_reaction_imputability'),
    sa.CheckConstraint("outcome IN ('death', 'major_sequelae', 'minor_or_none', 'not_determined')", name='ck_clinical_reaction_outcome'),
    sa.CheckConstraint('severity BETWEEN 1 AND 4', name='ck_clinical_reaction_severity'),
    sa.ForeignKeyConstraint(['hospital_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hospital_id', 'reference', name='uq_clinical_reaction_reference')
    )
    op.create_index('ix_clinical_reaction_alert', 'clinical_adverse_reaction', ['alert_required', 'alerted_at'], unique=False)
    op.create_index('ix_clinical_reaction_recorded', 'clinical_adverse_reaction', ['hospital_id', 'recorded_at', 'id'], unique=False)

    op.create_table('clinical_transfusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unit_abo', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('unit_rhd', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('counted_ml', sa.Integer(), nullable=True),
    sa.Column('patient_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('patient_mask', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('patient_sex', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
    sa.Column('patient_birth_year', sa.Integer(), nullable=True),
    sa.Column('patient_age_band', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('patient_abo', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('patient_rhd', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('ward', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('indication', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('surgical', sa.Boolean(), nullable=False),
    sa.Column('bleeding', sa.Boolean(), nullable=False),
    sa.Column('pre_hb_g_l', sa.Float(), nullable=True),
    sa.Column('pre_platelets_e9_l', sa.Float(), nullable=True),
    sa.Column('pre_pt_ratio', sa.Float(), nullable=True),
    sa.Column('pre_inr', sa.Float(), nullable=True),
    sa.Column('pre_aptt_ratio', sa.Float(), nullable=True),
    sa.Column('pre_fibrinogen_g_l', sa.Float(), nullable=True),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('volume_given_ml', sa.Integer(), nullable=False),
    sa.Column('ordering_doctor_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('ordering_doctor_mask', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('emergency_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('autologous', sa.Boolean(), nullable=False),
    sa.Column('window_total_ml', sa.Integer(), nullable=True),
    sa.Column('required_approval', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('review_status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('review_comment', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('outcome_due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.CheckConstraint("component IN ('red_cells', 'plasma', 'platelets', 'cryo')", name='ck_clinical_transfusion_component'),
    sa.CheckConstraint("patient_sex IS NULL OR patient_sex IN ('M', 'F')", name='ck_clinical_transfusion_sex'),
    sa.CheckConstraint("review_status IS NULL OR review_status IN ('open', 'reviewed')", name='ck_clinical_transfusion_review'),
    sa.CheckConstraint('ended_at >= started_at', name='ck_clinical_transfusion_times'),
    sa.CheckConstraint('volume_given_ml > 0', name='ck_clinical_transfusion_volume'),
    sa.ForeignKeyConstraint(['hospital_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['blood_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hospital_id', 'reference', name='uq_clinical_transfusion_reference'),
    sa.UniqueConstraint('unit_id', name='uq_clinical_transfusion_unit')
    )
    op.create_index('ix_clinical_transfusion_patient', 'clinical_transfusion', ['hospital_id', 'patient_key', 'started_at'], unique=False)
    op.create_index('ix_clinical_transfusion_recorded', 'clinical_transfusion', ['hospital_id', 'recorded_at', 'id'], unique=False)
    op.create_index('ix_clinical_transfusion_review', 'clinical_transfusion', ['hospital_id', 'review_status'], unique=False)
    op.create_index('ix_clinical_transfusion_started', 'clinical_transfusion', ['hospital_id', 'started_at'], unique=False)

    op.create_table('clinical_reaction_transfusion',
    sa.Column('reaction_id', sa.Integer(), nullable=False),
    sa.Column('transfusion_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reaction_id'], ['clinical_adverse_reaction.id'], ),
    sa.ForeignKeyConstraint(['transfusion_id'], ['clinical_transfusion.id'], ),
    sa.PrimaryKeyConstraint('reaction_id', 'transfusion_id')
    )
    op.create_index(op.f('ix_clinical_reaction_transfusion_transfusion_id'), 'clinical_reaction_transfusion', ['transfusion_id'], unique=False)

    op.create_table('clinical_transfusion_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfusion_id', sa.Integer(), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('staff_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('staff_mask', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.CheckConstraint("tier IN ('senior_doctor', 'department_head', 'medical_department')", name='ck_clinical_approval_tier'),
    sa.ForeignKeyConstraint(['transfusion_id'], ['clinical_transfusion.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_clinical_transfusion_approval_transfusion_id'), 'clinical_transfusion_approval', ['transfusion_id'], unique=False)

    op.create_table('clinical_transfusion_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfusion_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('report', sa.Boolean(), nullable=False),
    sa.Column('raised_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['transfusion_id'], ['clinical_transfusion.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_clinical_flag_code', 'clinical_transfusion_flag', ['hospital_id', 'code'], unique=False)
    op.create_index(op.f('ix_clinical_transfusion_flag_report'), 'clinical_transfusion_flag', ['report'], unique=False)
    op.create_index(op.f('ix_clinical_transfusion_flag_transfusion_id'), 'clinical_transfusion_flag', ['transfusion_id'], unique=False)

    op.create_table('clinical_transfusion_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfusion_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('patient_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('component', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('span_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('measured_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('hb_g_l', sa.Float(), nullable=True),
    sa.Column('platelets_e9_l', sa.Float(), nullable=True),
    sa.Column('pt_ratio', sa.Float(), nullable=True),
    sa.Column('inr', sa.Float(), nullable=True),
    sa.Column('aptt_ratio', sa.Float(), nullable=True),
    sa.Column('fibrinogen_g_l', sa.Float(), nullable=True),
    sa.Column('body_surface_area_m2', sa.Float(), nullable=True),
    sa.Column('platelets_given_e11', sa.Float(), nullable=True),
    sa.Column('units', sa.Float(), nullable=False),
    sa.Column('increment', sa.Float(), nullable=True),
    sa.Column('cci', sa.Float(), nullable=True),
    sa.Column('ineffective', sa.Boolean(), nullable=True),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['hospital_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['transfusion_id'], ['clinical_transfusion.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_clinical_outcome_patient', 'clinical_transfusion_outcome', ['hospital_id', 'patient_key', 'component', 'measured_at'], unique=False)
    op.create_index(op.f('ix_clinical_transfusion_outcome_transfusion_id'), 'clinical_transfusion_outcome', ['transfusion_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_clinical_transfusion_outcome_transfusion_id'), table_name='clinical_transfusion_outcome')
    op.drop_index('ix_clinical_outcome_patient', table_name='clinical_transfusion_outcome')
    op.drop_table('clinical_transfusion_outcome')

    op.drop_index(op.f('ix_clinical_transfusion_flag_transfusion_id'), table_name='clinical_transfusion_flag')
    op.drop_index(op.f('ix_clinical_transfusion_flag_report'), table_name='clinical_transfusion_flag')
    op.drop_index('ix_clinical_flag_code', table_name='clinical_transfusion_flag')
    op.drop_table('clinical_transfusion_flag')

    op.drop_index(op.f('ix_clinical_transfusion_approval_transfusion_id'), table_name='clinical_transfusion_approval')
    op.drop_table('clinical_transfusion_approval')

    op.drop_index(op.f('ix_clinical_reaction_transfusion_transfusion_id'), table_name='clinical_reaction_transfusion')
    op.drop_table('clinical_reaction_transfusion')

    op.drop_index('ix_clinical_transfusion_started', table_name='clinical_transfusion')
    op.drop_index('ix_clinical_transfusion_review', table_name='clinical_transfusion')
    op.drop_index('ix_clinical_transfusion_recorded', table_name='clinical_transfusion')
    op.drop_index('ix_clinical_transfusion_patient', table_name='clinical_transfusion')
    op.drop_table('clinical_transfusion')

    op.drop_index('ix_clinical_reaction_recorded', table_name='clinical_adverse_reaction')
    op.drop_index('ix_clinical_reaction_alert', table_name='clinical_adverse_reaction')
    op.drop_table('clinical_adverse_reaction')
