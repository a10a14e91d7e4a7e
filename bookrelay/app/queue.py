"""Scale-out (issue 9): the PostgreSQL job queue and ``bookrelay worker``.

procrastinate is imported inside these functions: installs on SQLite never need it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bookrelay.app.common import apply_queue_schema, load_settings, open_store
from bookrelay.app.jobs import make_job_runner
from bookrelay.config import Config
from bookrelay.errors import ConfigError
from bookrelay.store.facade import Store

if TYPE_CHECKING:
    from bookrelay.queue.runner import QueuedRunner
    from bookrelay.queue.schema import QueueStatus
    from bookrelay.queue.worker import WorkerOptions
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


async def work_queue(
    config: Config,
    store: Store,
    options: WorkerOptions,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Run a queue worker on ``store`` until stopped (or until the queue is empty, ``options.wait``
    False); ``transport`` lets tests mount the sandbox in-process."""
    from bookrelay.queue.runner import WorkerRuntime
    from bookrelay.queue.schema import queue_status
    from bookrelay.queue.tasks import build_queue_app
    from bookrelay.queue.worker import run_worker

    if config.global_.queue != "postgres":
        raise ConfigError("a worker needs `queue: postgres` and a PostgreSQL database", place="global.queue")
    engine = store.db.engine
    await asyncio.to_thread(apply_queue_schema, engine)
    runtime = WorkerRuntime(make_job_runner(config, store, transport=transport, holder="worker"))
    app = build_queue_app(config.database_url, pool_size=options.concurrency + 4)
    await run_worker(app, runtime, options, status=lambda: queue_status(engine))


def start_worker(path: Path | None, options: WorkerOptions, *, metrics: tuple[str, int] | None) -> None:
    """``bookrelay worker``: serve this worker's Prometheus metrics on ``metrics`` (host, port) and work
    the queue until SIGINT/SIGTERM."""
    config = load_settings(path)
    if config.global_.queue != "postgres":
        raise ConfigError("a worker needs `queue: postgres` and a PostgreSQL database", place="global.queue")
    store = open_store(config)
    try:
        if metrics is not None:
            from prometheus_client import start_http_server

            from bookrelay.service.metrics import REGISTRY

            start_http_server(metrics[1], addr=metrics[0], registry=REGISTRY)
        asyncio.run(work_queue(config, store, options))
    finally:
        store.close()
