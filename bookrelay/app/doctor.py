"""``bookrelay doctor``: the connection checks of the configured users."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bookrelay.app.clients import http_client, user_clients
from bookrelay.app.common import check_configuration, chosen_users, load_settings, open_store
from bookrelay.app.doctor_checks import Check, checks_from_config_problems
from bookrelay.app.doctor_services import run_all as run_doctor_checks
from bookrelay.config import Config
from bookrelay.connectors.audiobookshelf.mapper import map_item
from bookrelay.domain.models import SourceItem
from bookrelay.sync import audible_auth


def run_doctor(
    path: Path | None, user_id: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> list[Check]:
    """Every connection check for the configured users (or one); a configuration that does not load
    gives its problems as failed checks (a missing token among them) instead of an error."""
    problems, _ = check_configuration(path)
    if problems:
        return checks_from_config_problems(problems)
    config = load_settings(path)
    users = [config.user(u) for u in chosen_users(config, user_id, default="every", required=False)]
    logins: dict[str, bool] = {}
    if any(u.audible is not None and u.audible.enabled for u in users):
        with open_store(config) as store:
            for user in users:
                found = store.credentials.get(user.id, audible_auth.SERVICE, audible_auth.AUTH_NAME)
                logins[user.id] = found is not None

    async def check_all() -> list[Check]:
        async with http_client(transport) as http:
            return await run_doctor_checks(http, config, users, logins)

    return asyncio.run(check_all())


async def sample_items(
    config: Config,
    user_id: str | None,
    limit: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[tuple[str, SourceItem]]:
    """The first ``limit`` Audiobookshelf book items of each user (or one), in the library's order, as
    the metadata workflow's connectivity test listed them: proof that reading the library works."""
    users = [config.user(u) for u in chosen_users(config, user_id, default="every", required=False)]
    found: list[tuple[str, SourceItem]] = []
    for user in users:
        if user.audiobookshelf is None:
            continue
        async with user_clients(config, user, transport=transport) as clients:
            assert clients.audiobookshelf is not None  # built for every user with the section
            account = user.audiobookshelf
            taken = 0
            libraries = await clients.audiobookshelf.book_libraries(
                account.libraries.include or None, account.libraries.exclude or None
            )
            for library in libraries:
                for raw in await clients.audiobookshelf.library_items(library["id"]):
                    item = map_item(raw)
                    if item is None or taken >= limit:
                        continue
                    found.append((user.id, item))
                    taken += 1
    return found
