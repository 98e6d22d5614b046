"""audit log: one hash chain per organisation, sealed at commit; signed checkpoints

Joins the two branches of the safety work (0007 blood centre, 0008 donors and plasma).

Writers of different organisations no longer share one chain (and one lock): each row belongs
to the chain of the organisation whose records changed (0 for none), numbered 1, 2, 3 … in
that chain. Existing rows are re-chained here, in their old order, and hashed again over the
new content (which includes the chain): run `flask --app app blood audit-verify` before
upgrading if the old chain's integrity matters to you, and keep its output.

Revision ID: 0009
Revises: 0007, 0008
Create Date: 2026-11-23
"""
import hashlib
import json
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0009'
down_revision: tuple[str, ...] = ('0007', '0008')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
String = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def _columns(per_chain: bool) -> list[sa.Column]:
    columns = [sa.Column('id', sa.Integer(), primary_key=True)]
    if per_chain:
        columns.append(sa.Column('chain', sa.Integer(), nullable=False))
    columns += [
        sa.Column('seq', sa.Integer(), nullable=per_chain),
        sa.Column('occurred_at', UTC(), nullable=False),
        sa.Column('actor_type', String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', String(length=100), nullable=False),
        sa.Column('actor_organisation_code', String(length=32), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('organisation_code', String(length=32), nullable=True),
        sa.Column('action', String(length=64), nullable=False),
        sa.Column('entity_type', String(length=64), nullable=True),
        sa.Column('entity_id', String(length=64), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('request_id', String(length=64), nullable=True),
        sa.Column('prev_hash', String(length=64), nullable=per_chain),
        sa.Column('hash', String(length=64), nullable=per_chain),
    ]
    return columns


CONTENT = (
    "seq occurred_at actor_type actor_id actor_name actor_organisation_code organisation_id "
    "organisation_code action entity_type entity_id changes request_id prev_hash"
).split()


def _hash(row: dict, per_chain: bool) -> str:
    content = {name: row[name] for name in CONTENT}
    content["occurred_at"] = row["occurred_at"].isoformat(timespec="microseconds")
    if per_chain:
        content["chain"] = row["chain"]
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rebuild(per_chain: bool) -> None:
    """Copy audit_log into a table of the target shape, re-chaining the rows in order."""
    bind = op.get_bind()
    old = sa.Table('audit_log', sa.MetaData(), *_columns(not per_chain))
    new = op.create_table(
        'audit_log_new',
        *_columns(per_chain),
        sa.UniqueConstraint('chain', 'seq', name='uq_audit_log_chain_seq')
        if per_chain
        else sa.UniqueConstraint('seq', name='audit_log_seq_key'),
    )
    rows = [dict(r._mapping) for r in bind.execute(sa.select(old).order_by(old.c.id))]
    if per_chain:
        rows.sort(key=lambda r: r['seq'])
    else:  # back to one chain: in the order the rows were written
        rows.sort(key=lambda r: r['id'])
    heads: dict[int, tuple[int, str]] = {}
    for row in rows:
        chain = (row.get('organisation_id') or 0) if per_chain else 0
        seq, prev = heads.get(chain, (0, GENESIS))
        row['seq'], row['prev_hash'] = seq + 1, prev
        if per_chain:
            row['chain'] = chain
        else:
            row.pop('chain', None)
        row['hash'] = _hash(row, per_chain)
        heads[chain] = (row['seq'], row['hash'])
    if rows:
        op.bulk_insert(new, rows)
    op.drop_table('audit_log')
    op.rename_table('audit_log_new', 'audit_log')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_audit_log_organisation_id'), ['organisation_id'], unique=False
        )
    if bind.dialect.name == 'postgresql':
        # The copied ids continue from where they were.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
            "COALESCE((SELECT max(id) FROM audit_log), 0) + 1, false)"
        )


def upgrade() -> None:
    _rebuild(per_chain=True)
    op.create_table(
        'audit_checkpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chain', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', String(length=64), nullable=False),
        sa.Column('verified_at', UTC(), nullable=False),
        sa.Column('signature', String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoint_chain'), ['chain'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoint_chain'))
    op.drop_table('audit_checkpoint')
    _rebuild(per_chain=False)
