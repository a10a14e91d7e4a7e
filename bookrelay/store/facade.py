"""The :class:`Store`: one database, its migrations run, and every repository on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from bookrelay.errors import ConfigError
from bookrelay.store.crypto import SecretBox
from bookrelay.store.db import Database, create_engine_for, is_current, upgrade
from bookrelay.store.repositories import (
    Clock,
    ConflictRepo,
    CredentialRepo,
    EnrichChangeRepo,
    ItemLabelRepo,
    LeaseRepo,
    LinkRepo,
    LookupCacheRepo,
    OutboxRepo,
    ProgressHistoryRepo,
    RunRepo,
    UserRepo,
    WantedRepo,
    utc_now,
)


class Store:
    """Every repository on one database.

    ``with store.transaction():`` makes several repository calls one atomic change.
    """

    def __init__(self, db: Database, *, secret_key: bytes | None = None, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock  # what "now" is for every repository (tests pass a fake one)
        self.users = UserRepo(db, clock)
        self.links = LinkRepo(db, clock)
        self.history = ProgressHistoryRepo(db, clock)
        self.conflicts = ConflictRepo(db, self.links, clock)
        self.runs = RunRepo(db, clock)
        self.outbox = OutboxRepo(db, clock)
        self.leases = LeaseRepo(db, clock)
        self.wanted = WantedRepo(db, clock)
        self.lookup_cache = LookupCacheRepo(db, clock)
        self.enrich_changes = EnrichChangeRepo(db, clock)
        self.labels = ItemLabelRepo(db, clock)
        self._credentials = CredentialRepo(db, SecretBox(secret_key), clock) if secret_key else None

    @classmethod
    def open(
        cls, url: str | URL, *, secret_key: bytes | None, clock: Clock = utc_now, migrate: bool = True
    ) -> Store:
        """Open the database at ``url``, bring its schema up to date (unless ``migrate`` is False)."""
        engine = create_engine_for(url)
        try:
            if migrate and not is_current(engine):
                upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(Database(engine), secret_key=secret_key, clock=clock)

    @property
    def credentials(self) -> CredentialRepo:
        """The encrypted credentials; ConfigError when the store was opened without a secret key."""
        if self._credentials is None:
            raise ConfigError("no secret key: set BOOKRELAY_SECRET_KEY or global.secret_key_file")
        return self._credentials

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Group repository calls into one transaction: all of them are stored, or none."""
        with self.db.transaction() as session:
            yield session

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
