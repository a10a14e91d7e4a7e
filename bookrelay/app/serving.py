"""Serving: ``bookrelay serve`` (the HTTP API and web page, the scheduler and the real-time trigger in one
process), the once mode of ``SYNC_INTERVAL=0`` and ``bookrelay run-once``, and their wiring.

The web server, the web package (FastAPI), the scheduler (APScheduler), the metrics (prometheus_client)
and the socket.io listener (aiohttp) are imported inside the function that starts each: only service
mode needs them (the rule is in :mod:`bookrelay.cli.main`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bookrelay.app.clients import abs_session, http_client, user_clients
from bookrelay.app.common import load_settings, open_store, store_for
from bookrelay.app.hardcover_oauth import HardcoverOAuthWeb
from bookrelay.app.jobs import make_job_runner
from bookrelay.app.queue import close_runner, queue_status_probe, service_runner
from bookrelay.config import Config
from bookrelay.config.jobs import enabled_jobs, jobs_for
from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.domain.models import Book, SearchHit
from bookrelay.errors import ConfigError
from bookrelay.redact import uvicorn_log_config
from bookrelay.service.clock import Clock, SystemClock
from bookrelay.service.realtime import AbsPoller, Debouncer, RealtimeService
from bookrelay.store.facade import Store
from bookrelay.store.models import Run, RunStatus
from bookrelay.sync import audible_auth

if TYPE_CHECKING:  # types only: these modules load FastAPI and APScheduler, which only serve needs
    from fastapi import FastAPI

    from bookrelay.service.scheduler import SchedulerService
    from bookrelay.web.context import Runner


def sync_interval(env: Mapping[str, str] | None = None) -> float | None:
    """``SYNC_INTERVAL`` in seconds: None when unset, 0 for the once mode, else the interval."""
    raw = (os.environ if env is None else env).get("SYNC_INTERVAL", "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            "must be a number of seconds (0: run every job once)", place="SYNC_INTERVAL"
        ) from None
    if value < 0:
        raise ConfigError("must not be negative", place="SYNC_INTERVAL")
    return value


def build_service_scheduler(
    config: Config,
    runner: Callable[..., Awaitable[int]],
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
) -> SchedulerService:
    """The scheduler of ``serve``: the configured schedules, or every ``SYNC_INTERVAL`` seconds."""
    from bookrelay.service.scheduler import build_scheduler  # apscheduler: only the service schedules

    interval = sync_interval(env)
    return build_scheduler(config, runner, clock=clock, interval=interval or None)


def build_realtime(
    config: Config,
    scheduler: SchedulerService,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RealtimeService | None:
    """The real-time trigger of every user with Audiobookshelf: socket.io with a username and password,
    polling with only an API key; None when it is off or the progress job is not enabled."""
    settings = config.global_.realtime
    if not settings.enabled or "progress" not in enabled_jobs(config):
        return None
    chosen = clock or SystemClock()

    def sync_changed(user_id: str, items: frozenset[str]) -> None:
        scheduler.trigger(user_id, "progress", items=items)

    service = RealtimeService(Debouncer(chosen, settings.debounce_seconds, sync_changed))
    for user in config.users:
        account = user.audiobookshelf
        if account is None or "progress" not in jobs_for(config, user):
            continue
        http = http_client(transport)
        service.closers.append(http.aclose)
        api = AbsApi(abs_session(config, user, http))

        async def snapshot(api: AbsApi = api) -> list[dict[str, Any]]:
            return [dict(entry) for entry in await api.media_progress()]

        if account.username and account.password is not None:
            # The socket.io client with aiohttp (13 MiB) is loaded only for a user who signs in with it.
            from bookrelay.service.abs_socket import AbsListener

            login = abs_session(config, user, http, sign_in=True)
            service.listeners.append(
                AbsListener(
                    user.id,
                    str(account.url),
                    token=login.socket_token,
                    snapshot=snapshot,
                    on_items=service.debouncer.touch,
                    clock=chosen,
                )
            )
        else:
            service.pollers.append(
                AbsPoller(
                    user.id,
                    snapshot=snapshot,
                    on_items=service.debouncer.touch,
                    clock=chosen,
                    every=settings.poll_seconds,
                )
            )
    return service


async def run_jobs_once(
    config: Config, *, store: Store | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> list[Run]:
    """Every enabled job once for every user (the CronJob mode of ``SYNC_INTERVAL=0``); the runs."""
    from bookrelay.service.scheduler import build_scheduler  # apscheduler: only the service schedules

    with store_for(config, store) as active:
        runner = service_runner(config, active, transport=transport)
        try:
            scheduler = build_scheduler(config, runner)
            run_ids = await scheduler.run_all_once(workers=config.global_.workers)
            return [active.runs.get_with_events(run_id)[0] for run_id in run_ids]
        finally:
            await close_runner(runner)


def once_exit_code(runs: list[Run]) -> int:
    """0 when every run succeeded (ok or partial), 1 when one failed, like ``bookrelay sync``."""
    return 1 if any(run.status is RunStatus.FAILED for run in runs) else 0


def run_once(config: Config) -> tuple[list[Run], int]:
    """Run every enabled job once; the runs and the process exit code."""
    runs = asyncio.run(run_jobs_once(config))
    return runs, once_exit_code(runs)


def hardcover_lookups(
    config: Config, *, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[
    Callable[[str, str], Awaitable[list[SearchHit]]],
    Callable[[str, Sequence[int]], Awaitable[list[Book]]],
]:
    """Search and book look-ups with a user's own Hardcover token, for the web page (one unit each)."""

    async def search(user_id: str, query: str) -> list[SearchHit]:
        async with user_clients(config, config.user(user_id), transport=transport) as clients:
            return await clients.hardcover.search_books(query)

    async def books(user_id: str, ids: Sequence[int]) -> list[Book]:
        async with user_clients(config, config.user(user_id), transport=transport) as clients:
            return await clients.hardcover.books_by_ids(ids)

    return search, books


def build_web_app(
    config: Config,
    store: Store,
    *,
    runner: Runner | None = None,
    scheduler: SchedulerService | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The API and web page over ``store``, with the job runner, Hardcover look-ups, the Audible browser
    login and the Prometheus metrics; ``transport`` lets tests mount the sandbox in-process."""
    # fastapi and starlette (the web package), prometheus_client (the metrics): only serve needs them
    from bookrelay.service.metrics import metrics_app
    from bookrelay.web import create_app
    from bookrelay.web.audible_bridge import BrowserLoginBridge

    search, books = hardcover_lookups(config, transport=transport)

    def browser_login(user_id: str, locale: str, url_callback: Callable[[str], str]) -> Any:
        return audible_auth.login_in_browser(store, user_id, locale, url_callback)

    return create_app(
        config,
        store,
        runner=runner or make_job_runner(config, store, transport=transport),
        scheduler=scheduler,
        hardcover_search=search,
        hardcover_books=books,
        audible_login=BrowserLoginBridge(browser_login),
        hardcover_oauth=HardcoverOAuthWeb(config, store, transport=transport),
        metrics_app=metrics_app(),
        queue_status=queue_status_probe(config, store),
        lifespan=lifespan,
    )


def serve(path: Path | None, host: str | None = None, port: int | None = None) -> None:
    """Run ``bookrelay serve`` until stopped: the API, the web page, the scheduler and the real-time
    trigger in one process; on stop the scheduler finishes the run at hand and records it. After
    ``PUT /api/config`` changed the file, everything is built again from it (same process)."""
    while _serve_once(path, host, port):
        pass


def _serve_once(path: Path | None, host: str | None, port: int | None) -> bool:
    """Serve until stopped; True when the configuration file changed and the service is to start again."""
    import uvicorn  # the web server: only serve needs it

    from bookrelay.config.writer import config_file_path  # ruamel.yaml: only serve rewrites the file

    config = load_settings(path)
    store = open_store(config)
    runner = service_runner(config, store)
    scheduler = build_service_scheduler(config, runner)
    realtime = build_realtime(config, scheduler)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler.start()
        if realtime is not None:
            realtime.start()
        try:
            yield
        finally:
            if realtime is not None:
                await realtime.stop()
            await scheduler.shutdown(wait=True)
            await close_runner(runner)

    app = build_web_app(config, store, runner=runner, scheduler=scheduler, lifespan=lifespan)
    settings = config.global_.server
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            log_config=uvicorn_log_config(),  # S1: no key in the access log, whatever a client sends
            proxy_headers=True,
            forwarded_allow_ips=",".join(settings.trusted_proxies),
        )
    )
    restart = False

    def reload_config() -> None:
        nonlocal restart
        restart = server.should_exit = True  # a graceful stop: the answer and the run at hand finish

    app.state.config_file = config_file_path(path, os.environ)  # what PUT /api/config writes
    app.state.reload_config = reload_config
    try:
        server.run()
    finally:
        store.close()
    if not server.started:
        raise SystemExit(3)  # as uvicorn.run: the address was taken, or the app failed to start
    return restart
