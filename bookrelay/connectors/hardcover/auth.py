"""Where the Hardcover session gets its bearer token: a personal access token (the default) or OAuth2.

The OAuth2 provider follows the draft flow of ref/hardcover.md §9 (hardcover-docs PR #185): the
Device Authorization Grant (RFC 8628) at ``/oauth2/device`` and ``/oauth2/token``, or the
authorization-code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636, required for every client by the
draft) through ``/oauth2/authorize``, a confidential client adding its secret to token calls;
revocation at ``/oauth2/revoke`` (RFC 7009). Access tokens (``hc_at_…``) are short-lived; refresh tokens
(``hc_rt_…``) ROTATE on every use and re-using one revokes the whole chain, so a rotated refresh
token is saved (encrypted, by the caller's :class:`TokenStore`) before the new access token is
handed out, and two refreshes never run at once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from bookrelay.errors import AuthError, BadResponse, ServiceUnavailable
from bookrelay.http_defaults import HARDCOVER_OAUTH_URL
from bookrelay.redact import redact, register_secret

SERVICE = "hardcover"
DEFAULT_OAUTH_URL = HARDCOVER_OAUTH_URL
DEFAULT_SCOPES = "read:catalog read:library write:library read:me:content read:lists write:lists"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# Refresh a little before the access token runs out, so a request never starts with a dying token.
EXPIRY_MARGIN = 60.0
CONNECT_HINT = "run `bookrelay hardcover connect`"


class TokenProvider(Protocol):
    """What a :class:`~bookrelay.connectors.hardcover.session.HardcoverSession` asks for its token."""

    async def token(self) -> str:
        """The bearer token to send now (without ``Bearer``)."""
        ...

    async def invalidate(self) -> None:
        """The server refused the last token: forget it so that the next :meth:`token` renews it."""
        ...


class StaticToken:
    """A personal access token: always the same value; it cannot be renewed."""

    def __init__(self, token: str) -> None:
        register_secret(token)
        self._token = token

    async def token(self) -> str:
        """The token as configured."""
        return self._token

    async def invalidate(self) -> None:
        """Nothing to renew: the session reports the 401 (N4)."""

    def __repr__(self) -> str:
        return "StaticToken(***)"


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    """One generation of OAuth tokens; ``expires_at`` is epoch seconds of the access token's end."""

    access_token: str
    refresh_token: str
    expires_at: float
    scope: str | None = None

    def __repr__(self) -> str:
        return f"OAuthTokens(expires_at={self.expires_at!r}, scope={self.scope!r})"


class TokenStore(Protocol):
    """Keeps a user's OAuth tokens (encrypted at rest); ``save`` returns only once they are durable."""

    def load(self) -> OAuthTokens | None:
        """The saved tokens, None when the user is not connected."""
        ...

    def save(self, tokens: OAuthTokens) -> None:
        """Persist ``tokens``, replacing the previous ones."""
        ...

    def clear(self) -> None:
        """Forget the tokens (disconnect)."""
        ...


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """What the user is shown: go to ``verification_uri`` and enter ``user_code``."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(user_code={self.user_code!r}, verification_uri={self.verification_uri!r})"
        )


class OAuthClient:
    """The three OAuth endpoints of Hardcover, form-encoded as RFC 6749 wants."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        client_id: str,
        *,
        base_url: str = DEFAULT_OAUTH_URL,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        client_secret: str | None = None,
    ) -> None:
        if not client_id.strip():
            raise ValueError("an OAuth client id is needed (global.hardcover.oauth_client_id)")
        self._http = http
        self.client_id = client_id.strip()
        self._secret = client_secret.strip() if client_secret and client_secret.strip() else None
        if self._secret:
            register_secret(self._secret)
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._sleep = sleep

    async def start_device(self, scope: str = DEFAULT_SCOPES) -> DeviceAuthorization:
        """Ask for a device code (``POST /oauth2/device``)."""
        body = await self._post("/oauth2/device", {"client_id": self.client_id, "scope": scope})
        try:
            return DeviceAuthorization(
                device_code=str(body["device_code"]),
                user_code=str(body["user_code"]),
                verification_uri=str(body["verification_uri"]),
                verification_uri_complete=body.get("verification_uri_complete"),
                expires_in=float(body.get("expires_in", 600)),
                interval=float(body.get("interval", 5)),
            )
        except (KeyError, TypeError, ValueError):
            raise BadResponse(
                "oauth2/device: the answer lacks device_code or user_code", service=SERVICE
            ) from None

    async def poll_device(self, device: DeviceAuthorization) -> OAuthTokens:
        """Poll ``/oauth2/token`` until approved (RFC 8628 §3.4-3.5); AuthError when denied or expired."""
        interval = max(device.interval, 1.0)
        deadline = self._clock() + device.expires_in
        while True:
            await self._sleep(interval)
            if self._clock() > deadline:
                raise AuthError(
                    "the device code expired before it was approved; " + CONNECT_HINT, service=SERVICE
                )
            status, body = await self._token_call(
                {"grant_type": DEVICE_GRANT, "device_code": device.device_code}
            )
            if status == 200:
                return self._tokens(body)
            error = body.get("error") if isinstance(body, dict) else None
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += 5.0  # RFC 8628 §3.5
                continue
            if error == "access_denied":
                raise AuthError("the request was denied on hardcover.app", service=SERVICE)
            raise AuthError(
                f"device authorization failed: {error or status}; " + CONNECT_HINT, service=SERVICE
            )

    def authorization_url(
        self, redirect_uri: str, state: str, code_challenge: str, scope: str = DEFAULT_SCOPES
    ) -> str:
        """Where the user's browser goes to allow bookrelay (``GET /oauth2/authorize``, RFC 6749 §4.1.1)."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.base_url}/oauth2/authorize?{urlencode(query)}"

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> OAuthTokens:
        """Spend the code the callback received for the first generation of tokens (RFC 6749 §4.1.3)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        status, body = await self._token_call(form)
        if status != 200:
            error = body.get("error") if isinstance(body, dict) else None
            raise AuthError(f"the authorization code was refused ({error or status})", service=SERVICE)
        return self._tokens(body)

    async def refresh(self, refresh_token: str) -> OAuthTokens:
        """Spend ``refresh_token`` for a new generation (it rotates: never use the old one again)."""
        status, body = await self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})
        if status != 200:
            error = body.get("error") if isinstance(body, dict) else None
            raise AuthError(
                f"the refresh token was refused ({error or status}); " + CONNECT_HINT, service=SERVICE
            )
        return self._tokens(body)

    async def revoke(self, token: str) -> None:
        """Revoke a token (RFC 7009: the server answers 200 even for unknown tokens)."""
        await self._post("/oauth2/revoke", {"token": token, "client_id": self.client_id})

    # -- helpers ----------------------------------------------------------------------------------

    def _tokens(self, body: Any) -> OAuthTokens:
        try:
            access, refresh = str(body["access_token"]), str(body["refresh_token"])
            expires_in = float(body.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError):
            raise BadResponse(
                "oauth2/token: the answer lacks access_token or refresh_token", service=SERVICE
            ) from None
        register_secret(access)
        register_secret(refresh)
        return OAuthTokens(access, refresh, self._clock() + expires_in, body.get("scope"))

    async def _token_call(self, form: dict[str, str]) -> tuple[int, Any]:
        client = {"client_id": self.client_id, **({"client_secret": self._secret} if self._secret else {})}
        response = await self._send("/oauth2/token", {**form, **client})
        if response.status_code >= 500:
            raise ServiceUnavailable(f"oauth2/token: HTTP {response.status_code}", service=SERVICE)
        try:
            return response.status_code, response.json()
        except ValueError:
            raise BadResponse(
                f"oauth2/token: HTTP {response.status_code}, not JSON", service=SERVICE
            ) from None

    async def _post(self, path: str, form: dict[str, str]) -> Any:
        response = await self._send(path, form)
        if response.status_code == 401:
            raise AuthError(f"{path}: the client id was refused (invalid_client)", service=SERVICE)
        if response.status_code >= 400:
            raise BadResponse(
                f"{path}: HTTP {response.status_code}: {redact(response.text[:200])}", service=SERVICE
            )
        try:
            return response.json() if response.content else {}
        except ValueError:
            raise BadResponse(f"{path}: the answer is not JSON", service=SERVICE) from None

    async def _send(self, path: str, form: dict[str, str]) -> httpx.Response:
        try:
            return await self._http.post(
                self.base_url + path, data=form, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{path}: no answer ({type(exc).__name__})", service=SERVICE) from None


class OAuthTokenProvider:
    """Hands out a live access token, refreshing (and saving the rotated refresh token first) as needed."""

    def __init__(
        self, client: OAuthClient, store: TokenStore, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._store = store
        self._clock = clock
        self._lock = asyncio.Lock()
        self._current: OAuthTokens | None = None
        self._stale = False

    async def token(self) -> str:
        """A valid access token; refreshes when it is about to expire or was refused."""
        async with self._lock:  # one refresh at a time: a refresh token must never be spent twice
            tokens = self._store.load() if self._current is None else self._current
            if tokens is None:
                raise AuthError("Hardcover is not connected; " + CONNECT_HINT, service=SERVICE)
            if self._stale or tokens.expires_at - EXPIRY_MARGIN <= self._clock():
                fresh = await self._client.refresh(tokens.refresh_token)
                # Saved BEFORE use: if this process dies now, the store already holds the live token.
                self._store.save(fresh)
                tokens, self._stale = fresh, False
            self._current = tokens
            return tokens.access_token

    async def invalidate(self) -> None:
        """The access token was refused: the next :meth:`token` refreshes."""
        async with self._lock:
            self._stale = True

    async def disconnect(self) -> bool:
        """Revoke the refresh token (ending its chain) and forget the tokens; whether there were any."""
        async with self._lock:
            tokens = self._current or self._store.load()
            if tokens is None:
                return False
            try:
                await self._client.revoke(tokens.refresh_token)
            finally:
                self._store.clear()
                self._current = None
            return True


def new_pkce() -> tuple[str, str]:
    """A fresh PKCE pair (RFC 7636 §4.1-4.2): the verifier bookrelay keeps, the S256 challenge it sends."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
