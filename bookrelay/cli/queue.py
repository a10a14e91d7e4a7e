"""``bookrelay worker``: work the PostgreSQL job queue (``global.queue: postgres``), see docs/scale-out.md."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from bookrelay.app.common import load_settings
from bookrelay.app.worker import WorkerOptions, start_worker
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the main app."""
    app.command("worker")(worker)


@handle_errors
def worker(
    config: ConfigOption = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Users synced at once by this process.")
    ] = 8,
    metrics_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of this worker's /metrics (0: none).")
    ] = 9464,
    metrics_host: Annotated[str, typer.Option(help="Address /metrics listens on.")] = "0.0.0.0",
    name: Annotated[str | None, typer.Option(help="Worker name in logs (default: host and pid).")] = None,
    heartbeat: Annotated[
        float, typer.Option(min=0.1, help="Seconds between this worker's heartbeats.")
    ] = 10.0,
    stalled_after: Annotated[
        float,
        typer.Option(min=0.5, help="Seconds without heartbeat after which a worker's runs are taken back."),
    ] = 30.0,
    check_every: Annotated[
        float, typer.Option(min=0.1, help="Seconds between looks for stalled runs and at the queue.")
    ] = 15.0,
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop once the queue is empty (benchmarks, batch jobs).")
    ] = False,
) -> None:
    """Run queued sync jobs until stopped (SIGTERM lets running runs finish). Start as many as you need,
    on any machine that reaches the database; a user's runs never overlap.

    Example: bookrelay worker --concurrency 4
    """
    options = WorkerOptions(
        concurrency=concurrency,
        name=name or f"{os.uname().nodename}-{os.getpid()}",
        heartbeat=heartbeat,
        stalled_after=stalled_after,
        check_every=check_every,
        wait=not until_empty,
    )
    start_worker(
        load_settings(config), options, metrics=(metrics_host, metrics_port) if metrics_port else None
    )
