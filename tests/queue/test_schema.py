"""`bookrelay db upgrade` applies the queue's schema once (idempotent), and the queue needs PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from bookrelay.app import apply_queue_schema, load_settings, upgrade_database
from bookrelay.config import Config
from bookrelay.errors import ConfigError
from bookrelay.store import create_engine_for
from tests.store_fixtures import BACKENDS, _pg_url, create_pg_database, drop_pg_database


def test_db_upgrade_applies_the_queue_schema_once_and_again_changes_nothing(tmp_path: Path) -> None:
    if "postgresql" not in BACKENDS:
        pytest.skip("the queue needs PostgreSQL")
    name = create_pg_database()
    url = _pg_url(name)
    try:
        path = tmp_path / "bookrelay.yaml"
        config = {
            "global": {"database": url, "queue": "postgres"},
            "users": [{"id": "a", "hardcover": {"token": "t"}}],
        }
        path.write_text(yaml.safe_dump(config))
        upgrade_database(load_settings(path))
        upgrade_database(load_settings(path))  # a second upgrade (another pod starting) is harmless
        engine = create_engine_for(url)
        try:
            with engine.connect() as conn:
                tables = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
            assert tables is not None
            assert apply_queue_schema(engine) is False
        finally:
            engine.dispose()
    finally:
        drop_pg_database(name)


def test_queue_postgres_on_sqlite_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"global\.queue: postgres needs a postgresql:// global\.database"):
        Config.model_validate({"global": {"queue": "postgres"}, "users": []})
    with pytest.raises(ValueError, match="inprocess"):
        Config.model_validate({"global": {"queue": "redis"}, "users": []})


def test_a_worker_refuses_an_inprocess_configuration(tmp_path: Path) -> None:
    from bookrelay.app import WorkerOptions, load_settings, start_worker

    path = tmp_path / "bookrelay.yaml"
    sqlite = f"sqlite:///{tmp_path / 's.db'}"
    path.write_text(
        yaml.safe_dump({"global": {"database": sqlite}, "users": [{"id": "a", "hardcover": {"token": "t"}}]})
    )
    with pytest.raises(ConfigError, match=r"global\.queue"):
        start_worker(load_settings(path), WorkerOptions(), metrics=None)
