"""What happened, as read models: runs and what they changed, progress history, a user's status at a
glance, the statistics and their chart series, the wanted ledger. Built from the store here, so that the
front ends show these values and never ORM rows or store enums."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bookrelay.app.common import open_store
from bookrelay.app.read_models import (
    CountPoint,
    HistoryOut,
    JobStatus,
    ReadingItem,
    RunDetail,
    RunEventOut,
    RunOut,
    Statistics,
    UserStatus,
    WantedOut,
)
from bookrelay.app.views import ReadContext
from bookrelay.config import Config
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.models import ConflictStatus, ProgressHistory, Run, RunEvent, RunStatus

_RUN_WINDOW = 2000  # runs read for statistics: months of daily runs for one user


def user_status(ctx: ReadContext, user_id: str) -> UserStatus:
    """Last and next run per job, counts, Hardcover units left today, and what is being read."""
    store = ctx.store
    jobs = []
    for job in ctx.enabled_jobs(user_id) or ["progress"]:
        last = store.runs.recent(1, user_id=user_id, job=job)
        jobs.append(
            JobStatus(
                job=job,
                last_run=RunOut.model_validate(last[0]) if last else None,
                next_run=ctx.next_run(user_id, job),
            )
        )
    links = store.links.list_for_user(user_id)
    now = ctx.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    spent = sum(
        r.hardcover_units or 0 for r in store.runs.recent(500, user_id=user_id) if r.started_at >= midnight
    )
    return UserStatus(
        user_id=user_id,
        jobs=jobs,
        links=dict(Counter(link.status.value for link in links)),
        open_conflicts=len(store.conflicts.list(ConflictStatus.OPEN, user_id=user_id)),
        wanted=dict(Counter(w.state.value for w in store.wanted.list_for_user(user_id))),
        hardcover_units_today=spent,
        hardcover_units_left_today=max(ctx.config.global_.hardcover.daily - spent, 0),
        currently_reading=_reading(ctx, user_id, {(lk.source, lk.source_item_id): lk.status for lk in links}),
    )


def _reading(
    ctx: ReadContext, user_id: str, statuses: dict[tuple[str, str], MatchOutcome]
) -> list[ReadingItem]:
    latest: dict[tuple[str, str], ProgressHistory] = {}
    for row in ctx.store.history.list_for_user(user_id, limit=2000):
        latest[(row.source, row.source_item_id)] = row
    finish_at = ctx.config.global_.sync.finish_at
    shown = {
        key: row
        for key, row in latest.items()
        if not row.is_finished and 0 < row.progress < finish_at and statuses.get(key) != MatchOutcome.IGNORED
    }
    labels = ctx.store.labels.for_items(user_id, list(shown))
    reading = []
    for key, row in shown.items():
        label = labels.get(key)
        reading.append(
            ReadingItem(
                source=row.source,
                source_item_id=row.source_item_id,
                hardcover_book_id=row.hardcover_book_id,
                progress=row.progress,
                observed_at=row.observed_at,
                title=label.title if label else None,
                authors=list(label.authors or label.hardcover_authors) if label else [],
                image_url=label.image_url if label else None,
            )
        )
    return sorted(reading, key=lambda r: r.observed_at, reverse=True)


def statistics(ctx: ReadContext, user_id: str, *, days: int = 30) -> Statistics:
    """Syncs, failures, recent activity, and the series of the charts (the last ``days`` for daily ones)."""
    runs = ctx.store.runs.recent(_RUN_WINDOW, user_id=user_id)
    history = ctx.store.history.list_for_user(user_id)
    since = ctx.now() - timedelta(days=days)
    finished = _finished_per_month(history)
    last_activity = max(
        [r.started_at for r in runs[:1]] + [h.observed_at for h in history[-1:]], default=None
    )
    return Statistics(
        user_id=user_id,
        runs=len(runs),
        failed_runs=sum(1 for r in runs if r.status == RunStatus.FAILED),
        partial_runs=sum(1 for r in runs if r.status == RunStatus.PARTIAL),
        # A dry run's summary counts what it would write; nothing was written.
        items_written=sum(
            int((r.summary or {}).get("written") or 0) for r in runs if not (r.summary or {}).get("dry_run")
        ),
        books_finished=int(sum(p.value for p in finished)),
        last_activity=last_activity,
        recent_runs=[RunOut.model_validate(r) for r in runs[:10]],
        finished_per_month=finished,
        hours_listened=_hours_listened(history, since),
        units_per_day=_units_per_day([r for r in runs if r.started_at >= since]),
    )


def _finished_per_month(history: list[ProgressHistory]) -> list[CountPoint]:
    first_finish: dict[tuple[str, str], datetime] = {}
    for row in history:
        key = (row.source, row.source_item_id)
        # A finish counts once it was written to Hardcover, not when a source merely reported it.
        if row.is_finished and row.written and key not in first_finish:
            first_finish[key] = row.observed_at
    months = Counter(f"{when:%Y-%m}" for when in first_finish.values())
    return [CountPoint(period=m, value=n) for m, n in sorted(months.items())]


def _hours_listened(history: list[ProgressHistory], since: datetime) -> list[CountPoint]:
    """Each day's total position over every item (hours): how far the listening has come."""
    position: dict[tuple[str, str], float] = {}
    per_day: dict[str, float] = {}
    for row in history:
        if row.seconds is None:
            continue
        position[(row.source, row.source_item_id)] = row.seconds
        if row.observed_at >= since:
            per_day[f"{row.observed_at:%Y-%m-%d}"] = sum(position.values()) / 3600
    return [CountPoint(period=d, value=round(v, 2)) for d, v in sorted(per_day.items())]


def _units_per_day(runs: list[Run]) -> list[CountPoint]:
    per_day: dict[str, int] = defaultdict(int)
    for run in runs:
        per_day[f"{run.started_at:%Y-%m-%d}"] += run.hardcover_units or 0
    return [CountPoint(period=d, value=v) for d, v in sorted(per_day.items())]


@dataclass(frozen=True, slots=True)
class RunView:
    """One recorded run as the front ends list it."""

    id: int
    user_id: str
    job: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    hardcover_units: int
    dry_run: bool
    error: str | None

    @classmethod
    def of(cls, run: Run) -> RunView:
        """The view of a stored run."""
        return cls(
            id=run.id,
            user_id=run.user_id,
            job=run.job,
            status=RunStatus(run.status).value,
            started_at=run.started_at,
            finished_at=run.finished_at,
            hardcover_units=run.hardcover_units or 0,
            dry_run=bool(run.dry_run),
            error=run.error,
        )


@dataclass(frozen=True, slots=True)
class BookChange:
    """What a run did to one book: written, held, failed or left for the user, in words."""

    kind: str
    title: str
    authors: tuple[str, ...]
    words: str


def recent_runs(config: Config, limit: int) -> list[RunView]:
    """The newest runs recorded in the store."""
    with open_store(config) as store:
        return [RunView.of(run) for run in store.runs.recent(limit)]


def run_changes(config: Config, run_id: int | None) -> tuple[RunView | None, list[BookChange]]:
    """One run (the newest that changed a book when ``run_id`` is None) and what it did to each book: each
    book it wrote, held, failed or could not place; (None, []) when there is no such run."""
    with open_store(config) as store:
        candidates = [store.runs.get_with_events(run_id)[0]] if run_id is not None else store.runs.recent(20)
        for run in candidates:
            _, events = store.runs.get_with_events(run.id)
            changes = [_book_change(e) for e in events if isinstance(e.data, dict) and "title" in e.data]
            if changes or run_id is not None:
                return RunView.of(run), changes
    return None, []


def _book_change(event: RunEvent) -> BookChange:
    data = event.data or {}
    return BookChange(
        kind=event.kind,
        title=str(data.get("title")),
        authors=tuple(data.get("authors") or ()),
        words=event.message,
    )


def runs(
    store: Store,
    limit: int,
    *,
    user_id: str | None = None,
    job: str | None = None,
    status: RunStatus | None = None,
) -> list[RunOut]:
    """The newest runs, optionally of one user, job and status."""
    return [
        RunOut.model_validate(r) for r in store.runs.recent(limit, user_id=user_id, job=job, status=status)
    ]


def run_detail(store: Store, run_id: int) -> RunDetail:
    """One run with its events in order; NotFound when there is none."""
    run, events = store.runs.get_with_events(run_id)
    return RunDetail(
        **RunOut.model_validate(run).model_dump(), events=[RunEventOut.model_validate(e) for e in events]
    )


def history(store: Store, user_id: str, limit: int) -> list[HistoryOut]:
    """The user's newest progress observations, newest first."""
    return [HistoryOut.model_validate(r) for r in reversed(store.history.list_for_user(user_id, limit=limit))]


def wanted(store: Store, user_id: str) -> list[WantedOut]:
    """The user's wanted ledger (W1)."""
    return [WantedOut.model_validate(w) for w in store.wanted.list_for_user(user_id)]
