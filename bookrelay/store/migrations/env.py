"""Alembic environment: runs on the connection bookrelay hands over (see bookrelay.store.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bookrelay.store.models import Base

target_metadata = Base.metadata


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    # Only for the alembic command line during development; the app always hands a connection over.
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("set sqlalchemy.url to run migrations from the alembic command line")
    engine = create_engine(url)
    with engine.begin() as conn:
        _configure_and_run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("bookrelay migrations run online only (bookrelay db upgrade)")
run_migrations_online()
