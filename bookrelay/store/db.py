"""Engines, transactions and migrations for the store (SQLite by default, PostgreSQL from a URL).

SQLite allows one writer at a time; rather than letting writers collide on ``database is locked``,
every write transaction in this process takes one lock per database file and starts with
``BEGIN IMMEDIATE`` (so a writer in another process waits on the busy timeout instead of failing
halfway through). PostgreSQL needs neither.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from bookrelay.errors import ConfigError, ServiceUnavailable
from bookrelay.store.models import Base

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

BUSY_TIMEOUT_MS = 15_000
_IMMEDIATE = "bookrelay_begin_immediate"

_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def normalise_url(url: str | URL) -> URL:
    """The URL SQLAlchemy should use: ``postgresql://`` gets the psycopg 3 driver; raises ConfigError."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("is not a database URL", place="database") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend != "sqlite":
        raise ConfigError("only sqlite:/// and postgresql:// databases are supported", place="database")
    return parsed


def create_engine_for(url: str | URL) -> Engine:
    """An engine for ``url``: SQLite gets WAL, foreign keys, a busy timeout and its folder created;
    PostgreSQL gets pre-ping on its pool."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    }
    if in_memory:
        options["poolclass"] = StaticPool  # one shared connection, else each one sees its own database
    engine = create_engine(parsed, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks savepoints; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _writer_lock(engine: Engine) -> threading.RLock:
    key = engine.url.render_as_string(hide_password=True)
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


class Database:
    """Sessions on one engine; a write transaction joins an outer one opened in the same context.

    Joining lets a caller make several repository calls atomic: inside ``with db.transaction():``
    every repository write uses the same session and commits or rolls back together.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{_IMMEDIATE: True})
        self._current: ContextVar[Session | None] = ContextVar(f"bookrelay_session_{id(self)}", default=None)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose changes commit together at the end, or all roll back on an exception."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        lock = _writer_lock(self.engine) if is_sqlite(self.engine) else contextlib.nullcontext()
        with lock, Session(self._write_engine, expire_on_commit=False) as session:
            token = self._current.set(session)
            try:
                with _translated(), session.begin():
                    yield session
            finally:
                self._current.reset(token)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; inside a transaction it is that transaction's session."""
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        with _translated(), Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Connection failures become ServiceUnavailable; constraint errors stay (they are our bugs)."""
    try:
        yield
    except (OperationalError, DisconnectionError) as exc:
        orig = getattr(exc, "orig", None)
        cause = (orig if orig is not None else exc).__class__.__name__
        raise ServiceUnavailable(f"the database failed ({cause})", service="database") from exc


def _alembic_config() -> AlembicConfig:
    # Alembic is imported only when a migration runs: a store that is up to date never loads it.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    location = resources.files("bookrelay.store") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (every one by default); safe to repeat."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else create_engine_for(url_or_engine)
    lock = _writer_lock(engine) if is_sqlite(engine) else contextlib.nullcontext()
    try:
        with lock, engine.begin() as connection:
            _refuse_another_programs_tables(connection)
            cfg = _alembic_config()
            cfg.attributes["connection"] = connection
            from alembic import command  # alembic: only when a migration runs

            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(
            f"migrating the database failed: {exc.__class__.__name__}", service="database"
        ) from exc
    finally:
        if engine is not url_or_engine:
            engine.dispose()


def _refuse_another_programs_tables(connection: Connection) -> None:
    """A database bookrelay never migrated that already has tables of bookrelay's names belongs to
    another program (say the ledger of the CronJob bookrelay replaces, at the same DATABASE_PATH):
    refuse it, naming the tables, rather than fail inside the first migration or mix two schemas."""
    present = set(inspect(connection).get_table_names())
    if "alembic_version" in present:
        return
    clash = sorted(present & set(Base.metadata.tables))
    if clash:
        raise ConfigError(
            f"it already holds tables of another program ({', '.join(clash)}): point DATABASE_PATH "
            "(or global.database) at a new file; bookrelay keeps its own ledger",
            place="database",
        )


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, ``None`` for an empty database."""
    from alembic.runtime.migration import MigrationContext  # alembic: only for this check

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_REVISION_LINE = re.compile(r"^(down_)?revision\b[^=]*=\s*['\"]?([\w-]+|None)['\"]?", re.MULTILINE)


def shipped_head() -> str | None:
    """The newest revision among the package's migration files, read without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in resources.files("bookrelay.store").joinpath("migrations", "versions").iterdir():
        if not path.name.endswith(".py"):
            continue
        for down, value in _REVISION_LINE.findall(path.read_text("utf-8")):
            (parents if down else revisions).add(value)
    heads = sorted(revisions - parents)
    return heads[0] if len(heads) == 1 else None


def is_current(engine: Engine) -> bool:
    """Whether the database is at the shipped head already (one cheap query; False when unsure)."""
    head = shipped_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False
    return found == [head]


def head_revision() -> str | None:
    """The newest revision the package ships."""
    from alembic.script import ScriptDirectory  # alembic: only for this check

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()
