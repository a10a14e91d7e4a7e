"""The composition root: the only module that reads configuration and builds clients, stores and jobs.

Front ends (CLI, web) call the functions here; everything below receives its collaborators.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bookrelay import __version__
from bookrelay.config import Config, ConfigProblem, UserConfig, check_config, load_config
from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.connectors.rreading_glasses.session import RrgSession
from bookrelay.domain.matching import MatchThresholds
from bookrelay.domain.models import Source, Status
from bookrelay.domain.plan import ProgressSettings
from bookrelay.errors import BookrelayError, ConfigError
from bookrelay.store.crypto import load_or_create_key
from bookrelay.store.db import create_engine_for, current_revision, upgrade
from bookrelay.store.facade import Store
from bookrelay.store.models import Conflict, ConflictStatus, Link, Run, RunStatus, Wanted
from bookrelay.sync.progress import ProgressCallback, ProgressJob
from bookrelay.sync.report import ProgressReport
from bookrelay.sync.resolve import Resolver
from bookrelay.sync.sources import SourceEntry, collect_audiobookshelf
from bookrelay.sync.wanted import WantedReport, WantedSettings, run_wanted

USER_AGENT = f"bookrelay/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def config_path(path: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file: ``--config``, else ``BOOKRELAY_CONFIG``, else ``./bookrelay.yaml`` if present."""
    environ = os.environ if env is None else env
    if path is not None:
        return path
    if environ.get("BOOKRELAY_CONFIG"):
        return Path(environ["BOOKRELAY_CONFIG"])
    default = Path("bookrelay.yaml")
    return default if default.exists() else None


def check_configuration(path: Path | None) -> tuple[list[ConfigProblem], str]:
    """Every problem of the configuration, and a description of where it came from."""
    chosen = config_path(path)
    if chosen is not None and not chosen.exists():
        raise ConfigError("no such file", place=str(chosen))
    problems = check_config(chosen, os.environ)
    return problems, str(chosen) if chosen else "environment variables"


def load_settings(path: Path | None) -> Config:
    """The validated configuration; ConfigError lists every problem."""
    chosen = config_path(path)
    if chosen is not None and not chosen.exists():
        raise ConfigError("no such file", place=str(chosen))
    return load_config(chosen, os.environ)


def secret_key_for(config: Config) -> bytes:
    """The Fernet key for stored credentials (env BOOKRELAY_SECRET_KEY, else the key file, created 0600)."""
    env = dict(os.environ)
    if config.global_.secret_key is not None and "BOOKRELAY_SECRET_KEY" not in env:
        env["BOOKRELAY_SECRET_KEY"] = config.global_.secret_key.get_secret_value()
    return load_or_create_key(env, config.global_.secret_key_file)


def open_store(config: Config) -> Store:
    """The store named by the configuration, migrated to the newest revision."""
    return Store.open(config.database_url, secret_key=secret_key_for(config))


def upgrade_database(path: Path | None) -> tuple[str, str | None]:
    """Run the migrations; returns the database URL (password hidden) and the revision it is now at."""
    config = load_settings(path)
    url = config.database_url
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        revision = current_revision(engine)
    finally:
        engine.dispose()
    return make_url(url).render_as_string(hide_password=True), revision


def recent_runs(path: Path | None, limit: int) -> list[Run]:
    """The newest runs recorded in the store."""
    config = load_settings(path)
    store = open_store(config)
    try:
        return store.runs.recent(limit)
    finally:
        store.close()


@dataclass
class UserClients:
    """The connectors of one user, sharing one HTTP client."""

    http: httpx.AsyncClient
    hardcover: HardcoverApi
    hardcover_session: HardcoverSession
    audiobookshelf: AbsApi | None

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.http.aclose()


def build_user_clients(
    config: Config, user: UserConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> UserClients:
    """Clients for one user's services; ``transport`` lets tests and the demo mount the sandbox in-process."""
    http = httpx.AsyncClient(
        transport=transport,
        timeout=DEFAULT_TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )
    hc = config.global_.hardcover
    session = HardcoverSession(
        http,
        user.hardcover.token.get_secret_value(),
        url=str(hc.url),
        per_minute=hc.per_minute,
        burst=hc.burst,
        daily=hc.daily,
    )
    abs_api = None
    if user.audiobookshelf is not None:
        account = user.audiobookshelf
        abs_session = AbsSession(
            str(account.url),
            client=http,
            api_key=account.api_key.get_secret_value() if account.api_key else None,
            username=account.username,
            password=account.password.get_secret_value() if account.password else None,
        )
        abs_api = AbsApi(abs_session)
    return UserClients(
        http=http, hardcover=HardcoverApi(session), hardcover_session=session, audiobookshelf=abs_api
    )


_STATUS_NAMES = {
    "paused": Status.PAUSED,
    "did_not_finish": Status.DID_NOT_FINISH,
    "ignored": Status.IGNORED,
    "read": Status.READ,
    "reading": Status.READING,
    "want_to_read": Status.WANT_TO_READ,
}


def progress_settings(config: Config, user: UserConfig, *, force: bool = False) -> ProgressSettings:
    """The progress rules' thresholds for one user (global settings with the user's overrides)."""
    sync = config.effective_sync(user)
    return ProgressSettings(
        min_progress=sync.min_progress,
        min_change=sync.min_change,
        min_change_seconds=sync.min_change_seconds,
        finish_at=sync.finish_at,
        allow_backwards=sync.allow_backwards,
        force=force,
        respect_statuses=frozenset(_STATUS_NAMES[name] for name in sync.respect_statuses),
    )


def build_progress_job(
    config: Config,
    user: UserConfig,
    clients: UserClients,
    store: Store,
    *,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ProgressJob:
    """The progress job of one user, wired to its clients and the store."""
    if clients.audiobookshelf is None:
        raise ConfigError(
            "has no audiobookshelf section: the progress job needs a source", place=f"users.{user.id}"
        )
    sync = config.effective_sync(user)
    abs_api = clients.audiobookshelf
    account = user.audiobookshelf
    assert account is not None

    async def collect() -> list[SourceEntry]:
        return await collect_audiobookshelf(
            abs_api, include=account.libraries.include, exclude=account.libraries.exclude
        )

    resolver = Resolver(
        clients.hardcover,
        store.lookup_cache,
        thresholds=MatchThresholds(link=sync.fuzzy_link_score, conflict=sync.fuzzy_conflict_score),
        unmatched_ttl=timedelta(hours=sync.unmatched_ttl_hours),
        now=lambda: datetime.now(UTC),
    )
    return ProgressJob(
        user_id=user.id,
        source=Source.AUDIOBOOKSHELF.value,
        collect=collect,
        hardcover=clients.hardcover,
        resolver=resolver,
        store=store,
        settings=progress_settings(config, user, force=force),
        tz=config.timezone_for(user),
        on_progress=on_progress,
    )


async def run_progress(
    config: Config,
    user_ids: list[str],
    *,
    dry_run: bool = False,
    limit: int | None = None,
    force: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
    on_progress: Callable[[str, str, int, int], None] | None = None,
) -> list[ProgressReport]:
    """Run the progress job for these users, ``workers`` at once; one user's failure never stops another's."""
    own_store = store is None
    active = store or open_store(config)
    semaphore = asyncio.Semaphore(config.global_.workers)

    async def one(user_id: str) -> ProgressReport:
        async with semaphore:
            user = config.user(user_id)
            clients = build_user_clients(config, user, transport=transport)
            try:
                callback = (
                    (lambda phase, done, total: on_progress(user_id, phase, done, total))
                    if on_progress
                    else None
                )
                job = build_progress_job(config, user, clients, active, force=force, on_progress=callback)
                return await job.run(dry_run=dry_run, limit=limit, force=force)
            except BookrelayError as exc:
                report = ProgressReport(user_id, dry_run=dry_run)
                report.error = str(exc)
                return report
            finally:
                await clients.aclose()

    try:
        return list(await asyncio.gather(*(one(u) for u in user_ids)))
    finally:
        if own_store:
            active.close()


def _single_user(config: Config, user_id: str | None) -> str:
    if user_id:
        return config.user(user_id).id
    if len(config.users) == 1:
        return config.users[0].id
    raise ConfigError("several users are configured: give --user ID", place="arguments")


def list_conflicts(path: Path | None, user_id: str | None, *, include_closed: bool = False) -> list[Conflict]:
    """Open conflicts (or all), newest first."""
    config = load_settings(path)
    with open_store(config) as store:
        return store.conflicts.list(None if include_closed else ConflictStatus.OPEN, user_id=user_id)


def get_conflict(path: Path | None, conflict_id: int) -> Conflict:
    """One conflict; NotFound when there is none."""
    with open_store(load_settings(path)) as store:
        return store.conflicts.get(conflict_id)


def resolve_conflict(path: Path | None, conflict_id: int, book_id: int, edition_id: int | None) -> Conflict:
    """Settle a conflict by linking its item to a book (a pinned link: M1)."""
    with open_store(load_settings(path)) as store:
        return store.conflicts.resolve(conflict_id, book_id, edition_id)


def ignore_conflict(path: Path | None, conflict_id: int) -> Conflict:
    """Close a conflict without a link."""
    with open_store(load_settings(path)) as store:
        return store.conflicts.ignore(conflict_id)


def pin_link(
    path: Path | None, user_id: str | None, source: str, item_id: str, book_id: int, edition_id: int | None
) -> Link:
    """Pin a source item to a Hardcover book (M1)."""
    config = load_settings(path)
    with open_store(config) as store:
        return store.links.pin(_single_user(config, user_id), _source(source), item_id, book_id, edition_id)


def unpin_link(path: Path | None, user_id: str | None, source: str, item_id: str) -> Link:
    """Release a pin so that the next run matches the item again."""
    config = load_settings(path)
    with open_store(config) as store:
        return store.links.unpin(_single_user(config, user_id), _source(source), item_id)


def _source(name: str) -> str:
    try:
        return Source(name).value
    except ValueError:
        raise ConfigError(f"unknown source {name!r} (abs or audible)", place="--source") from None


async def run_wanted_job(
    config: Config,
    user_ids: list[str],
    *,
    dry_run: bool = False,
    limit: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> list[tuple[str, WantedReport | None, str | None]]:
    """Run the wanted job (Want to Read → Bookshelf) for these users; (user, report, error) each."""
    bookshelf_settings = config.global_.bookshelf
    if bookshelf_settings.api_key is None:
        raise ConfigError(
            "the wanted job needs a Bookshelf API key (BOOKSHELF_API_KEY)", place="global.bookshelf.api_key"
        )
    own_store = store is None
    active = store or open_store(config)
    results: list[tuple[str, WantedReport | None, str | None]] = []
    try:
        for user_id in user_ids:
            user = config.user(user_id)
            clients = build_user_clients(config, user, transport=transport)
            run = active.runs.start(user_id, "wanted", dry_run=dry_run)
            try:
                bookshelf = BookshelfApi(
                    BookshelfSession(
                        clients.http,
                        bookshelf_settings.api_key.get_secret_value(),
                        url=str(bookshelf_settings.url),
                    )
                )
                metadata = RrgApi(RrgSession(clients.http, url=str(config.global_.rreading_glasses.url)))
                report = await run_wanted(
                    hardcover=clients.hardcover,
                    bookshelf=bookshelf,
                    metadata=metadata,
                    store=active,
                    user_id=user_id,
                    settings=WantedSettings.from_config(bookshelf_settings),
                    dry_run=dry_run,
                    limit=limit,
                    now=datetime.now(UTC),
                )
                status = RunStatus.FAILED if report.stopped else RunStatus.OK
                summary = {
                    "summary": report.summary(),
                    "counts": report.counts(),
                    "requests": report.requests,
                }
                active.runs.finish(run.id, status, summary, report.hardcover_units, report.stopped)
                results.append((user_id, report, report.stopped))
            except BookrelayError as exc:
                active.runs.finish(run.id, RunStatus.FAILED, None, 0, str(exc))
                results.append((user_id, None, str(exc)))
            finally:
                await clients.aclose()
    finally:
        if own_store:
            active.close()
    return results


def wanted_ledger(path: Path | None, user_id: str | None) -> list[Wanted]:
    """The wanted ledger of a user (or of every user)."""
    config = load_settings(path)
    with open_store(config) as store:
        users = [user_id] if user_id else [u.id for u in config.users]
        return [row for u in users for row in store.wanted.list_for_user(u)]


def retry_wanted(path: Path | None, user_id: str | None, hardcover_book_id: int) -> Wanted:
    """Make a failed wanted book due for retry on the next run (W4)."""
    config = load_settings(path)
    with open_store(config) as store:
        return store.wanted.retry_now(_single_user(config, user_id), hardcover_book_id)
