"""Queue fixtures: a fresh PostgreSQL database per test with the store's and procrastinate's schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bookrelay.queue.schema import apply_queue_schema
from bookrelay.store import create_engine_for, upgrade
from tests.store_fixtures import BACKENDS, _pg_url, create_pg_database, drop_pg_database


@pytest.fixture
def queue_db_url() -> Iterator[str]:
    """A migrated PostgreSQL database with the queue's tables, dropped after the test (PostgreSQL only:
    procrastinate needs it)."""
    if "postgresql" not in BACKENDS:
        pytest.skip("the queue needs PostgreSQL (BOOKRELAY_TEST_BACKENDS excludes it)")
    name = create_pg_database()
    url = _pg_url(name)
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        apply_queue_schema(engine)
    finally:
        engine.dispose()
    try:
        yield url
    finally:
        drop_pg_database(name)
