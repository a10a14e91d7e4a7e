"""The clients of one user (one shared HTTP client, Hardcover with its token or OAuth tokens,
Audiobookshelf) and the Hardcover budget shared between processes on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.engine import make_url

from bookrelay.app.common import open_store
from bookrelay.config import Config, UserConfig
from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.auth import (
    OAuthClient,
    OAuthTokenProvider,
    OAuthTokens,
    TokenProvider,
    TokenStore,
)
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.connectors.http import new_client
from bookrelay.errors import ConfigError
from bookrelay.store.db import Database, create_engine_for
from bookrelay.store.facade import Store
from bookrelay.store.repositories.hardcover_budget import (
    BudgetPolicy,
    HardcoverBudgetRepo,
    SharedBudgetGate,
)
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens

if TYPE_CHECKING:
    from bookrelay.connectors.hardcover.gate import BudgetGate


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


def http_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client every front end and app function opens for itself: the HTTP policy's time-outs and
    User-Agent, no redirects (``connectors/http.py``); ``transport`` lets tests and the demo mount the
    sandbox in-process."""
    return new_client(transport)


@asynccontextmanager
async def user_clients(
    config: Config,
    user: UserConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> AsyncIterator[UserClients]:
    """One user's clients for the time of a ``with`` block, closed when it ends (however it ends)."""
    clients = build_user_clients(config, user, transport=transport, store=store)
    try:
        yield clients
    finally:
        await clients.aclose()


def build_user_clients(
    config: Config,
    user: UserConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> UserClients:
    """Clients for one user's services, which the caller closes (:func:`user_clients` does it for a
    block); ``transport`` mounts the sandbox in-process; ``store`` holds OAuth tokens
    (``global.hardcover.auth: oauth``; else the configured store is opened)."""
    http = http_client(transport)
    hc = config.global_.hardcover
    session = HardcoverSession(
        http,
        hardcover_token(config, user, http, store),
        url=str(hc.url),
        per_minute=hc.per_minute,
        burst=hc.burst,
        daily=hc.daily,
        budget_gate=shared_budget_gate(config),
        # An OAuth token comes from the store, not from a place the user wrote it.
        token_name=config.hardcover_token_name(user.id) if hc.auth == "pat" else "the stored OAuth token",
    )
    abs_api = None if user.audiobookshelf is None else AbsApi(abs_session(config, user, http))
    return UserClients(
        http=http, hardcover=HardcoverApi(session), hardcover_session=session, audiobookshelf=abs_api
    )


def abs_session(
    config: Config, user: UserConfig, http: httpx.AsyncClient, *, sign_in: bool = False
) -> AbsSession:
    """The user's Audiobookshelf session on ``http``; ``sign_in`` one with only the username and password
    (socket.io's login: an API key cannot sign in there). ConfigError when the user has no Audiobookshelf."""
    account = user.audiobookshelf
    if account is None:
        raise ConfigError("has no audiobookshelf section", place=f"users.{user.id}")
    password = account.password.get_secret_value() if account.password else None
    api_key = account.api_key.get_secret_value() if account.api_key and not sign_in else None
    return AbsSession(
        str(account.url),
        client=http,
        api_key=api_key,
        username=account.username,
        password=password,
        key_name=config.abs_key_name(user.id),
    )


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
    client = oauth_client(config, http)
    tokens: TokenStore = (
        StoredOAuthTokens(store.credentials, user.id)
        if store is not None
        else _StoreOnDemand(config, user.id)
    )
    return OAuthTokenProvider(client, tokens)


def oauth_client(config: Config, http: httpx.AsyncClient, **options: Any) -> OAuthClient:
    """Hardcover's OAuth endpoints for this configuration's app (its id, and its secret when confidential)."""
    hc = config.global_.hardcover
    secret = hc.oauth_client_secret.get_secret_value() if hc.oauth_client_secret else None
    return OAuthClient(
        http, hc.oauth_client_id or "-", base_url=str(hc.oauth_url), client_secret=secret, **options
    )


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


# One connection pool per database for the budget gate of every session of this process.
_BUDGET_DATABASES: dict[str, Database] = {}


def shared_budget_gate(config: Config) -> BudgetGate | None:
    """The Hardcover budget shared by every process through the store when the database is PostgreSQL
    (several workers may serve one token); None on SQLite, where each session keeps its own bucket."""
    url = config.database_url
    if make_url(url).get_backend_name() != "postgresql":
        return None
    database = _BUDGET_DATABASES.get(url)
    if database is None:
        database = _BUDGET_DATABASES[url] = Database(create_engine_for(url))
    hc = config.global_.hardcover
    policy = BudgetPolicy(per_minute=hc.per_minute, burst=hc.burst, daily=hc.daily)
    return SharedBudgetGate(HardcoverBudgetRepo(database), policy)
