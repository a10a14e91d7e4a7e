"""The jobs as service job functions and the in-process runner of them, with its notifier.

bookrelay.service.* is imported inside these functions: only service mode needs socket.io, Apprise
and Prometheus, and the CLI starts faster without them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from bookrelay.app.clients import build_user_clients
from bookrelay.app.enrich import run_enrich
from bookrelay.app.progress import build_progress_job, progress_ticks
from bookrelay.app.scrobble import run_scrobble
from bookrelay.app.wanted import wanted_for_user
from bookrelay.config import Config
from bookrelay.domain.models import Source
from bookrelay.errors import BookrelayError, kind_of
from bookrelay.store.facade import Store
from bookrelay.sync.report import ProgressReport
from bookrelay.sync.runs import RunRecorder
from bookrelay.sync.sources import SourceEntry

if TYPE_CHECKING:
    from bookrelay.service.notify import Notifier
    from bookrelay.service.results import RunResult
    from bookrelay.service.runner import JobFunction, JobRunner


def _progress_job(config: Config, transport: httpx.AsyncBaseTransport | None, holder: str) -> JobFunction:
    """The progress job as a service job function; ``items`` narrows Audiobookshelf to those items."""
    import dataclasses

    from bookrelay.service.heartbeat import Heartbeat
    from bookrelay.service.results import from_progress

    async def progress(
        user_id: str, *, dry_run: bool, items: frozenset[str] | None, runs: RunRecorder
    ) -> RunResult:
        user, store = config.user(user_id), runs.store
        clients = build_user_clients(config, user, transport=transport)
        beat = Heartbeat()
        try:
            # Off a terminal a long run says how far it has come: a log line per phase and every ~30 s.
            ticks = progress_ticks(config, user_id, clients, beat)
            job = build_progress_job(
                config, user, clients, store, on_progress=ticks, transport=transport, holder=holder
            )
            job = dataclasses.replace(job, runs=runs)
            if items is not None:
                collect_all = job.collect

                async def collect_changed() -> list[SourceEntry]:
                    # Other sources stay in, so that two sources of one book still merge (A4).
                    abs_name = Source.AUDIOBOOKSHELF.value
                    return [
                        e
                        for e in await collect_all()
                        if e.item.source.value != abs_name or e.item.item_id in items
                    ]

                job = dataclasses.replace(job, collect=collect_changed)
            report = await job.run(dry_run=dry_run)
        except BookrelayError as exc:
            report = ProgressReport(user_id, dry_run=dry_run)
            report.stop(exc)
        finally:
            beat.close()
            await clients.aclose()
        return from_progress(report)

    return progress


def _wanted_job(config: Config, transport: httpx.AsyncBaseTransport | None) -> JobFunction:
    """The wanted job as a service job function (``wanted_for_user`` records the run); the error that
    stopped a run is classified (``error_kind``) for the queue's retry rule, as the progress job's is."""
    from bookrelay.service.results import RunResult, from_wanted

    async def wanted(
        user_id: str, *, dry_run: bool, items: frozenset[str] | None, runs: RunRecorder
    ) -> RunResult:
        try:
            report = await wanted_for_user(
                config, user_id, runs.store, dry_run=dry_run, transport=transport, runs=runs
            )
        except BookrelayError as exc:
            return RunResult(
                user_id, "wanted", "failed", dry_run=dry_run, error=str(exc), error_kind=kind_of(exc)
            )
        return from_wanted(report, user_id=user_id, run_id=None)

    return wanted


def build_notifier(config: Config) -> Notifier | None:
    """The Apprise notifier of ``global.notify``, or None when no URL is configured."""
    settings = config.global_.notify
    if not settings.urls:
        return None  # Apprise loads every plugin it has (3.6 MiB): only when a URL asks for it
    from bookrelay.service.notify import Notifier

    return Notifier([url.get_secret_value() for url in settings.urls], settings.on)


def make_job_runner(
    config: Config,
    store: Store,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    holder: str = "serve",
) -> JobRunner:
    """The runner the scheduler and the API use: ``async (user_id, job, *, dry_run=False) -> run id``
    plus ``reserve``/``abandon``/``jobs`` (:class:`bookrelay.service.runner.JobRunner`); ``holder``
    names this process to a run that must wait for a user's lease."""
    from bookrelay.service.runner import JobRunner

    jobs = {
        "progress": _progress_job(config, transport, holder),
        "wanted": _wanted_job(config, transport),
        "enrich": _enrich_job(config, transport),
        "scrobble": _scrobble_job(config, transport),
    }
    return JobRunner(store, jobs, notifier=build_notifier(config))


def _scrobble_job(config: Config, transport: httpx.AsyncBaseTransport | None) -> JobFunction:
    """The scrobble job (Hardcover → Audiobookshelf, lists, owned) as a service job function."""
    from bookrelay.service.results import from_report

    async def scrobble(
        user_id: str, *, dry_run: bool, items: frozenset[str] | None, runs: RunRecorder
    ) -> RunResult:
        (report,) = await run_scrobble(
            config, [user_id], dry_run=dry_run, transport=transport, store=runs.store, runs=runs
        )
        return from_report("scrobble", user_id, report)

    return scrobble


def _enrich_job(config: Config, transport: httpx.AsyncBaseTransport | None) -> JobFunction:
    """The enrich job (Hardcover identifiers → Audiobookshelf) as a service job function: a scheduled run
    writes (``global.jobs.enrich`` switched it on), a dry run only proposes."""
    from bookrelay.service.results import RunResult, from_report

    async def enrich(
        user_id: str, *, dry_run: bool, items: frozenset[str] | None, runs: RunRecorder
    ) -> RunResult:
        try:
            report = await run_enrich(
                config, user_id, apply=not dry_run, transport=transport, store=runs.store, runs=runs
            )
        except BookrelayError as exc:
            return RunResult(
                user_id, "enrich", "failed", dry_run=dry_run, error=str(exc), error_kind=kind_of(exc)
            )
        return from_report("enrich", user_id, report)

    return enrich
