"""Scrobble: directions, operations, shelf files, the scrobble job, Hardcover OAuth."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bookrelay.app.clients import UserClients, http_client, oauth_client, user_clients
from bookrelay.app.common import single_user, store_for
from bookrelay.app.matching import build_resolver
from bookrelay.config import Config, UserConfig
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.auth import (
    DeviceAuthorization,
    OAuthTokenProvider,
)
from bookrelay.connectors.hardcover.lists import HardcoverLists
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.domain.directions import ConflictRule, Direction, Directions, Feature, ReverseSettings
from bookrelay.domain.shelves import parse_shelf_csv, to_goodreads_csv
from bookrelay.domain.shelves import to_json as shelf_json
from bookrelay.errors import BookrelayError, ConfigError
from bookrelay.matching.pipeline import Resolver
from bookrelay.store.facade import Store
from bookrelay.store.repositories.scrobble import ScrobbleStateRepo
from bookrelay.sync.runs import RunRecorder
from bookrelay.sync.scrobble.job import ScrobbleJob, ScrobbleReport
from bookrelay.sync.scrobble.lists import ListSync
from bookrelay.sync.scrobble.operations import Operations
from bookrelay.sync.scrobble.operations import parse_status as parse_status
from bookrelay.sync.scrobble.owned import OwnedSync
from bookrelay.sync.scrobble.reverse import ReverseProgress
from bookrelay.sync.scrobble.shelf_io import ImportReport, export_rows, import_rows
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens


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


def build_scrobble(
    config: Config, user: UserConfig, clients: UserClients, store: Store, runs: RunRecorder | None = None
) -> ScrobbleParts:
    """Operations and the scrobble job of one user, wired to its clients and the store; ``runs`` records
    the job's run (a recorder of ``store`` when None)."""
    sync = config.effective_sync(user)
    tz = config.timezone_for(user)
    directions = directions_for(config, user)
    resolver = build_resolver(clients, store, sync)
    lists = HardcoverLists(clients.hardcover_session)
    state = ScrobbleStateRepo(store.db)
    operations = Operations(
        user.id, clients.hardcover, resolver, store, directions, tz,
        today=lambda: datetime.now(tz).date(), audiobookshelf=clients.audiobookshelf,
    )  # fmt: skip
    job = ScrobbleJob(user.id, store, budget=clients.hardcover_session.budget, runs=runs)
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
    runs: RunRecorder | None = None,
) -> AsyncIterator[tuple[ScrobbleParts, Store]]:
    """One user's scrobble parts for the length of a ``with``; closes what it opened."""
    user = config.user(single_user(config, user_id))
    with store_for(config, store) as active:
        async with user_clients(config, user, transport=transport, store=active) as clients:
            yield build_scrobble(config, user, clients, active, runs), active


async def run_scrobble(
    config: Config,
    user_ids: list[str],
    *,
    dry_run: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
    runs: RunRecorder | None = None,
) -> list[ScrobbleReport]:
    """Run the scrobble job for these users, one after another; one user's failure never stops another's.
    ``runs`` records the run (one user's: it may carry a run reserved earlier)."""
    reports: list[ScrobbleReport] = []
    for user_id in user_ids:
        try:
            async with scrobble_session(config, user_id, transport=transport, store=store, runs=runs) as (
                parts,
                _,
            ):
                reports.append(await parts.job.run(dry_run=dry_run))
        except BookrelayError as exc:
            failed = ScrobbleReport(user_id, dry_run)
            failed.stop(exc)
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
    user = config.user(single_user(config, user_id))
    with store_for(config, store) as active:
        async with http_client(transport) as http:
            client = oauth_client(config, http, sleep=sleep)
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
    user = config.user(single_user(config, user_id))
    with store_for(config, store) as active:
        async with http_client(transport) as http:
            client = oauth_client(config, http)
            provider = OAuthTokenProvider(client, StoredOAuthTokens(active.credentials, user.id))
            return await provider.disconnect()
