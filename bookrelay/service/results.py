"""One shape for what any job run did, so metrics and notifications need not know each job's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bookrelay.sync.runs import JobReport


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of one run of one job for one user."""

    user_id: str
    job: str
    status: str  # ok, partial, failed
    run_id: int | None = None
    dry_run: bool = False
    duration_seconds: float = 0.0
    items: dict[str, int] = field(default_factory=dict)  # outcome → count
    hardcover_units: int = 0
    error: str | None = None
    error_kind: str | None = None  # the bookrelay.errors class that stopped the run, when one did
    conflicts_opened: int = 0
    added_to_bookshelf: tuple[str, ...] = ()  # titles
    finished_books: tuple[str, ...] = ()  # titles


def from_report(job: str, user_id: str, report: JobReport, *, duration: float = 0.0) -> RunResult:
    """A :class:`RunResult` from any job's report (:class:`bookrelay.sync.runs.JobReport`)."""
    return RunResult(
        user_id=user_id,
        job=job,
        status=report.status,
        run_id=report.run_id,
        dry_run=bool(getattr(report, "dry_run", False)),
        duration_seconds=duration,
        items=dict(report.counts()),
        hardcover_units=report.units_spent,
        error=report.run_error(),
        error_kind=report.error_kind,
        conflicts_opened=report.opened_conflicts(),
        added_to_bookshelf=report.added_titles(),
        finished_books=report.finished_titles(),
    )
