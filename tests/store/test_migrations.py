"""Migrations run from an empty database on both backends, and match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bookrelay.errors import ConfigError
from bookrelay.store import Store, create_engine_for, current_revision, head_revision, upgrade
from bookrelay.store.db import normalise_url
from bookrelay.store.models import TABLES_IN_DELETE_ORDER, Base


def test_migrations_run_up_from_empty(empty_db_url: str) -> None:
    engine = create_engine_for(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(TABLES_IN_DELETE_ORDER) <= set(inspect(engine).get_table_names())
        upgrade(engine)  # a second run changes nothing and does not fail
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_store_open_migrates_an_empty_database(empty_db_url: str) -> None:
    store = Store.open(empty_db_url, secret_key=None)
    try:
        assert current_revision(store.db.engine) == head_revision()
        assert store.users.ensure("alice").id == "alice"
    finally:
        store.close()


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_sqlite_engine_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "folder" / "db.sqlite"
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            busy_timeout = conn.execute(text("PRAGMA busy_timeout")).scalar()
            assert busy_timeout is not None and busy_timeout > 0
        assert database.parent.is_dir()
    finally:
        engine.dispose()


def test_postgresql_urls_get_the_psycopg3_driver() -> None:
    assert normalise_url("postgresql://u@127.0.0.1:5432/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["mysql://u@127.0.0.1/db", "not a url"])
def test_S3_unsupported_database_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="database"):
        normalise_url(url)
