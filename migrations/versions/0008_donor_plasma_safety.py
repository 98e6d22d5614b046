"""donor and plasma safety: an over-limit plasma collection is kept as a deviation

- plasma_collection: the deviation columns (blood.deviations.DeviationRecord): what rule the
  collection broke and its figures, the collector's reason, and the quality manager's
  decision (status, who, when, note). A unit with a deviation not accepted is not released.

Existing rows: collections recorded so far had no deviation (facts {}).

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "deviation_status IS NULL OR deviation_status IN ('open', 'accepted', 'rejected')"
DEVIATION_CHECK = (
    "(deviation IS NULL) = (deviation_status IS NULL) "
    "AND (deviation IS NULL OR deviation_reason IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("plasma_collection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deviation", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("deviation_facts", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "deviation_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "deviation_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
            )
        )
        batch_op.add_column(sa.Column("deviation_decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("deviation_decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "deviation_decision_note",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=True,
            )
        )
    op.execute("UPDATE plasma_collection SET deviation_facts = '{}'")
    with op.batch_alter_table("plasma_collection", schema=None) as batch_op:
        batch_op.alter_column("deviation_facts", existing_type=sa.JSON(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_plasma_collection_deviation_status"), ["deviation_status"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_plasma_collection_deviation_decided_by",
            "app_user",
            ["deviation_decided_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint("ck_plasma_collection_deviation_status", STATUS_CHECK)
        batch_op.create_check_constraint("ck_plasma_collection_deviation", DEVIATION_CHECK)


def downgrade() -> None:
    with op.batch_alter_table("plasma_collection", schema=None) as batch_op:
        batch_op.drop_constraint("ck_plasma_collection_deviation", type_="check")
        batch_op.drop_constraint("ck_plasma_collection_deviation_status", type_="check")
        batch_op.drop_constraint("fk_plasma_collection_deviation_decided_by", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_plasma_collection_deviation_status"))
        batch_op.drop_column("deviation_decision_note")
        batch_op.drop_column("deviation_decided_at")
        batch_op.drop_column("deviation_decided_by_id")
        batch_op.drop_column("deviation_status")
        batch_op.drop_column("deviation_reason")
        batch_op.drop_column("deviation_facts")
        batch_op.drop_column("deviation")
