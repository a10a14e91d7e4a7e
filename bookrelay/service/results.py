"""One shape for what any job run did, so metrics and notifications need not know each job's report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


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


def from_progress(report: Any, *, duration: float = 0.0) -> RunResult:
    """A :class:`RunResult` from a :class:`bookrelay.sync.report.ProgressReport`."""
    items: Counter[str] = Counter(
        written=report.written,
        unchanged=report.unchanged,
        held=sum(report.held.values()),
        skipped=report.skipped,
        conflict=report.conflicts_opened,
        unmatched=len(report.unmatched),
        failed=len(report.failed),
        disabled=report.disabled,
    )
    finished = () if report.dry_run else tuple(report.finished)
    return RunResult(
        user_id=report.user_id,
        job="progress",
        status=report.status,
        run_id=report.run_id,
        dry_run=report.dry_run,
        duration_seconds=duration,
        items={k: v for k, v in items.items() if v},
        hardcover_units=report.units_spent,
        error=report.error,
        error_kind=getattr(report, "error_kind", None),
        conflicts_opened=report.conflicts_opened,
        finished_books=() if report.error else finished,
    )


def from_wanted(report: Any, *, user_id: str, run_id: int | None, duration: float = 0.0) -> RunResult:
    """A :class:`RunResult` from a :class:`bookrelay.sync.wanted.WantedReport`."""
    counts = dict(report.counts())
    status = "failed" if report.stopped else ("partial" if counts.get("failed") else "ok")
    added = tuple(row.title for row in report.rows if row.outcome == "added")
    return RunResult(
        user_id=user_id,
        job="wanted",
        status=status,
        run_id=run_id,
        dry_run=report.dry_run,
        duration_seconds=duration,
        items=counts,
        hardcover_units=report.hardcover_units,
        error=report.stopped,
        error_kind=report.stopped_kind,
        added_to_bookshelf=() if report.dry_run else added,
    )
