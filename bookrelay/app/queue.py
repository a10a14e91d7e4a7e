"""The runner ``serve`` and the once mode give the scheduler: the PostgreSQL job queue
(``global.queue: postgres``) or the in-process runner; ``bookrelay worker``, which works that queue, is
:mod:`bookrelay.app.worker`.

procrastinate is imported inside these functions: installs on SQLite never need it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from bookrelay.app.jobs import make_job_runner
from bookrelay.config import Config
from bookrelay.store.facade import Store

if TYPE_CHECKING:
    from bookrelay.queue.runner import QueuedRunner
    from bookrelay.queue.schema import QueueStatus
    from bookrelay.service.runner import JobRunner


def build_queue_runner(config: Config, store: Store) -> QueuedRunner:
    """The runner of ``global.queue: postgres``: it defers each run as a task for ``bookrelay worker``."""
    from bookrelay.queue.runner import QueuedRunner
    from bookrelay.queue.tasks import build_queue_app

    jobs = make_job_runner(config, store).jobs
    return QueuedRunner(store, build_queue_app(config.database_url, pool_size=4), jobs)


def service_runner(
    config: Config, store: Store, *, transport: httpx.AsyncBaseTransport | None = None
) -> JobRunner | QueuedRunner:
    """The runner ``serve`` and the once mode give the scheduler: queued with ``global.queue: postgres``,
    else in-process."""
    if config.global_.queue == "postgres":
        return build_queue_runner(config, store)
    return make_job_runner(config, store, transport=transport)


async def close_runner(runner: object) -> None:
    """Release what a runner holds (the queue's connection pool); nothing for the in-process one."""
    aclose = getattr(runner, "aclose", None)
    if aclose is not None:
        await aclose()


def queue_status_probe(config: Config, store: Store) -> Callable[[], QueueStatus] | None:
    """A function answering the queue's status for the status page; None without a queue."""
    if config.global_.queue != "postgres":
        return None
    from bookrelay.queue.schema import queue_status

    engine = store.db.engine
    return lambda: queue_status(engine)
