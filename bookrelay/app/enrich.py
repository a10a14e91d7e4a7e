"""The enrich job (Hardcover metadata → Audiobookshelf) and its undo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bookrelay.app.clients import UserClients, user_clients
from bookrelay.app.common import single_user, store_for
from bookrelay.app.matching import build_resolver
from bookrelay.config import Config, UserConfig
from bookrelay.errors import ConfigError
from bookrelay.store.facade import Store
from bookrelay.sync import enrich
from bookrelay.sync.enrich import Batch as Batch
from bookrelay.sync.enrich import EnrichReport as EnrichReport
from bookrelay.sync.enrich import UndoReport as UndoReport
from bookrelay.sync.runs import RunRecorder


def build_enrich_job(
    config: Config, user: UserConfig, clients: UserClients, store: Store, runs: RunRecorder | None = None
) -> enrich.EnrichJob:
    """The enrich job of one user: their Audiobookshelf, Hardcover and the matching settings; ``runs``
    records its run (a recorder of ``store`` when None)."""
    if clients.audiobookshelf is None or user.audiobookshelf is None:
        raise ConfigError(
            "has no audiobookshelf section: enrich writes to Audiobookshelf", place=f"users.{user.id}"
        )
    sync = config.effective_sync(user)
    resolver = build_resolver(clients, store, sync)
    return enrich.EnrichJob(
        user_id=user.id,
        abs_api=clients.audiobookshelf,
        hardcover=clients.hardcover,
        hardcover_session=clients.hardcover_session,
        resolver=resolver,
        store=store,
        include=user.audiobookshelf.libraries.include,
        exclude=user.audiobookshelf.libraries.exclude,
        runs=runs,
    )


async def run_enrich(
    config: Config,
    user_id: str | None,
    *,
    apply: bool = False,
    limit: int | None = None,
    offset: int | None = None,
    min_score: float | None = None,
    scan_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
    runs: RunRecorder | None = None,
) -> enrich.EnrichReport:
    """One enrich run (a dry run unless ``apply``); ``min_score`` defaults to the user's fuzzy link score.
    With ``limit`` it is one batch, continuing where the last batch of its kind stopped (or ``offset``);
    ``runs`` records it (it may carry a run reserved earlier)."""
    user = config.user(single_user(config, user_id))
    if scan_dir is not None and not await asyncio.to_thread(scan_dir.is_dir):
        raise ConfigError("is not a folder", place=f"--scan-dir {scan_dir}")
    threshold = config.effective_sync(user).fuzzy_link_score if min_score is None else min_score
    with store_for(config, store) as active:
        async with user_clients(config, user, transport=transport) as clients:
            job = build_enrich_job(config, user, clients, active, runs)
            return await job.run(
                dry_run=not apply, limit=limit, offset=offset, min_score=threshold, scan_dir=scan_dir
            )


async def undo_enrich(
    config: Config,
    run_id: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> enrich.UndoReport:
    """Put back what enrich run ``run_id`` replaced, for the user that run belonged to."""
    with store_for(config, store) as active:
        run, _ = active.runs.get_with_events(run_id)
        if run.job != "enrich":
            raise ConfigError(f"run {run_id} is a {run.job} run, not an enrich run", place="RUN_ID")
        user = config.user(run.user_id)
        async with user_clients(config, user, transport=transport) as clients:
            return await build_enrich_job(config, user, clients, active).undo(run_id)
