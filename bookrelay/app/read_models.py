"""Read models: what the front ends show of the store and of Hardcover (pydantic, so that the API
answers them as they are and its OpenAPI document describes them).

They are built from the store here in ``app`` (:mod:`bookrelay.app.views`), never in the web layer: a
page or an API route gets these values, not ORM rows or store enums. Answers never carry a secret (S1):
credentials are listed by service and name only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

# The states the read models speak of, by the names the API and its OpenAPI document use: a link's is
# the matching's outcome; a conflict's and a run's are defined with the store's tables today. The front
# ends take them from here, not from the store.
from bookrelay.matching.outcome import MatchOutcome as MatchOutcome
from bookrelay.store.models import ConflictStatus as ConflictStatus
from bookrelay.store.models import RunStatus as RunStatus


class RunOut(BaseModel):
    """One job run."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: str
    job: str
    status: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    hardcover_units: int
    error: str | None
    summary: dict[str, Any] | None


class RunEventOut(BaseModel):
    """Something that happened in a run."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    level: str
    item: str | None
    kind: str
    message: str
    data: dict[str, Any] | None


class RunDetail(RunOut):
    """A run with its events in order."""

    events: list[RunEventOut]


class ScorePart(BaseModel):
    """One named part of a match score (title, author, duration, series, year)."""

    name: str
    value: float | None = None
    weight: float | None = None
    detail: str = ""


class EditionOut(BaseModel):
    """A Hardcover edition, as much as the page needs to choose one."""

    id: int
    title: str | None = None
    format: str | None = None
    reading_format: str | None = None
    audio_seconds: int | None = None
    pages: int | None = None
    isbn_13: str | None = None
    asin: str | None = None


class CandidateOut(BaseModel):
    """A candidate book of a conflict with its score explained; book details when Hardcover gave them."""

    book_id: int
    title: str
    score: float
    explanation: str
    parts: list[ScorePart]
    authors: list[str] = []
    image_url: str | None = None
    release_year: int | None = None
    editions: list[EditionOut] = []


class ConflictOut(BaseModel):
    """A match the user has to decide."""

    id: int
    user_id: str
    source: str
    source_item_id: str
    title: str
    reason: str
    status: str
    resolution: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    candidate_count: int


class ItemOut(BaseModel):
    """The user's own item as its source describes it, shown beside each candidate of a conflict."""

    title: str
    authors: list[str] = []
    narrators: list[str] = []
    duration_seconds: float | None = None
    identifiers: dict[str, str] = {}


class ConflictDetail(ConflictOut):
    """A conflict with its candidates; ``details_error`` says why book details are missing; ``item`` is
    the user's own item (None when the sync has not stored it yet)."""

    candidates: list[CandidateOut]
    details_error: str | None = None
    item: ItemOut | None = None


class LinkOut(BaseModel):
    """A source item's link to Hardcover."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: str
    source: str
    source_item_id: str
    hardcover_book_id: int | None
    hardcover_edition_id: int | None
    method: str | None
    score: float | None
    pinned: bool
    sync_enabled: bool
    status: str
    last_progress: float | None
    last_written_at: datetime | None
    updated_at: datetime
    # How a person knows the item and its book (from the stored label; empty before the sync met the item).
    title: str | None = None
    authors: list[str] = []
    hardcover_title: str | None = None
    hardcover_authors: list[str] = []
    image_url: str | None = None


class SearchHitOut(BaseModel):
    """A Hardcover search result."""

    book_id: int
    title: str
    authors: list[str]
    release_year: int | None
    audio_seconds: int | None
    pages: int | None
    image_url: str | None
    users_count: int


class CredentialOut(BaseModel):
    """A stored credential, named only: its value is never returned (S1)."""

    service: str
    name: str


class UserOut(BaseModel):
    """A user the configuration or the store knows."""

    id: str
    configured: bool
    credentials: list[CredentialOut]


class JobStatus(BaseModel):
    """A job's last run and its next scheduled one."""

    job: str
    last_run: RunOut | None
    next_run: datetime | None


class ReadingItem(BaseModel):
    """An item in progress: its link and the last progress seen."""

    source: str
    source_item_id: str
    hardcover_book_id: int | None
    progress: float
    observed_at: datetime
    title: str | None = None  # the item's, from its label; None before the sync stored one
    authors: list[str] = []
    image_url: str | None = None  # the Hardcover book's cover


class UserStatus(BaseModel):
    """One user's state at a glance."""

    user_id: str
    jobs: list[JobStatus]
    links: dict[str, int]
    open_conflicts: int
    wanted: dict[str, int]
    hardcover_units_today: int
    hardcover_units_left_today: int
    currently_reading: list[ReadingItem]


class HistoryOut(BaseModel):
    """One observation of an item's progress."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    source_item_id: str
    hardcover_book_id: int | None
    progress: float
    seconds: float | None
    pages: int | None
    is_finished: bool
    written: bool
    observed_at: datetime


class CountPoint(BaseModel):
    """A value for one period (a day ``2026-11-20`` or a month ``2026-11``)."""

    period: str
    value: float


class Statistics(BaseModel):
    """Per user: runs, failures, recent activity and the series the charts draw."""

    user_id: str
    runs: int
    failed_runs: int
    partial_runs: int
    items_written: int
    books_finished: int
    last_activity: datetime | None
    recent_runs: list[RunOut]
    finished_per_month: list[CountPoint]
    hours_listened: list[CountPoint]
    units_per_day: list[CountPoint]


class WantedOut(BaseModel):
    """A row of the wanted ledger (W1)."""

    model_config = ConfigDict(from_attributes=True)

    hardcover_book_id: int
    title: str | None
    state: str
    reason: str | None
    attempts: int
    next_retry_at: datetime | None
    bookshelf_book_id: int | None
    updated_at: datetime
