"""Connect and Disconnect on the web page: Hardcover's OAuth authorization-code flow with PKCE.

The page's Connect sends the browser to Hardcover's consent page; Hardcover sends it back to
``/api/v1/integrations/hardcover/callback`` with a code, which is spent here for tokens that the store
keeps encrypted. The refresh token rotates on every use (:class:`OAuthTokenProvider` saves each new one
before it is used), exactly as after the device flow of ``bookrelay hardcover connect``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bookrelay.app.clients import http_client, oauth_client
from bookrelay.config import Config
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.auth import OAuthTokenProvider, new_pkce
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.errors import AuthError
from bookrelay.store.facade import Store
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens

CALLBACK_PATH = "/api/v1/integrations/hardcover/callback"
# A consent page left open longer than this must be started again (Hardcover's codes live 10 minutes).
PENDING_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class _Pending:
    user_id: str
    verifier: str
    started: float


class HardcoverOAuthWeb:
    """What the web page needs of Hardcover OAuth; the PKCE verifiers stay in this server's memory, the
    browser carries only the ``state`` that names one."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._store = store
        self._transport = transport
        self._clock = clock
        self._pending: dict[str, _Pending] = {}

    def missing(self) -> list[str]:
        """The settings Connect still needs, each with its variable; empty when it can start."""
        hc = self._config.global_.hardcover
        wanted = [
            (hc.auth == "oauth", "global.hardcover.auth: oauth (set by HARDCOVER_CLIENT_ID)"),
            (bool(hc.oauth_client_id), "HARDCOVER_CLIENT_ID (global.hardcover.oauth_client_id)"),
            (
                hc.oauth_redirect_uri is not None,
                "HARDCOVER_REDIRECT_URI (global.hardcover.oauth_redirect_uri): this server's "
                + CALLBACK_PATH,
            ),
        ]
        return [what for ok, what in wanted if not ok]

    def connected(self, user_id: str) -> bool:
        """Whether the store holds Hardcover OAuth tokens for the user."""
        return StoredOAuthTokens(self._store.credentials, user_id).load() is not None

    async def start(self, user_id: str) -> tuple[str, str]:
        """The consent page's address and the ``state`` the callback must bring back (no request is
        made: the browser goes there)."""
        self._forget_stale()
        verifier, challenge = new_pkce()
        state = secrets.token_urlsafe(24)
        self._pending[state] = _Pending(user_id, verifier, self._clock())
        async with self._http() as http:
            url = oauth_client(self._config, http).authorization_url(self._redirect_uri(), state, challenge)
        return url, state

    async def finish(self, state: str, code: str) -> tuple[str, str]:
        """Spend the callback's code for tokens, store them encrypted; the user id and Hardcover username.
        AuthError when the state is unknown or stale (a replayed or forged callback)."""
        self._forget_stale()
        pending = self._pending.pop(state, None)
        if pending is None:
            raise AuthError(
                "this Hardcover sign-in is unknown or too old: press Connect again", service="hardcover"
            )
        async with self._http() as http:
            tokens = await oauth_client(self._config, http).exchange_code(
                code, self._redirect_uri(), pending.verifier
            )
            StoredOAuthTokens(self._store.credentials, pending.user_id).save(tokens)
            session = HardcoverSession(http, tokens.access_token, url=str(self._config.global_.hardcover.url))
            username = (await HardcoverApi(session).me()).username
        return pending.user_id, username

    def cancel(self, state: str) -> str | None:
        """The user refused on Hardcover: forget the attempt; its user id when it was known."""
        pending = self._pending.pop(state, None)
        return pending.user_id if pending else None

    async def disconnect(self, user_id: str) -> bool:
        """Revoke the user's token chain at Hardcover and forget the tokens; whether there were any."""
        async with self._http() as http:
            provider = OAuthTokenProvider(
                oauth_client(self._config, http), StoredOAuthTokens(self._store.credentials, user_id)
            )
            return await provider.disconnect()

    def _http(self) -> httpx.AsyncClient:
        return http_client(self._transport)

    def _redirect_uri(self) -> str:
        return str(self._config.global_.hardcover.oauth_redirect_uri)

    def _forget_stale(self) -> None:
        oldest = self._clock() - PENDING_SECONDS
        for state in [s for s, p in self._pending.items() if p.started < oldest]:
            del self._pending[state]
