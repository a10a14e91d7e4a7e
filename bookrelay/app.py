"""The composition root: the only module that reads configuration and builds clients, stores and jobs.

Front ends (CLI, web) call the functions here; everything below receives its collaborators.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.engine import make_url

from bookrelay import __version__
from bookrelay.config import Config, ConfigProblem, UserConfig, check_config, load_config
from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.auth import (
    DeviceAuthorization,
    OAuthClient,
    OAuthTokenProvider,
    OAuthTokens,
    TokenProvider,
    TokenStore,
)
from bookrelay.connectors.hardcover.lists import HardcoverLists
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.connectors.rreading_glasses.session import RrgSession
from bookrelay.doctor import Check, checks_from_config_problems
from bookrelay.doctor_services import run_all as run_doctor_checks
from bookrelay.domain.directions import ConflictRule, Direction, Directions, Feature, ReverseSettings
from bookrelay.domain.matching import MatchThresholds
from bookrelay.domain.models import Source, Status
from bookrelay.domain.plan import ProgressSettings
from bookrelay.domain.shelves import parse_shelf_csv, to_goodreads_csv
from bookrelay.domain.shelves import to_json as shelf_json
from bookrelay.errors import BookrelayError, ConfigError, kind_of
from bookrelay.lazy import lazy_module
from bookrelay.store.crypto import load_or_create_key
from bookrelay.store.db import create_engine_for, current_revision, upgrade
from bookrelay.store.facade import Store
from bookrelay.store.models import Conflict, ConflictStatus, Link, Run, RunStatus, Wanted
from bookrelay.store.repositories.scrobble import ScrobbleStateRepo
from bookrelay.sync.progress import ProgressCallback, ProgressJob
from bookrelay.sync.report import ProgressReport
from bookrelay.sync.resolve import Resolver
from bookrelay.sync.scrobble.job import ScrobbleJob, ScrobbleReport
from bookrelay.sync.scrobble.lists import ListSync
from bookrelay.sync.scrobble.operations import Operations
from bookrelay.sync.scrobble.owned import OwnedSync
from bookrelay.sync.scrobble.reverse import ReverseProgress
from bookrelay.sync.scrobble.shelf_io import ImportReport, export_rows, import_rows
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens
from bookrelay.sync.source_set import SourceSet
from bookrelay.sync.sources import SourceEntry, collect_audiobookshelf
from bookrelay.sync.wanted import WantedReport, WantedSettings, run_wanted

# Audible (with Pillow and friends) and the audio-tag reader are loaded on first use: most runs need
# neither, and they would cost a third of the process's memory at start (benchmarks/README.md).
if TYPE_CHECKING:
    from bookrelay.connectors.audible import api as audible_api
    from bookrelay.connectors.audible import session as audible_session
    from bookrelay.store.repositories import audible_calls as audible_calls_repo
    from bookrelay.sync import audible_auth, audible_source, enrich
else:
    audible_api = lazy_module("bookrelay.connectors.audible.api")
    audible_session = lazy_module("bookrelay.connectors.audible.session")
    audible_calls_repo = lazy_module("bookrelay.store.repositories.audible_calls")
    audible_auth = lazy_module("bookrelay.sync.audible_auth")
    audible_source = lazy_module("bookrelay.sync.audible_source")
    enrich = lazy_module("bookrelay.sync.enrich")

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


@contextlib.contextmanager
def store_for(config: Config, store: Store | None) -> Iterator[Store]:
    """The store a caller lent, or one opened for the length of the ``with`` and closed after it."""
    if store is not None:
        yield store
        return
    opened = open_store(config)
    try:
        yield opened
    finally:
        opened.close()


def upgrade_database(path: Path | None) -> tuple[str, str | None]:
    """Run the migrations; returns the database URL (password hidden) and the revision it is now at."""
    config = load_settings(path)
    url = config.database_url
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        revision = current_revision(engine)
        if config.global_.queue == "postgres":
            apply_queue_schema(engine)
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
    config: Config,
    user: UserConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> UserClients:
    """Clients for one user's services; ``transport`` lets tests and the demo mount the sandbox in-process;
    ``store`` holds OAuth tokens (``global.hardcover.auth: oauth``; else the configured store is opened)."""
    http = httpx.AsyncClient(
        transport=transport,
        timeout=DEFAULT_TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )
    hc = config.global_.hardcover
    session = HardcoverSession(
        http,
        hardcover_token(config, user, http, store),
        url=str(hc.url),
        per_minute=hc.per_minute,
        burst=hc.burst,
        daily=hc.daily,
        budget_gate=shared_budget_gate(config),
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
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProgressJob:
    """The progress job of one user over every source they have (Audiobookshelf and/or Audible),
    wired to its clients and the store."""
    sources = SourceSet()
    abs_api = clients.audiobookshelf
    account = user.audiobookshelf
    if abs_api is not None and account is not None:
        libraries = account.libraries

        async def collect_abs() -> list[SourceEntry]:
            return await collect_audiobookshelf(abs_api, include=libraries.include, exclude=libraries.exclude)

        sources.add(Source.AUDIOBOOKSHELF.value, collect_abs)
    if user.audible is not None and user.audible.enabled:
        sources.add(Source.AUDIBLE.value, build_audible_collector(config, user, store, transport=transport))
    if not sources:
        raise ConfigError(
            "has no audiobookshelf or enabled audible section: the progress job needs a source",
            place=f"users.{user.id}",
        )
    sync = config.effective_sync(user)

    resolver = Resolver(
        clients.hardcover,
        store.lookup_cache,
        thresholds=MatchThresholds(link=sync.fuzzy_link_score, conflict=sync.fuzzy_conflict_score),
        unmatched_ttl=timedelta(hours=sync.unmatched_ttl_hours),
        now=lambda: datetime.now(UTC),
    )
    return ProgressJob(
        user_id=user.id,
        collect=sources.collect,
        source_notes=sources.last_notes,
        hardcover=clients.hardcover,
        resolver=resolver,
        store=store,
        settings=progress_settings(config, user, force=force),
        chunk_size=sync.chunk_size,
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
    keep_plan: bool = False,
) -> list[ProgressReport]:
    """Run the progress job for these users, ``workers`` at once; one user's failure never stops another's.

    ``keep_plan`` keeps a real run's plan in its report (a dry run's is always kept)."""
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
                job = build_progress_job(
                    config, user, clients, active, force=force, on_progress=callback, transport=transport
                )
                return await job.run(dry_run=dry_run, limit=limit, force=force, keep_plan=keep_plan)
            except BookrelayError as exc:
                report = ProgressReport(user_id, dry_run=dry_run)
                report.error = str(exc)
                return report
            finally:
                await clients.aclose()

    with store_for(config, store) as active:
        return list(await asyncio.gather(*(one(u) for u in user_ids)))


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
    _bookshelf_key(config)  # a missing key stops every user's run: say so once
    results: list[tuple[str, WantedReport | None, str | None]] = []
    with store_for(config, store) as active:
        for user_id in user_ids:
            try:
                report = await wanted_for_user(
                    config, user_id, active, dry_run=dry_run, limit=limit, transport=transport
                )
                results.append((user_id, report, report.stopped))
            except BookrelayError as exc:
                results.append((user_id, None, str(exc)))
    return results


async def wanted_for_user(
    config: Config,
    user_id: str,
    store: Store,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WantedReport:
    """One user's wanted run, recorded in ``store``; a report whose ``stopped`` says why a spent budget
    ended it early, or the error (recorded on the run first) that stopped it before it could report."""
    bookshelf_settings = config.global_.bookshelf
    api_key = _bookshelf_key(config)
    user = config.user(user_id)
    clients = build_user_clients(config, user, transport=transport)
    run = store.runs.start(user_id, "wanted", dry_run=dry_run)
    try:
        bookshelf = BookshelfApi(BookshelfSession(clients.http, api_key, url=str(bookshelf_settings.url)))
        metadata = RrgApi(RrgSession(clients.http, url=str(config.global_.rreading_glasses.url)))
        report = await run_wanted(
            hardcover=clients.hardcover,
            bookshelf=bookshelf,
            metadata=metadata,
            store=store,
            user_id=user_id,
            settings=WantedSettings.from_config(bookshelf_settings),
            dry_run=dry_run,
            limit=limit,
            now=datetime.now(UTC),
        )
    except BookrelayError as exc:
        store.runs.finish(run.id, RunStatus.FAILED, None, 0, str(exc))
        raise
    finally:
        await clients.aclose()
    status = RunStatus.FAILED if report.stopped else RunStatus.OK
    summary = {"summary": report.summary(), "counts": report.counts(), "requests": report.requests}
    store.runs.finish(run.id, status, summary, report.hardcover_units, report.stopped)
    return report


def _bookshelf_key(config: Config) -> str:
    key = config.global_.bookshelf.api_key
    if key is None:
        raise ConfigError(
            "the wanted job needs a Bookshelf API key (BOOKSHELF_API_KEY)", place="global.bookshelf.api_key"
        )
    return key.get_secret_value()


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


# -- Audible ----------------------------------------------------------------------------------------


def audible_limits(config: Config) -> audible_calls_repo.AudibleLimits:
    """The Audible limits of the configuration (interval between syncs, requests per UTC day)."""
    settings = config.global_.audible
    return audible_calls_repo.AudibleLimits(
        timedelta(minutes=settings.min_interval_minutes), settings.daily_cap
    )


def audible_calls(store: Store) -> audible_calls_repo.AudibleCallRepo:
    """The store's Audible counters, on the store's database and clock."""
    # The store's clock is only held by its repositories; tests move it to test the interval.
    return audible_calls_repo.AudibleCallRepo(store.db, store.users._clock)


def build_audible_collector(
    config: Config, user: UserConfig, store: Store, *, transport: httpx.AsyncBaseTransport | None = None
) -> Callable[[], Awaitable[list[SourceEntry]]]:
    """The Audible source of one user: checks the interval, counts every request against the daily cap,
    syncs with the stored login and stores renewed tokens; ``transport`` mounts the sandbox in tests."""
    limits = audible_limits(config)
    calls = audible_calls(store)
    url = config.global_.audible.url

    async def collect() -> list[SourceEntry]:
        auth_data = audible_auth.load_auth(store, user.id)  # no login: fail before spending the interval
        calls.begin_sync(user.id, limits)
        inner = transport if transport is not None else httpx.AsyncHTTPTransport()
        session = audible_session.AudibleSession(
            auth_data,
            user=user.id,
            base_url=url,
            transport=audible_source.MeteredTransport(inner, lambda: calls.take(user.id, limits)),
            on_auth_changed=audible_auth.auth_saver(store, user.id),
        )
        async with session:
            return await audible_source.collect_audible(audible_api.AudibleApi(session))

    return collect


def _audible_user(config: Config, user_id: str | None) -> UserConfig:
    return config.user(_single_user(config, user_id))


def _audible_locale(user: UserConfig, locale: str | None) -> str:
    if locale:
        return locale
    if user.audible is not None:
        return user.audible.locale
    raise ConfigError("give --locale, or set users[].audible.locale", place=f"users.{user.id}")


def audible_login_browser(
    path: Path | None, user_id: str | None, locale: str | None, url_callback: Callable[[str], str]
) -> audible_auth.AudibleLogin:
    """Log a configured user in to Audible through an external browser; the login is stored encrypted."""
    config = load_settings(path)
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.login_in_browser(store, user.id, _audible_locale(user, locale), url_callback)


def audible_login_password(
    path: Path | None,
    user_id: str | None,
    locale: str | None,
    email: str,
    password: str,
    **callbacks: Callable[..., Any],
) -> audible_auth.AudibleLogin:
    """Log a configured user in with e-mail and password (used once, never stored); ``callbacks`` are
    ``captcha``, ``otp``, ``cvf`` and ``approval`` of :func:`audible_auth.login_with_password`."""
    config = load_settings(path)
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.login_with_password(
            store, user.id, _audible_locale(user, locale), email, password, **callbacks
        )


def audible_import_auth_file(
    path: Path | None, user_id: str | None, auth_file: Path, password: str | None, locale: str | None
) -> audible_auth.AudibleLogin:
    """Import an audible-cli auth file for a configured user and store it encrypted."""
    config = load_settings(path)
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.import_auth_file(store, user.id, auth_file, password, locale)


def audible_logout(path: Path | None, user_id: str | None, *, deregister: bool = True) -> bool:
    """Deregister the user's Audible device and delete the stored login; whether there was one."""
    config = load_settings(path)
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.logout(store, user.id, deregister=deregister)


@dataclass(frozen=True)
class AudibleStatus:
    """A user's Audible state without secrets: the login, the limits and what they used today."""

    login: audible_auth.AudibleLogin | None
    limits: audible_calls_repo.AudibleLimits
    usage: audible_calls_repo.AudibleUsage


def audible_status(path: Path | None, user_id: str | None) -> AudibleStatus:
    """Whether the user is logged in to Audible, and their interval and daily-cap usage."""
    config = load_settings(path)
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        login = None
        if store.credentials.get(user.id, audible_auth.SERVICE, audible_auth.AUTH_NAME) is not None:
            login = audible_auth.describe(user.id, audible_auth.load_auth(store, user.id))
        return AudibleStatus(login, audible_limits(config), audible_calls(store).usage(user.id))


def set_link_sync(path: Path | None, user_id: str | None, source: str, item_id: str, enabled: bool) -> Link:
    """Switch syncing of one source item on or off (A1: a household sharing one Audible account turns
    off the books that are not theirs); works before the item was ever synced."""
    config = load_settings(path)
    with open_store(config) as store:
        return store.links.upsert(
            _single_user(config, user_id), _source(source), item_id, sync_enabled=enabled
        )


# -- doctor and enrich ------------------------------------------------------------------------------


def run_doctor(
    path: Path | None, user_id: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> list[Check]:
    """Every connection check for the configured users (or one); a configuration that does not load
    gives its problems as failed checks (a missing token among them) instead of an error."""
    problems, _ = check_configuration(path)
    if problems:
        return checks_from_config_problems(problems)
    config = load_settings(path)
    users = [config.user(user_id)] if user_id else list(config.users)
    logins: dict[str, bool] = {}
    if any(u.audible is not None and u.audible.enabled for u in users):
        with open_store(config) as store:
            for user in users:
                found = store.credentials.get(user.id, audible_auth.SERVICE, audible_auth.AUTH_NAME)
                logins[user.id] = found is not None

    async def check_all() -> list[Check]:
        async with httpx.AsyncClient(
            transport=transport, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        ) as http:
            return await run_doctor_checks(http, config, users, logins)

    return asyncio.run(check_all())


def build_enrich_job(
    config: Config, user: UserConfig, clients: UserClients, store: Store
) -> enrich.EnrichJob:
    """The enrich job of one user: their Audiobookshelf, Hardcover and the matching settings."""
    if clients.audiobookshelf is None or user.audiobookshelf is None:
        raise ConfigError(
            "has no audiobookshelf section: enrich writes to Audiobookshelf", place=f"users.{user.id}"
        )
    sync = config.effective_sync(user)
    resolver = Resolver(
        clients.hardcover,
        store.lookup_cache,
        thresholds=MatchThresholds(link=sync.fuzzy_link_score, conflict=sync.fuzzy_conflict_score),
        unmatched_ttl=timedelta(hours=sync.unmatched_ttl_hours),
        now=lambda: datetime.now(UTC),
    )
    return enrich.EnrichJob(
        user_id=user.id,
        abs_api=clients.audiobookshelf,
        hardcover=clients.hardcover,
        hardcover_session=clients.hardcover_session,
        resolver=resolver,
        store=store,
        include=user.audiobookshelf.libraries.include,
        exclude=user.audiobookshelf.libraries.exclude,
    )


async def run_enrich(
    config: Config,
    user_id: str | None,
    *,
    apply: bool = False,
    limit: int | None = None,
    min_score: float | None = None,
    scan_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> enrich.EnrichReport:
    """One enrich run (a dry run unless ``apply``); ``min_score`` defaults to the user's fuzzy link score."""
    user = config.user(_single_user(config, user_id))
    if scan_dir is not None and not await asyncio.to_thread(scan_dir.is_dir):
        raise ConfigError("is not a folder", place=f"--scan-dir {scan_dir}")
    threshold = config.effective_sync(user).fuzzy_link_score if min_score is None else min_score
    with store_for(config, store) as active:
        clients = build_user_clients(config, user, transport=transport)
        try:
            job = build_enrich_job(config, user, clients, active)
            return await job.run(dry_run=not apply, limit=limit, min_score=threshold, scan_dir=scan_dir)
        finally:
            await clients.aclose()


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
        clients = build_user_clients(config, user, transport=transport)
        try:
            return await build_enrich_job(config, user, clients, active).undo(run_id)
        finally:
            await clients.aclose()


# -- service mode: runner, scheduler, real-time trigger, notifications (issue 6) ---------------------
# bookrelay.service.* is imported inside these functions: only service mode needs socket.io, Apprise
# and Prometheus, and the CLI starts faster without them.
if TYPE_CHECKING:
    from bookrelay.service.clock import Clock
    from bookrelay.service.notify import Notifier
    from bookrelay.service.realtime import RealtimeService
    from bookrelay.service.runner import JobFunction, JobRunner
    from bookrelay.service.scheduler import SchedulerService


def _progress_job(config: Config, transport: httpx.AsyncBaseTransport | None) -> JobFunction:
    """The progress job as a service job function; ``items`` narrows Audiobookshelf to those items."""
    import dataclasses

    from bookrelay.service.results import RunResult, from_progress

    async def progress(
        user_id: str, *, dry_run: bool, items: frozenset[str] | None, store: Store
    ) -> RunResult:
        user = config.user(user_id)
        clients = build_user_clients(config, user, transport=transport)
        try:
            job = build_progress_job(config, user, clients, store, transport=transport)
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
            report.error, report.error_kind = str(exc), kind_of(exc)
        finally:
            await clients.aclose()
        return from_progress(report)

    return progress


def _wanted_job(config: Config, transport: httpx.AsyncBaseTransport | None) -> JobFunction:
    """The wanted job as a service job function (``wanted_for_user`` records the run); the error that
    stopped a run is classified (``error_kind``) for the queue's retry rule, as the progress job's is."""
    from bookrelay.service.results import RunResult, from_wanted

    async def wanted(user_id: str, *, dry_run: bool, items: frozenset[str] | None, store: Store) -> RunResult:
        try:
            report = await wanted_for_user(config, user_id, store, dry_run=dry_run, transport=transport)
        except BookrelayError as exc:
            return RunResult(
                user_id, "wanted", "failed", dry_run=dry_run, error=str(exc), error_kind=kind_of(exc)
            )
        return from_wanted(report, user_id=user_id, run_id=None)

    return wanted


def build_notifier(config: Config) -> Notifier | None:
    """The Apprise notifier of ``global.notify``, or None when no URL is configured."""
    from bookrelay.service.notify import Notifier

    settings = config.global_.notify
    if not settings.urls:
        return None
    return Notifier([url.get_secret_value() for url in settings.urls], settings.on)


def make_job_runner(
    config: Config, store: Store, *, transport: httpx.AsyncBaseTransport | None = None
) -> JobRunner:
    """The runner the scheduler and the API use: ``async (user_id, job, *, dry_run=False) -> run id``
    plus ``reserve``/``abandon``/``jobs`` (:class:`bookrelay.service.runner.JobRunner`)."""
    from bookrelay.service.runner import JobRunner

    jobs = {
        "progress": _progress_job(config, transport),
        "wanted": _wanted_job(config, transport),
        "scrobble": _scrobble_job(config, transport),
    }
    return JobRunner(store, jobs, notifier=build_notifier(config))


def _scrobble_job(config: Config, transport: httpx.AsyncBaseTransport | None) -> JobFunction:
    """The scrobble job (Hardcover → Audiobookshelf, lists, owned) as a service job function."""
    from bookrelay.service.results import RunResult

    async def scrobble(
        user_id: str, *, dry_run: bool, items: frozenset[str] | None, store: Store
    ) -> RunResult:
        (report,) = await run_scrobble(config, [user_id], dry_run=dry_run, transport=transport, store=store)
        error = "; ".join(report.errors) or None
        return RunResult(
            user_id,
            "scrobble",
            report.status,
            run_id=report.run_id,
            dry_run=dry_run,
            error=error,
            error_kind=report.stopped_kind,
        )

    return scrobble


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
    from bookrelay.service.scheduler import build_scheduler

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
    from bookrelay.service.clock import SystemClock
    from bookrelay.service.realtime import AbsListener, AbsPoller, Debouncer, RealtimeService

    settings = config.global_.realtime
    if not settings.enabled or not config.global_.jobs.progress:
        return None
    chosen = clock or SystemClock()

    def sync_changed(user_id: str, items: frozenset[str]) -> None:
        scheduler.trigger(user_id, "progress", items=items)

    service = RealtimeService(Debouncer(chosen, settings.debounce_seconds, sync_changed))
    for user in config.users:
        account = user.audiobookshelf
        if account is None:
            continue
        http = httpx.AsyncClient(
            transport=transport, timeout=DEFAULT_TIMEOUT, headers={"User-Agent": USER_AGENT}
        )
        service.closers.append(http.aclose)
        api = AbsApi(
            AbsSession(
                str(account.url),
                client=http,
                api_key=account.api_key.get_secret_value() if account.api_key else None,
                username=account.username,
                password=account.password.get_secret_value() if account.password else None,
            )
        )

        async def snapshot(api: AbsApi = api) -> list[dict[str, Any]]:
            return [dict(entry) for entry in await api.media_progress()]

        if account.username and account.password is not None:
            login = AbsSession(
                str(account.url),
                client=http,
                username=account.username,
                password=account.password.get_secret_value(),
            )
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
    from bookrelay.service.scheduler import build_scheduler

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


def run_once(path: Path | None) -> tuple[list[Run], int]:
    """Load the config, run every enabled job once; the runs and the process exit code."""
    runs = asyncio.run(run_jobs_once(load_settings(path)))
    return runs, once_exit_code(runs)


# -- HTTP API and web page: `bookrelay serve` (issue 6, part A) ---------------------------------------
# FastAPI and the web package are imported inside these functions: only `serve` needs them.
if TYPE_CHECKING:
    from collections.abc import Sequence

    from fastapi import FastAPI

    from bookrelay.domain.models import Book, SearchHit


def hardcover_lookups(
    config: Config, *, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[
    Callable[[str, str], Awaitable[list[SearchHit]]],
    Callable[[str, Sequence[int]], Awaitable[list[Book]]],
]:
    """Search and book look-ups with a user's own Hardcover token, for the web page (one unit each)."""

    async def search(user_id: str, query: str) -> list[SearchHit]:
        clients = build_user_clients(config, config.user(user_id), transport=transport)
        try:
            return await clients.hardcover.search_books(query)
        finally:
            await clients.aclose()

    async def books(user_id: str, ids: Sequence[int]) -> list[Book]:
        clients = build_user_clients(config, config.user(user_id), transport=transport)
        try:
            return await clients.hardcover.books_by_ids(ids)
        finally:
            await clients.aclose()

    return search, books


def build_web_app(
    config: Config,
    store: Store,
    *,
    runner: Callable[..., Awaitable[int]] | None = None,
    scheduler: SchedulerService | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The API and web page over ``store``, with the job runner, Hardcover look-ups, the Audible browser
    login and the Prometheus metrics; ``transport`` lets tests mount the sandbox in-process."""
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
        metrics_app=metrics_app(),
        queue_status=queue_status_probe(config, store),
        lifespan=lifespan,
    )


def serve(path: Path | None, host: str | None = None, port: int | None = None) -> None:
    """Run ``bookrelay serve`` until stopped: the API, the web page, the scheduler and the real-time
    trigger in one process; on stop the scheduler finishes the run at hand and records it."""
    import uvicorn

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
    try:
        uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="info")
    finally:
        store.close()


# -- scrobble (issue 8): directions, operations, shelf files, the scrobble job, Hardcover OAuth ---------


def hardcover_token(
    config: Config, user: UserConfig, http: httpx.AsyncClient, store: Store | None = None
) -> str | TokenProvider:
    """The user's personal access token, or with ``global.hardcover.auth: oauth`` a provider that reads
    (and rotates) the tokens kept encrypted in the store; ``store`` None opens it per use."""
    hc = config.global_.hardcover
    if hc.auth == "pat":
        if user.hardcover.token is None:
            raise ConfigError(
                "is needed (global.hardcover.auth is pat)", place=f"users.{user.id}.hardcover.token"
            )
        return user.hardcover.token.get_secret_value()
    client = OAuthClient(http, hc.oauth_client_id or "", base_url=str(hc.oauth_url))
    tokens: TokenStore = (
        StoredOAuthTokens(store.credentials, user.id)
        if store is not None
        else _StoreOnDemand(config, user.id)
    )
    return OAuthTokenProvider(client, tokens)


class _StoreOnDemand:
    """A TokenStore that opens the configured store for each call (for clients built without one)."""

    def __init__(self, config: Config, user_id: str) -> None:
        self._config, self._user_id = config, user_id

    def load(self) -> OAuthTokens | None:
        with open_store(self._config) as store:
            return StoredOAuthTokens(store.credentials, self._user_id).load()

    def save(self, tokens: OAuthTokens) -> None:
        with open_store(self._config) as store:
            StoredOAuthTokens(store.credentials, self._user_id).save(tokens)

    def clear(self) -> None:
        with open_store(self._config) as store:
            StoredOAuthTokens(store.credentials, self._user_id).clear()


def directions_for(config: Config, user: UserConfig) -> Directions:
    """The user's direction and conflict rule per feature (S10, S11)."""
    settings = config.effective_directions(user)
    return Directions(
        ways={f: Direction(getattr(settings, f.value)) for f in Feature},
        rules={f: ConflictRule(getattr(settings.on_conflict, f.value)) for f in Feature},
    )


@dataclass
class ScrobbleParts:
    """One user's scrobble collaborators, built from the configuration."""

    user: UserConfig
    clients: UserClients
    operations: Operations
    lists: HardcoverLists
    resolver: Resolver
    directions: Directions
    job: ScrobbleJob


def build_scrobble(config: Config, user: UserConfig, clients: UserClients, store: Store) -> ScrobbleParts:
    """Operations and the scrobble job of one user, wired to its clients and the store."""
    sync = config.effective_sync(user)
    tz = config.timezone_for(user)
    directions = directions_for(config, user)
    resolver = Resolver(
        clients.hardcover,
        store.lookup_cache,
        thresholds=MatchThresholds(link=sync.fuzzy_link_score, conflict=sync.fuzzy_conflict_score),
        unmatched_ttl=timedelta(hours=sync.unmatched_ttl_hours),
        now=lambda: datetime.now(UTC),
    )
    lists = HardcoverLists(clients.hardcover_session)
    state = ScrobbleStateRepo(store.db)
    operations = Operations(
        user.id, clients.hardcover, resolver, store, directions, tz,
        today=lambda: datetime.now(tz).date(), audiobookshelf=clients.audiobookshelf,
    )  # fmt: skip
    job = ScrobbleJob(user.id, store)
    if clients.audiobookshelf is not None:
        settings = ReverseSettings(directions, sync.min_progress, sync.min_change, sync.min_change_seconds)
        job.progress = ReverseProgress(
            user.id, clients.hardcover, clients.audiobookshelf, store, state, settings, tz
        )
        job.lists = ListSync(
            user.id, clients.hardcover, lists, clients.audiobookshelf, store, state, directions
        )
    job.owned = OwnedSync(user.id, clients.hardcover, lists, store, state, directions)
    return ScrobbleParts(user, clients, operations, lists, resolver, directions, job)


@contextlib.asynccontextmanager
async def scrobble_session(
    config: Config,
    user_id: str | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> AsyncIterator[tuple[ScrobbleParts, Store]]:
    """One user's scrobble parts for the length of a ``with``; closes what it opened."""
    user = config.user(_single_user(config, user_id))
    with store_for(config, store) as active:
        clients = build_user_clients(config, user, transport=transport, store=active)
        try:
            yield build_scrobble(config, user, clients, active), active
        finally:
            await clients.aclose()


async def run_scrobble(
    config: Config,
    user_ids: list[str],
    *,
    dry_run: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> list[ScrobbleReport]:
    """Run the scrobble job for these users, one after another; one user's failure never stops another's."""
    reports: list[ScrobbleReport] = []
    for user_id in user_ids:
        try:
            async with scrobble_session(config, user_id, transport=transport, store=store) as (parts, _):
                reports.append(await parts.job.run(dry_run=dry_run))
        except BookrelayError as exc:
            failed = ScrobbleReport(user_id, dry_run, stopped_kind=kind_of(exc))
            failed.errors.append(f"stopped: {exc}")
            reports.append(failed)
    return reports


async def export_shelf(
    config: Config,
    user_id: str | None,
    fmt: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> str:
    """The user's Hardcover shelf as Goodreads-compatible CSV (``csv``) or JSON (``json``)."""
    if fmt not in ("csv", "json"):
        raise ConfigError(f"unknown format {fmt!r} (csv or json)", place="--format")
    async with scrobble_session(config, user_id, transport=transport, store=store) as (parts, _):
        rows = await export_rows(parts.clients.hardcover, parts.lists, parts.directions)
    return to_goodreads_csv(rows) if fmt == "csv" else shelf_json(rows)


async def import_shelf(
    config: Config,
    user_id: str | None,
    text: str,
    *,
    source_name: str = "file",
    apply: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> ImportReport:
    """Import a Goodreads or StoryGraph CSV into Hardcover: a dry run unless ``apply``."""
    rows = parse_shelf_csv(text, source_name)
    async with scrobble_session(config, user_id, transport=transport, store=store) as (parts, active):
        return await import_rows(
            rows, user_id=parts.user.id, hardcover=parts.clients.hardcover, resolver=parts.resolver,
            store=active, directions=parts.directions, apply=apply,
        )  # fmt: skip


async def hardcover_connect(
    config: Config,
    user_id: str | None,
    show: Callable[[DeviceAuthorization], None],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> str:
    """The OAuth device flow: ``show`` the code to the user, wait for approval, store the tokens
    encrypted; returns the connected Hardcover username."""
    hc = config.global_.hardcover
    if hc.auth != "oauth":
        raise ConfigError("is pat: set it to oauth to connect with OAuth", place="global.hardcover.auth")
    user = config.user(_single_user(config, user_id))
    with store_for(config, store) as active:
        async with httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT) as http:
            client = OAuthClient(http, hc.oauth_client_id or "", base_url=str(hc.oauth_url), sleep=sleep)
            device = await client.start_device()
            show(device)
            tokens = await client.poll_device(device)
            StoredOAuthTokens(active.credentials, user.id).save(tokens)
            session = HardcoverSession(http, tokens.access_token, url=str(hc.url))
            return (await HardcoverApi(session).me()).username


async def hardcover_disconnect(
    config: Config,
    user_id: str | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> bool:
    """Revoke the user's OAuth tokens at Hardcover and forget them; whether there were any."""
    hc = config.global_.hardcover
    user = config.user(_single_user(config, user_id))
    with store_for(config, store) as active:
        async with httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT) as http:
            client = OAuthClient(http, hc.oauth_client_id or "-", base_url=str(hc.oauth_url))
            provider = OAuthTokenProvider(client, StoredOAuthTokens(active.credentials, user.id))
            return await provider.disconnect()


# -- scale-out (issue 9): the PostgreSQL job queue, `bookrelay worker`, shared Hardcover budgets --------
# procrastinate is imported inside these functions: installs on SQLite never need it.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bookrelay.connectors.hardcover.gate import BudgetGate
    from bookrelay.queue.runner import QueuedRunner
    from bookrelay.queue.schema import QueueStatus
    from bookrelay.queue.worker import WorkerOptions
    from bookrelay.store.db import Database

# One connection pool per database for the budget gate of every session of this process.
_BUDGET_DATABASES: dict[str, Database] = {}


def shared_budget_gate(config: Config) -> BudgetGate | None:
    """The Hardcover budget shared by every process through the store when the database is PostgreSQL
    (several workers may serve one token); None on SQLite, where each session keeps its own bucket."""
    url = config.database_url
    if make_url(url).get_backend_name() != "postgresql":
        return None
    from bookrelay.store.db import Database
    from bookrelay.store.repositories.hardcover_budget import (
        BudgetPolicy,
        HardcoverBudgetRepo,
        SharedBudgetGate,
    )

    database = _BUDGET_DATABASES.get(url)
    if database is None:
        database = _BUDGET_DATABASES[url] = Database(create_engine_for(url))
    hc = config.global_.hardcover
    policy = BudgetPolicy(per_minute=hc.per_minute, burst=hc.burst, daily=hc.daily)
    return SharedBudgetGate(HardcoverBudgetRepo(database), policy)


def apply_queue_schema(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's PostgreSQL database when missing (idempotent)."""
    from bookrelay.queue.schema import apply_queue_schema as apply

    return apply(engine)


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
    runtime = WorkerRuntime(make_job_runner(config, store, transport=transport))
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
