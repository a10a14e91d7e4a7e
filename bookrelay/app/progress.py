"""The progress job (sources → Hardcover): its settings, its wiring, runs for several users; the
conflicts and pinned links it leaves to the user."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from bookrelay.app.audible import build_audible_collector
from bookrelay.app.clients import UserClients, user_clients
from bookrelay.app.common import _source, open_store, single_user, store_for
from bookrelay.app.matching import build_resolver
from bookrelay.config import Config, UserConfig
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import Source, Status
from bookrelay.domain.plan import ProgressSettings
from bookrelay.errors import BookrelayError, ConfigError
from bookrelay.service.heartbeat import Heartbeat as Heartbeat
from bookrelay.service.heartbeat import Tick
from bookrelay.service.heartbeat import duration_words as duration_words
from bookrelay.service.heartbeat import eta_seconds as eta_seconds
from bookrelay.store.facade import Store
from bookrelay.store.models import Conflict, ConflictStatus, Link
from bookrelay.store.repositories import Label
from bookrelay.sync.pins import check_pin
from bookrelay.sync.progress import ProgressCallback, ProgressJob
from bookrelay.sync.report import ProgressReport
from bookrelay.sync.report import clock as clock
from bookrelay.sync.report import split_rule as split_rule
from bookrelay.sync.report import with_rule as with_rule
from bookrelay.sync.source_set import SourceSet
from bookrelay.sync.sources import collect_audiobookshelf

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


def progress_ticks(
    config: Config, user_id: str, clients: UserClients, sink: Callable[[Tick], None]
) -> ProgressCallback:
    """The job's (phase, done, total) callback as :class:`Tick`s with the units this run has spent."""
    budget = clients.hardcover.session.budget
    start, pace = budget.units_spent, config.global_.hardcover.per_minute

    def spent() -> int:
        return budget.units_spent - start

    def tick(phase: str, done: int, total: int) -> None:
        sink(Tick(user_id, phase, done, total, spent(), pace, spent))

    return tick


def build_progress_job(
    config: Config,
    user: UserConfig,
    clients: UserClients,
    store: Store,
    *,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    holder: str = "cli",
) -> ProgressJob:
    """The progress job of one user over every source they have (Audiobookshelf and/or Audible),
    wired to its clients and the store; ``holder`` names what started it (cli, serve, worker) to a
    second run that has to wait for the user's lease."""
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

    resolver = build_resolver(clients, store, sync)
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
        holder=holder,
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
    on_progress: Callable[[Tick], None] | None = None,
    keep_plan: bool = False,
) -> list[ProgressReport]:
    """Run the progress job for these users, ``workers`` at once; one user's failure never stops another's.

    ``keep_plan`` keeps a real run's plan in its report (a dry run's is always kept)."""
    semaphore = asyncio.Semaphore(config.global_.workers)

    async def one(user_id: str) -> ProgressReport:
        async with semaphore:
            user = config.user(user_id)
            async with user_clients(config, user, transport=transport) as clients:
                try:
                    callback = progress_ticks(config, user_id, clients, on_progress) if on_progress else None
                    job = build_progress_job(
                        config, user, clients, active, force=force, on_progress=callback, transport=transport
                    )
                    return await job.run(dry_run=dry_run, limit=limit, force=force, keep_plan=keep_plan)
                except BookrelayError as exc:
                    report = ProgressReport(user_id, dry_run=dry_run)
                    report.error = str(exc)
                    return report

    with store_for(config, store) as active:
        return list(await asyncio.gather(*(one(u) for u in user_ids)))


def list_conflicts(config: Config, user_id: str | None, *, include_closed: bool = False) -> list[Conflict]:
    """Open conflicts (or all), newest first."""
    with open_store(config) as store:
        return store.conflicts.list(None if include_closed else ConflictStatus.OPEN, user_id=user_id)


def item_labels(config: Config, items: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Label]:
    """The stored labels of these (user, source, item id): what a person knows each item by."""
    found: dict[tuple[str, str, str], Label] = {}
    with open_store(config) as store:
        for user_id in {u for u, _, _ in items}:
            keys = [(s, i) for u, s, i in items if u == user_id]
            found.update(((user_id, *k), v) for k, v in store.labels.for_items(user_id, keys).items())
    return found


def get_conflict(config: Config, conflict_id: int) -> Conflict:
    """One conflict; NotFound when there is none."""
    with open_store(config) as store:
        return store.conflicts.get(conflict_id)


def _checked_on_hardcover(config: Config, user_id: str, book_id: int, edition_id: int | None) -> None:
    """One look-up with the user's token: the book exists and the edition is one of its (M1)."""

    async def check() -> None:
        async with user_clients(config, config.user(user_id)) as clients:
            await check_pin(clients.hardcover.books_by_ids, book_id, edition_id)

    asyncio.run(check())


def resolve_conflict(config: Config, conflict_id: int, book_id: int, edition_id: int | None) -> Conflict:
    """Settle a conflict by linking its item to a book (a pinned link: M1) once Hardcover confirmed the
    book and edition; the next plain sync writes that item."""
    with open_store(config) as store:
        conflict = store.conflicts.get(conflict_id)
        if conflict.status is ConflictStatus.OPEN:  # a closed one is refused below, at no cost
            _checked_on_hardcover(config, conflict.user_id, book_id, edition_id)
        conflict = store.conflicts.resolve(conflict_id, book_id, edition_id)
        store.labels.name_from_candidates(
            conflict.user_id, conflict.source, conflict.source_item_id, book_id, conflict.candidates or []
        )
        return conflict


def ignore_conflict(config: Config, conflict_id: int) -> Conflict:
    """Close a conflict without a link."""
    with open_store(config) as store:
        return store.conflicts.ignore(conflict_id)


def pin_link(
    config: Config,
    user_id: str | None,
    source: str,
    item_id: str,
    book_id: int,
    edition_id: int | None,
) -> Link:
    """Pin a source item to a Hardcover book (M1) once Hardcover confirmed the book and edition; the next
    plain sync writes that item."""
    user = single_user(config, user_id)
    _checked_on_hardcover(config, user, book_id, edition_id)
    with open_store(config) as store:
        return store.links.pin(user, _source(source), item_id, book_id, edition_id)


def unpin_link(config: Config, user_id: str | None, source: str, item_id: str) -> Link:
    """Release a pin so that the next run matches the item again."""
    with open_store(config) as store:
        return store.links.unpin(single_user(config, user_id), _source(source), item_id)
