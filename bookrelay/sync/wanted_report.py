"""What a wanted run reports, and its settings: one row per book, the counts, units and requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bookrelay.sync.runs import JobReport


def retry_backoff(attempts: int) -> timedelta:
    """1 hour after the first failure, doubling with each further one, at most 7 days (W4)."""
    return min(timedelta(hours=2 ** max(attempts - 1, 0)), timedelta(days=7))


@dataclass(frozen=True, slots=True)
class WantedSettings:
    """The job's settings; root folder and profiles by id, name (or path), unset → the folder's defaults."""

    root_folder: int | str | None = None
    quality_profile: int | str | None = None
    metadata_profile: int | str | None = None
    search_on_add: bool = True
    unmonitor_removed: bool = False
    page_size: int = 100
    backoff: Callable[[int], timedelta] = retry_backoff

    @classmethod
    def from_config(cls, bookshelf: Any, *, unmonitor_removed: bool = False) -> WantedSettings:
        """From ``config.global_.bookshelf`` (:class:`bookrelay.config.models.BookshelfSettings`)."""
        return cls(
            root_folder=bookshelf.root_folder,
            quality_profile=bookshelf.quality_profile,
            metadata_profile=bookshelf.metadata_profile,
            search_on_add=bookshelf.search_on_add,
            unmonitor_removed=getattr(bookshelf, "unmonitor_removed", unmonitor_removed),
        )


@dataclass(slots=True)
class WantedRow:
    """What happened to one book; ``outcome`` is added, present, monitored, failed, waiting, done,
    deferred, unmonitored, kept or (dry run) would_add / would_monitor / would_unmonitor."""

    hardcover_book_id: int
    title: str
    outcome: str
    reason: str | None = None
    retried: bool = False
    bookshelf_book_id: int | None = None
    foreign_book_id: str | None = None
    isbn13: str | None = None
    asin: str | None = None
    cover_url: str | None = None
    next_retry_at: datetime | None = None


@dataclass
class WantedReport(JobReport):
    """The run summary: per-book rows, Hardcover units, requests per service; ``error`` says why the run
    ended early (quota, auth), if it did."""

    dry_run: bool
    shelf_size: int = 0
    rows: list[WantedRow] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)

    def with_outcome(self, *outcomes: str) -> list[WantedRow]:
        """The rows with one of these outcomes."""
        return [r for r in self.rows if r.outcome in outcomes]

    def counts(self) -> dict[str, int]:
        """How many rows per outcome."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        return counts

    def failed_items(self) -> int:
        """Books that failed this run (retried on a later one, W4)."""
        return len(self.with_outcome("failed"))

    def added_titles(self) -> tuple[str, ...]:
        """Books this run added to Bookshelf (none for a dry run)."""
        return () if self.dry_run else tuple(r.title for r in self.rows if r.outcome == "added")

    def run_status(self) -> str:
        """failed when the run stopped, else ok: a book that failed waits for its retry on a later run
        (W4), so the run itself stays ok in the store (the run's result and metrics say partial)."""
        return "failed" if self.error else "ok"

    def item_lines(self) -> list[str]:
        """One line per book: its outcome and the reason."""
        return [f"{r.outcome}: {r.title}" + (f" ({r.reason})" if r.reason else "") for r in self.rows]

    def run_summary(self) -> dict[str, Any]:
        """The JSON-ready summary stored with the run."""
        return {"summary": self.summary(), "counts": self.counts(), "requests": self.requests}

    @property
    def retried(self) -> list[WantedRow]:
        """Rows of books whose earlier attempt had failed."""
        return [r for r in self.rows if r.retried]

    def summary(self) -> str:
        """One line for the CLI and the logs."""
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items())) or "nothing"
        calls = ", ".join(f"{k} {v}" for k, v in self.requests.items())
        mode = "dry run: " if self.dry_run else ""
        units = self.units_spent
        return f"{mode}{self.shelf_size} on the shelf: {counts}; Hardcover units {units}; requests: {calls}"
