"""One job contract and one run recorder, for every job and every front end.

A job is anything with a ``name`` and an async ``run(user, context)`` that returns a :class:`JobReport`;
the report says what every front end reads the same way: counts per outcome, the Hardcover units spent,
why the run stopped (the message and its class in the error tree, one pair for every job) and its item lines.
Each job's own report extends it.

:class:`RunRecorder` is the one place a run is recorded: reserve (queued, so an API can answer 202 with
its id) → start (or begin the reserved run) → events → finish with status, summary and units. The
CLI, the scheduler, the API/web launcher and the queue worker hand a job a recorder; whoever reserved
the run gives it to the recorder, and whoever waits for the id is told by ``on_start``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bookrelay.errors import BookrelayError, kind_of
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class JobReport:
    """What any job run did: its run, units, the reason it stopped (if it did) and its outcomes."""

    run_id: int | None = None
    units_spent: int = 0  # Hardcover units this run spent
    error: str | None = None  # why the run stopped early, if it did
    # The error class that stopped it (AuthError, QuotaExhausted, …): the queue's retry rule reads it.
    error_kind: str | None = None

    def stop(self, exc: BaseException, message: str | None = None) -> None:
        """Say that ``exc`` stopped the run (the one way to say "stopped")."""
        self.error = message if message is not None else str(exc)
        self.error_kind = kind_of(exc) if isinstance(exc, BookrelayError) else None

    def failed_items(self) -> int:
        """How many items (or steps) failed while the run went on; 0 unless a job's report says more."""
        return 0

    @property
    def status(self) -> str:
        """ok, partial (some items failed) or failed (the run stopped)."""
        if self.error:
            return "failed"
        return "partial" if self.failed_items() else "ok"

    def counts(self) -> Mapping[str, int]:
        """How many items ended in each outcome."""
        return {}

    def opened_conflicts(self) -> int:
        """Conflicts this run opened (a notification names them)."""
        return 0

    def finished_titles(self) -> tuple[str, ...]:
        """Books this run marked finished on Hardcover."""
        return ()

    def added_titles(self) -> tuple[str, ...]:
        """Books this run added to Bookshelf."""
        return ()

    def item_lines(self) -> list[str]:
        """One line per item the run changed or could not handle, for logs and terminals."""
        return []

    def run_status(self) -> str:
        """The status stored with the run: :attr:`status` unless a job's report says otherwise."""
        return self.status

    def run_error(self) -> str | None:
        """The reason stored with the run: why it stopped, if it did."""
        return self.error

    def run_summary(self) -> dict[str, Any]:
        """The JSON-ready summary stored with the run."""
        return {"counts": dict(self.counts()), "error": self.error}


@dataclass(frozen=True, slots=True)
class RunContext:
    """What one run is given besides its user: the recorder of its run, whether it only reads, and (for
    the real-time trigger) the only source items it needs to look at."""

    runs: RunRecorder
    dry_run: bool = False
    items: frozenset[str] | None = None


class Job(Protocol):
    """One of the four jobs: ``run`` does it for one user and records the run through ``context.runs``."""

    @property
    def name(self) -> str:
        """The job's name (:data:`bookrelay.domain.jobs.JOB_NAMES`)."""
        ...

    async def run(self, user_id: str, context: RunContext) -> JobReport:
        """Run the job once for ``user_id``; errors that stop the run are in the report, not raised."""
        ...


_STATUS = {"ok": RunStatus.OK, "partial": RunStatus.PARTIAL, "failed": RunStatus.FAILED}


class RunRecorder:
    """Records the runs of one store: reserve → start → events → finish, with the units spent.

    ``reserved`` is a run id reserved earlier (by the scheduler, the API or the queue): the next
    :meth:`start` begins it instead of recording a new run. ``on_start`` hears the id of each run as it
    starts, so that a launcher learns it without reading the store."""

    def __init__(
        self, store: Store, *, reserved: int | None = None, on_start: Callable[[int], None] | None = None
    ) -> None:
        self.store = store
        self._reserved = reserved
        self._on_start = on_start

    def reserve(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        """Record a run as queued now and return its id; it shows as running once it starts."""
        return self.store.runs.queue(user_id, job, dry_run=dry_run).id

    def begin_reserved(self) -> int | None:
        """Mark the reserved run as running from now, its wait in the queue over (the job's :meth:`start`
        then returns it); its id, None without a reservation."""
        if self._reserved is not None:
            self.store.runs.begin(self._reserved)
        return self._reserved

    def start(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        """The id of the run starting now: the reserved one (begun now), else a new run."""
        if self._reserved is not None:
            run_id, self._reserved = self._reserved, None
            self.store.runs.begin(run_id)
        else:
            run_id = self.store.runs.start(user_id, job, dry_run=dry_run).id
        if self._on_start is not None:
            self._on_start(run_id)
        return run_id

    def events(self, run_id: int, events: Iterable[dict[str, Any]]) -> None:
        """What the run changed, item by item; a failure here loses the list, never the run's record."""
        try:
            self.store.runs.add_events(run_id, events)
        except BookrelayError as exc:
            log.warning("the list of what run %s changed was not stored: %s", run_id, exc)

    def finish(self, run_id: int, report: JobReport) -> None:
        """Close the run with the report's status, summary, units and reason; then purge the lookup
        cache's expired entries, which no run reads again."""
        summary, error = report.run_summary(), report.run_error()
        self.close(run_id, report.run_status(), summary, report.units_spent, error)
        self.purge_lookup_cache()

    def fail(self, run_id: int, error: str, units: int = 0) -> None:
        """Close a run that ended before it could report (an error, an interruption) as failed."""
        self.close(run_id, "failed", None, units, error)

    def close(
        self, run_id: int, status: str, summary: dict[str, Any] | None, units: int, error: str | None
    ) -> None:
        """Close a run with its status (ok, partial or failed), summary, units and reason."""
        self.store.runs.finish(run_id, _STATUS[status], summary, units, error)

    def is_open(self, run_id: int) -> bool:
        """Whether the run is still queued or running: its job ended without closing it."""
        run, _ = self.store.runs.get_with_events(run_id)
        return run.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    def purge_lookup_cache(self) -> int:
        """Delete the lookup cache's expired entries (every run does, so the cache never only grows)."""
        try:
            purged = self.store.lookup_cache.purge_expired()
        except BookrelayError as exc:
            log.warning("the lookup cache was not purged: %s", exc)
            return 0
        if purged:
            log.info("purged %d expired lookup cache entries", purged)
        return purged
