"""The store: SQLAlchemy models, Alembic migrations and repositories (SQLite default, PostgreSQL).

Open it with :meth:`Store.open`; run migrations alone with :func:`upgrade` (``bookrelay db upgrade``).
"""

from bookrelay.store.crypto import SecretBox, load_or_create_key
from bookrelay.store.db import Database, create_engine_for, current_revision, head_revision, upgrade
from bookrelay.store.facade import Store
from bookrelay.store.models import ConflictStatus, OutboxState, RunStatus, WantedState

__all__ = [
    "ConflictStatus",
    "Database",
    "OutboxState",
    "RunStatus",
    "SecretBox",
    "Store",
    "WantedState",
    "create_engine_for",
    "current_revision",
    "head_revision",
    "load_or_create_key",
    "upgrade",
]
