"""Store fixtures: ``db_url`` runs a test on SQLite and on PostgreSQL, ``store`` opens a Store on it.

PostgreSQL: one database per test session on 127.0.0.1:5432 (user ``postgres``, trust auth),
migrated once and emptied after each test. When the server is unreachable the PostgreSQL cases
skip outside CI and fail in CI. ``BOOKRELAY_TEST_BACKENDS=sqlite`` limits the backends.
"""

from __future__ import annotations

import base64
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import select, text

from bookrelay.store import Store, create_engine_for, upgrade
from bookrelay.store.models import TABLES_IN_DELETE_ORDER, ProgressHistory

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = [
    b.strip() for b in os.environ.get("BOOKRELAY_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]
TEST_KEY = base64.urlsafe_b64encode(b"bookrelay test key, not a secret")  # 32 bytes: a valid Fernet key


def _admin() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=3
    )


def _pg_url(name: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _pg_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unreachable at {PG_HOST}:{PG_PORT} ({reason})")


def create_pg_database() -> str:
    """A new, empty PostgreSQL database with a unique name; skips (or fails in CI) when unreachable."""
    name = f"bookrelay_test_{uuid.uuid4().hex[:12]}"
    try:
        with _admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            # Test data need not survive a crash; this makes every commit much faster.
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
            )
    except psycopg.OperationalError as exc:
        _pg_unavailable(exc.__class__.__name__)
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database, closing any connection left to it."""
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def _pg_session_url() -> Iterator[str]:
    name = create_pg_database()
    url = _pg_url(name)
    upgrade(url)
    try:
        yield url
    finally:
        drop_pg_database(name)


def _empty_tables(url: str) -> None:
    # DELETE is much faster than TRUNCATE on tables this small; ids need not restart.
    engine = create_engine_for(url)
    try:
        with engine.begin() as conn:
            for table in TABLES_IN_DELETE_ORDER:
                conn.execute(text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Migrated once; each test gets a copy (closing the last connection folds the WAL into the file).
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database URL on each backend, empty at the start of the test."""
    if request.param == "sqlite":
        target = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("_pg_session_url")
    try:
        yield url
    finally:
        _empty_tables(url)


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with no tables at all, on each backend (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = create_pg_database()
    try:
        yield _pg_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A Store on ``db_url`` with a fixed test key."""
    opened = Store.open(db_url, secret_key=TEST_KEY)
    try:
        yield opened
    finally:
        opened.close()


class FakeClock:
    """A clock tests move by hand (no sleeping): aware UTC, starting at a fixed instant."""

    def __init__(self, start: datetime = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock for the store (see ``clocked_store``)."""
    return FakeClock()


@pytest.fixture
def clocked_store(db_url: str, clock: FakeClock) -> Iterator[Store]:
    """Like ``store``, but its time is ``clock``."""
    opened = Store.open(db_url, secret_key=TEST_KEY, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def history_of(store: Store, user_id: str, source: str, source_item_id: str) -> list[ProgressHistory]:
    """The progress observations of one item, oldest first (what a test reads back; the product never
    reads one item's history)."""
    with store.db.reading() as session:
        return list(
            session.scalars(
                select(ProgressHistory)
                .where(
                    ProgressHistory.user_id == user_id,
                    ProgressHistory.source == source,
                    ProgressHistory.source_item_id == source_item_id,
                )
                .order_by(ProgressHistory.observed_at, ProgressHistory.id)
            )
        )
