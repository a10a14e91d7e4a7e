"""Audible: the metered source of the progress job, login and logout, status, and per-item sync
switches (A1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bookrelay.app.common import _source, open_store, single_user, store_for
from bookrelay.config import Config, UserConfig
from bookrelay.connectors.audible import api as audible_api
from bookrelay.connectors.audible import session as audible_session
from bookrelay.domain.entries import SourceEntry
from bookrelay.errors import ConfigError
from bookrelay.store.facade import Store
from bookrelay.store.models import Link
from bookrelay.store.repositories import audible_calls as audible_calls_repo
from bookrelay.sync import audible_auth, audible_source


def audible_limits(config: Config) -> audible_calls_repo.AudibleLimits:
    """The Audible limits of the configuration (interval between syncs, requests per UTC day)."""
    settings = config.global_.audible
    return audible_calls_repo.AudibleLimits(
        timedelta(minutes=settings.min_interval_minutes), settings.daily_cap
    )


def audible_calls(store: Store) -> audible_calls_repo.AudibleCallRepo:
    """The store's Audible counters, on the store's database and clock."""
    return audible_calls_repo.AudibleCallRepo(store.db, store.clock)


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
            transport=audible_source.MeteredTransport(
                inner,
                lambda: calls.take(user.id, limits),
                per_minute=config.global_.audible.requests_per_minute,
            ),
            on_auth_changed=audible_auth.auth_saver(store, user.id),
        )
        async with session:
            return await audible_source.collect_audible(audible_api.AudibleApi(session))

    return collect


def _audible_user(config: Config, user_id: str | None) -> UserConfig:
    return config.user(single_user(config, user_id))


def _audible_locale(user: UserConfig, locale: str | None) -> str:
    if locale:
        return locale
    if user.audible is not None:
        return user.audible.locale
    raise ConfigError("give --locale, or set users[].audible.locale", place=f"users.{user.id}")


def audible_login_browser(
    config: Config, user_id: str | None, locale: str | None, url_callback: Callable[[str], str]
) -> audible_auth.AudibleLogin:
    """Log a configured user in to Audible through an external browser; the login is stored encrypted."""
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.login_in_browser(store, user.id, _audible_locale(user, locale), url_callback)


def audible_login_password(
    config: Config,
    user_id: str | None,
    locale: str | None,
    email: str,
    password: str,
    **callbacks: Callable[..., Any],
) -> audible_auth.AudibleLogin:
    """Log a configured user in with e-mail and password (used once, never stored); ``callbacks`` are
    ``captcha``, ``otp``, ``cvf`` and ``approval`` of :func:`audible_auth.login_with_password`."""
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_password_login(
            store, user.id, _audible_locale(user, locale), email, password, **callbacks
        )


def audible_password_login(
    store: Store, user_id: str, locale: str, email: str, password: str, **callbacks: Callable[..., Any]
) -> audible_auth.AudibleLogin:
    """Log ``user_id`` in with e-mail and password into ``store`` (the API's sign-in; blocking: run it in
    a thread from async code)."""
    return audible_auth.login_with_password(store, user_id, locale, email, password, **callbacks)


def audible_import_auth_file(
    config: Config, user_id: str | None, auth_file: Path, password: str | None, locale: str | None
) -> audible_auth.AudibleLogin:
    """Import an audible-cli auth file for a configured user and store it encrypted."""
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.import_auth_file(store, user.id, auth_file, password, locale)


def audible_logout(config: Config, user_id: str | None, *, deregister: bool = True) -> bool:
    """Deregister the user's Audible device and delete the stored login; whether there was one."""
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        return audible_auth.logout(store, user.id, deregister=deregister)


@dataclass(frozen=True)
class AudibleStatus:
    """A user's Audible state without secrets: the login, the limits and what they used today."""

    login: audible_auth.AudibleLogin | None
    limits: audible_calls_repo.AudibleLimits
    usage: audible_calls_repo.AudibleUsage


def audible_status(config: Config, user_id: str | None) -> AudibleStatus:
    """Whether the user is logged in to Audible, and their interval and daily-cap usage."""
    user = _audible_user(config, user_id)
    with open_store(config) as store:
        login = None
        if store.credentials.get(user.id, audible_auth.SERVICE, audible_auth.AUTH_NAME) is not None:
            login = audible_auth.describe(user.id, audible_auth.load_auth(store, user.id))
        return AudibleStatus(login, audible_limits(config), audible_calls(store).usage(user.id))


def set_link_sync(
    config: Config,
    user_id: str | None,
    source: str,
    item_id: str,
    enabled: bool,
    *,
    store: Store | None = None,
) -> Link:
    """Switch syncing of one source item on or off (A1: a household sharing one Audible account turns
    off the books that are not theirs); works before the item was ever synced."""
    with store_for(config, store) as active:
        return active.links.upsert(
            single_user(config, user_id), _source(source), item_id, sync_enabled=enabled
        )


def save_audible_login(store: Store, user_id: str, auth: dict[str, Any]) -> None:
    """Keep an Audible login (audible-cli's auth data) encrypted for the user, as a login would."""
    audible_auth.save_auth(store, user_id, auth)
