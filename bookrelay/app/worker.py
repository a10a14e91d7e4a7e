"""``bookrelay worker``: a process that works the PostgreSQL job queue (``global.queue: postgres``) until
stopped, with its own Prometheus metrics.

Only that command loads this module, and with it procrastinate and the queue worker: the other commands
start without them."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import start_http_server

from bookrelay.app.common import apply_queue_schema, open_store
from bookrelay.app.jobs import make_job_runner
from bookrelay.config import Config
from bookrelay.errors import ConfigError
from bookrelay.queue.runner import WorkerRuntime
from bookrelay.queue.schema import queue_status
from bookrelay.queue.tasks import build_queue_app
from bookrelay.queue.worker import WorkerOptions as WorkerOptions
from bookrelay.queue.worker import run_worker
from bookrelay.service.metrics import REGISTRY
from bookrelay.store.facade import Store


async def work_queue(
    config: Config,
    store: Store,
    options: WorkerOptions,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Run a queue worker on ``store`` until stopped (or until the queue is empty, ``options.wait``
    False); ``transport`` lets tests mount the sandbox in-process."""
    if config.global_.queue != "postgres":
        raise ConfigError("a worker needs `queue: postgres` and a PostgreSQL database", place="global.queue")
    engine = store.db.engine
    await asyncio.to_thread(apply_queue_schema, engine)
    runtime = WorkerRuntime(make_job_runner(config, store, transport=transport, holder="worker"))
    app = build_queue_app(config.database_url, pool_size=options.concurrency + 4)
    await run_worker(app, runtime, options, status=lambda: queue_status(engine))


def start_worker(config: Config, options: WorkerOptions, *, metrics: tuple[str, int] | None) -> None:
    """``bookrelay worker``: serve this worker's Prometheus metrics on ``metrics`` (host, port) and work
    the queue until SIGINT/SIGTERM."""
    if config.global_.queue != "postgres":
        raise ConfigError("a worker needs `queue: postgres` and a PostgreSQL database", place="global.queue")
    store = open_store(config)
    try:
        if metrics is not None:
            start_http_server(metrics[1], addr=metrics[0], registry=REGISTRY)
        asyncio.run(work_queue(config, store, options))
    finally:
        store.close()
