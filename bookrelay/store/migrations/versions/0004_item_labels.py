"""Item labels: the title, authors, narrators, length, identifiers and cover of each source item and of
the Hardcover book it is linked to, so that pages and tables name books instead of ids.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_item_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("narrators", sa.JSON(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("metadata_hash", sa.String(length=64), nullable=True),
        sa.Column("hardcover_book_id", sa.Integer(), nullable=True),
        sa.Column("hardcover_title", sa.Text(), nullable=True),
        sa.Column("hardcover_authors", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_item_labels_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_labels")),
        sa.UniqueConstraint(
            "user_id", "source", "source_item_id", name=op.f("uq_item_labels_user_id_source_source_item_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("item_labels")
