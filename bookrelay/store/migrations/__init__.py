"""Alembic migrations of the store; run them with bookrelay.store.db.upgrade (no alembic.ini needed)."""
