"""The four jobs as service jobs (:class:`bookrelay.sync.runs.Job`), and the in-process runner of them,
with its notifier.

The runner (prometheus_client) and the notifier (apprise) are imported inside the function that builds
each: a CLI command that runs one job needs neither (the rule is in :mod:`bookrelay.cli.main`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from bookrelay.app.clients import user_clients
from bookrelay.app.enrich import run_enrich
from bookrelay.app.progress import build_progress_job, progress_ticks
from bookrelay.app.scrobble import run_scrobble
from bookrelay.app.wanted import wanted_for_user
from bookrelay.config import Config
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import Source
from bookrelay.errors import BookrelayError
from bookrelay.service.heartbeat import Heartbeat
from bookrelay.store.facade import Store
from bookrelay.sync.enrich import EnrichReport
from bookrelay.sync.progress import ProgressJob
from bookrelay.sync.report import ProgressReport
from bookrelay.sync.runs import Job, RunContext
from bookrelay.sync.scrobble.job import ScrobbleReport
from bookrelay.sync.wanted import WantedReport

if TYPE_CHECKING:
    from bookrelay.service.notify import Notifier
    from bookrelay.service.runner import JobRunner


@dataclass(frozen=True)
class ProgressService:
    """The progress job for any configured user; ``context.items`` narrows Audiobookshelf to those items."""

    config: Config
    transport: httpx.AsyncBaseTransport | None
    holder: str
    name: str = "progress"

    async def run(self, user_id: str, context: RunContext) -> ProgressReport:
        """One progress run, recorded by ``context.runs``; an error before it could start is its report."""
        config, items = self.config, context.items
        user = config.user(user_id)
        async with user_clients(config, user, transport=self.transport) as clients:
            beat = Heartbeat()
            try:
                # Off a terminal a long run says how far it has come: a log line per phase and every ~30 s.
                ticks = progress_ticks(config, user_id, clients, beat)
                job = build_progress_job(
                    config,
                    user,
                    clients,
                    context.runs.store,
                    on_progress=ticks,
                    transport=self.transport,
                    holder=self.holder,
                )
                job = dataclasses.replace(job, runs=context.runs)
                if items is not None:
                    job = _only_changed(job, items)
                return await job.run(dry_run=context.dry_run)
            except BookrelayError as exc:
                report = ProgressReport(user_id, dry_run=context.dry_run)
                report.stop(exc)
                return report
            finally:
                beat.close()


def _only_changed(job: ProgressJob, items: Collection[str]) -> ProgressJob:
    """The job with its Audiobookshelf items narrowed to ``items`` (what the real-time trigger saw change)."""
    collect_all = job.collect

    async def collect_changed() -> list[SourceEntry]:
        # Other sources stay in, so that two sources of one book still merge (A4).
        abs_name = Source.AUDIOBOOKSHELF.value
        return [e for e in await collect_all() if e.item.source.value != abs_name or e.item.item_id in items]

    return dataclasses.replace(job, collect=collect_changed)


@dataclass(frozen=True)
class WantedService:
    """The wanted job for any configured user (``wanted_for_user`` records the run); the error that
    stopped a run is classified (``error_kind``) for the queue's retry rule, as every job's is."""

    config: Config
    transport: httpx.AsyncBaseTransport | None
    name: str = "wanted"

    async def run(self, user_id: str, context: RunContext) -> WantedReport:
        """One wanted run; an error that stopped it is its report."""
        try:
            return await wanted_for_user(
                self.config,
                user_id,
                context.runs.store,
                dry_run=context.dry_run,
                transport=self.transport,
                runs=context.runs,
            )
        except BookrelayError as exc:
            report = WantedReport(dry_run=context.dry_run)
            report.stop(exc)
            return report


@dataclass(frozen=True)
class EnrichService:
    """The enrich job (Hardcover identifiers → Audiobookshelf): a scheduled run writes (``global.jobs``
    switched it on), a dry run only proposes."""

    config: Config
    transport: httpx.AsyncBaseTransport | None
    name: str = "enrich"

    async def run(self, user_id: str, context: RunContext) -> EnrichReport:
        """One enrich run over the whole library; an error before it could start is its report."""
        try:
            return await run_enrich(
                self.config,
                user_id,
                apply=not context.dry_run,
                transport=self.transport,
                store=context.runs.store,
                runs=context.runs,
            )
        except BookrelayError as exc:
            report = EnrichReport(user_id, dry_run=context.dry_run, min_score=0.0)
            report.stop(exc)
            return report


@dataclass(frozen=True)
class ScrobbleService:
    """The scrobble job (Hardcover → Audiobookshelf, lists, owned) for any configured user."""

    config: Config
    transport: httpx.AsyncBaseTransport | None
    name: str = "scrobble"

    async def run(self, user_id: str, context: RunContext) -> ScrobbleReport:
        """One scrobble run (``run_scrobble`` turns an error before it started into the report)."""
        (report,) = await run_scrobble(
            self.config,
            [user_id],
            dry_run=context.dry_run,
            transport=self.transport,
            store=context.runs.store,
            runs=context.runs,
        )
        return report


def service_jobs(
    config: Config, transport: httpx.AsyncBaseTransport | None = None, holder: str = "serve"
) -> list[Job]:
    """The four jobs as the runner runs them, in the order of :data:`bookrelay.domain.jobs.JOB_NAMES`."""
    return [
        ProgressService(config, transport, holder),
        WantedService(config, transport),
        EnrichService(config, transport),
        ScrobbleService(config, transport),
    ]


def build_notifier(config: Config) -> Notifier | None:
    """The Apprise notifier of ``global.notify``, or None when no URL is configured."""
    settings = config.global_.notify
    if not settings.urls:
        return None
    # apprise loads every plugin it has (3.6 MiB): only when a URL asks for it
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
    # prometheus_client and starlette (the runner's metrics): only the service and the worker run jobs so
    from bookrelay.service.runner import JobRunner

    return JobRunner(store, service_jobs(config, transport, holder), notifier=build_notifier(config))
