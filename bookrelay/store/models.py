"""The store's tables as typed SQLAlchemy declarative models.

Rows returned by the repositories are detached snapshots: changing an attribute changes nothing
in the database; use the repository methods. Every timestamp is timezone-aware UTC on both
backends (:class:`UtcDateTime`). The schema is created by the Alembic migrations in
``migrations/versions``, which must be kept in step with these classes (a test compares them).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bookrelay.matching.outcome import CacheKind, LinkMethod, MatchOutcome
from bookrelay.store.columns import NAMING, UtcDateTime, stored_enum

# The outcomes a link keeps: FAILED lasts one run and is never stored (the CHECK constraint says so).
STORED_OUTCOMES = (MatchOutcome.LINKED, MatchOutcome.CONFLICT, MatchOutcome.UNMATCHED, MatchOutcome.IGNORED)


class RunStatus(StrEnum):
    """The state of one job run."""

    QUEUED = "queued"  # deferred to the PostgreSQL queue; no worker has started it yet
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    PARTIAL = "partial"


class ConflictStatus(StrEnum):
    """The state of a conflict the user is asked to decide."""

    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class WantedState(StrEnum):
    """The wanted ledger's state of a Hardcover book (W1, W2, W4)."""

    ADDED = "added"
    PRESENT = "present"
    FAILED = "failed"


class OutboxState(StrEnum):
    """An intended write's progress: pending → sent → done, or failed."""

    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"


class Base(DeclarativeBase):
    """The declarative base; its metadata names every constraint so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON(none_as_null=True)}


class User(Base):
    """A configured user, by the id from the config file."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]


class Credential(Base):
    """An encrypted secret of a user for one service (S1)."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("user_id", "service", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Link(Base):
    """A source item → its Hardcover book, edition, library entry and read."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("user_id", "source", "source_item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    source_item_id: Mapped[str] = mapped_column(String(255))
    identifiers_hash: Mapped[str | None] = mapped_column(String(64))
    hardcover_book_id: Mapped[int | None] = mapped_column(Integer)
    hardcover_edition_id: Mapped[int | None] = mapped_column(Integer)
    user_book_id: Mapped[int | None] = mapped_column(Integer)
    read_id: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[LinkMethod | None] = mapped_column(stored_enum(LinkMethod, "link_method"))
    score: Mapped[float | None] = mapped_column(Float)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[MatchOutcome] = mapped_column(
        stored_enum(MatchOutcome, "link_status", STORED_OUTCOMES), default=MatchOutcome.UNMATCHED
    )
    last_progress: Mapped[float | None] = mapped_column(Float)
    last_progress_seconds: Mapped[float | None] = mapped_column(Float)
    last_written_at: Mapped[datetime | None]
    unmatched_until: Mapped[datetime | None]
    metadata_hash: Mapped[str | None] = mapped_column(String(64))
    # The source state last settled for this item: equal on the next run → no Hardcover request.
    source_fingerprint: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class ProgressHistory(Base):
    """One observation of a source item's progress, and whether it was written to Hardcover."""

    __tablename__ = "progress_history"
    __table_args__ = (
        Index("ix_progress_history_item", "user_id", "source", "source_item_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    source_item_id: Mapped[str] = mapped_column(String(255))
    hardcover_book_id: Mapped[int | None] = mapped_column(Integer)
    progress: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float | None] = mapped_column(Float)
    pages: Mapped[int | None] = mapped_column(Integer)
    is_finished: Mapped[bool] = mapped_column(Boolean, default=False)
    observed_at: Mapped[datetime]
    written: Mapped[bool] = mapped_column(Boolean, default=False)


class Run(Base):
    """One run of one job for one user."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_user_started", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[RunStatus] = mapped_column(stored_enum(RunStatus, "run_status"), default=RunStatus.RUNNING)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    hardcover_units: Mapped[int] = mapped_column(Integer, default=0)


class RunEvent(Base):
    """Something that happened in a run, shown in `runs show` and on the web page."""

    __tablename__ = "run_events"
    __table_args__ = (Index("ix_run_events_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    level: Mapped[str] = mapped_column(String(16))
    item: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]


class Conflict(Base):
    """A match the user has to decide (M3, M4, M5); at most one open per source item."""

    __tablename__ = "conflicts"
    __table_args__ = (
        Index(
            "uq_conflicts_open_item",
            "user_id",
            "source",
            "source_item_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    source_item_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    candidates: Mapped[Any] = mapped_column(JSON)
    status: Mapped[ConflictStatus] = mapped_column(
        stored_enum(ConflictStatus, "conflict_status"), default=ConflictStatus.OPEN
    )
    resolution: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Wanted(Base):
    """The wanted ledger (W1): what was sent to Bookshelf for each Hardcover book."""

    __tablename__ = "wanted"
    __table_args__ = (UniqueConstraint("user_id", "hardcover_book_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    hardcover_book_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    state: Mapped[WantedState] = mapped_column(stored_enum(WantedState, "wanted_state"))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_at: Mapped[datetime | None]
    bookshelf_book_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class OutboxEntry(Base):
    """An intended write, keyed for idempotency (P11): recorded before it is sent."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(255))
    action: Mapped[Any] = mapped_column(JSON)
    state: Mapped[OutboxState] = mapped_column(
        stored_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LookupCacheEntry(Base):
    """A cached identifier or search lookup; ``value`` NULL is a negative entry (nothing found)."""

    __tablename__ = "lookup_cache"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[CacheKind] = mapped_column(stored_enum(CacheKind, "cache_kind"))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ScrobbleState(Base):
    """What the last scrobble run saw of one thing on both sides (S12): the base of a two-way sync.

    ``feature`` is a scrobble feature (``progress``, ``lists``, ``owned``); ``key`` names the thing
    within it (an Audiobookshelf item id, a list name, a book id); ``value`` is the snapshot.
    """

    __tablename__ = "scrobble_state"
    __table_args__ = (UniqueConstraint("user_id", "feature", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    feature: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class AudibleCalls(Base):
    """Audible traffic of one user, for the limits that must hold across processes: when the last
    Audible sync started, and the requests made on one UTC calendar day (locked row per user)."""

    __tablename__ = "audible_calls"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_sync_at: Mapped[datetime | None]
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in UTC: the day ``calls`` counts
    calls: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class HardcoverBudget(Base):
    """The Hardcover budget of one token shared by every process (several workers): a token bucket (``level``
    units, refilled since ``updated_at``) and the units spent on one UTC day. Keyed by a SHA-256 hash of
    the token, never the token itself; updated under ``SELECT … FOR UPDATE``."""

    __tablename__ = "hardcover_budget"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[float] = mapped_column(Float)  # negative while reservations wait for their refill
    updated_at: Mapped[datetime]
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in UTC: Hardcover's day ends at midnight UTC
    used_today: Mapped[int] = mapped_column(Integer, default=0)


class RunLease(Base):
    """Who runs a job for a user now (P11): one row per user and job, taken under a row lock, renewed
    while the run goes, given back at its end; an expired one (a killed process) may be taken over."""

    __tablename__ = "run_leases"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str | None] = mapped_column(String(32))  # the holder's own random token; None: free
    holder: Mapped[str | None] = mapped_column(String(64))  # what started it: cli, serve, worker
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class EnrichChange(Base):
    """One identifier written to an Audiobookshelf item by ``enrich --apply``, with the value it replaced.

    ``state``: ``pending`` (recorded before the write), ``applied``, ``failed`` (surely not written) or
    ``undone``; ``enrich undo`` puts ``old_value`` back.
    """

    __tablename__ = "enrich_changes"
    __table_args__ = (Index("ix_enrich_changes_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ItemLabel(Base):
    """How a person knows a source item and the Hardcover book it went to: title, authors, narrators,
    length, identifiers, cover. Kept apart from ``links`` so that every page can name a book without
    asking a service, and so that the sync's own link columns stay as they are."""

    __tablename__ = "item_labels"
    __table_args__ = (UniqueConstraint("user_id", "source", "source_item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    source_item_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[Any] = mapped_column(JSON)  # list of names
    narrators: Mapped[Any] = mapped_column(JSON)  # list of names
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    identifiers: Mapped[Any] = mapped_column(JSON)  # {"asin": …, "isbn": …}, only the ones the item has
    # The item's metadata as last stored: equal on the next run → the row is not written again.
    metadata_hash: Mapped[str | None] = mapped_column(String(64))
    hardcover_book_id: Mapped[int | None] = mapped_column(Integer)
    hardcover_title: Mapped[str | None] = mapped_column(Text)
    hardcover_authors: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    image_url: Mapped[str | None] = mapped_column(Text)  # the Hardcover book's cover (a public address)
    updated_at: Mapped[datetime]


TABLES_IN_DELETE_ORDER = [
    "run_leases",
    "item_labels",
    "hardcover_budget",
    "audible_calls",
    "run_events",
    "outbox",
    "runs",
    "progress_history",
    "conflicts",
    "wanted",
    "links",
    "scrobble_state",
    "credentials",
    "lookup_cache",
    "users",
]
