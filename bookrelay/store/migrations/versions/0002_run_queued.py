"""A run can wait in the queue: run status ``queued``, from when a run is deferred to the PostgreSQL queue
until a worker starts it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("running", "ok", "failed", "partial")
_AFTER = ("queued", *_BEFORE)


def _allow(values: tuple[str, ...]) -> None:
    # The status is text with a CHECK constraint (models._enum): a new value is a new constraint.
    listed = ", ".join(f"'{v}'" for v in values)
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("ck_runs_run_status"), type_="check")
        batch.create_check_constraint(op.f("ck_runs_run_status"), f"status IN ({listed})")


def upgrade() -> None:
    _allow(_AFTER)


def downgrade() -> None:
    op.execute(
        "UPDATE runs SET status = 'failed', error = 'not started: the queue was removed by a downgrade'"
        " WHERE status = 'queued'"
    )
    _allow(_BEFORE)
