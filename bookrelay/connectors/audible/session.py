"""The one place where bookrelay talks HTTP to Audible: the ``audible`` package's ``AsyncClient`` built
from stored auth data, pointed at a base URL when configured (the sandbox), retries (N2, the policy of
``connectors/http.py``), token refresh reported through ``on_auth_changed``, and ``audible.exceptions``
translated into ``bookrelay.errors``.

The ``audible`` package (with Pillow) is an optional dependency most processes never use: it is imported
by :func:`audible_module` and :func:`audible_exceptions` when a function needs it, never when this
module is imported.

Facts: ref Part C.1, C.2. The package's own token refresh opens its own ``httpx.AsyncClient`` on a
hard-coded Amazon host, which no transport or base URL reaches; so this session renews the access
token itself, with the request body the package sends, through the client's transport, before the
package would (and once more after a 401 in bearer mode).
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

from bookrelay.connectors.http import (
    BACKOFF_CAP,
    MAX_WAIT,
    Retry,
    RetryPolicy,
    retry_after,
    send_with_retries,
)
from bookrelay.errors import (
    AuthError,
    BadResponse,
    BookrelayError,
    ConfigError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
)
from bookrelay.http_defaults import TIMEOUT_SECONDS
from bookrelay.redact import redact, register_secret

if TYPE_CHECKING:
    import audible

log = logging.getLogger(__name__)

SERVICE = "audible"
DEFAULT_TIMEOUT = int(TIMEOUT_SECONDS)  # the package takes whole seconds
# Renew a little before expiry so the package never finds the token expired and refreshes on its own.
REFRESH_MARGIN = 120.0
_SECRET_KEYS = ("adp_token", "access_token", "refresh_token", "device_private_key", "activation_bytes")
_COOKIE_KEYS = ("website_cookies", "store_authentication_cookie")

AuthChangedHook = Callable[[dict[str, Any]], Awaitable[None] | None]


def audible_module() -> ModuleType:
    """The optional ``audible`` package, imported on the first call (it loads Pillow)."""
    import audible  # optional third-party package: only Audible's features load it

    return audible


def audible_exceptions() -> ModuleType:
    """``audible.exceptions``, looked up when an error is translated or caught."""
    import audible.exceptions  # optional third-party package: only Audible's features load it

    return audible.exceptions


@dataclass(frozen=True)
class Answer:
    """A successful JSON answer: the body (always an object) and the response headers."""

    data: dict[str, Any]
    headers: httpx.Headers


def auth_place(user: str) -> str:
    """The name bookrelay gives a user's Audible credentials in messages."""
    return f"audible auth for user {user}"


def register_auth_secrets(auth_data: Mapping[str, Any]) -> None:
    """Register every token, key and cookie value of ``auth_data`` with :mod:`bookrelay.redact`."""
    for key in _SECRET_KEYS:
        value = auth_data.get(key)
        if isinstance(value, str):
            register_secret(value)
    for key in _COOKIE_KEYS:
        cookies = auth_data.get(key)
        if isinstance(cookies, dict):
            for value in cookies.values():
                if isinstance(value, str):
                    register_secret(value)


def build_authenticator(auth_data: Mapping[str, Any], *, user: str) -> audible.Authenticator:
    """An ``audible.Authenticator`` from stored auth data (``Authenticator.to_dict()`` shape), or
    ConfigError naming the user's credentials when the data is unusable."""
    register_auth_secrets(auth_data)
    place = auth_place(user)
    try:
        # from_dict pops keys from the dict it is given: hand it a copy.
        auth = audible_module().Authenticator.from_dict(copy.deepcopy(dict(auth_data)))
    except Exception as exc:  # the package raises bare Exception for an unknown locale
        raise ConfigError(f"unusable auth data: {redact(str(exc))}", place=place) from None
    problem = auth_problem(auth)
    if problem:
        raise ConfigError(problem, place=place)
    return auth


def auth_problem(auth: audible.Authenticator) -> str | None:
    """Why an authenticator cannot make API requests, or None when it can (signing or bearer)."""
    if auth.locale is None:
        return "the auth data has no locale_code"
    signing = bool(auth.adp_token and auth.device_private_key)
    if signing:
        return None
    if not (auth.access_token or auth.refresh_token):
        return "needs adp_token and device_private_key, or access and refresh tokens"
    if auth.expires is None:
        return "bearer auth data without an expires timestamp"
    return None


def translate_error(exc: BaseException, *, user: str, label: str) -> BookrelayError:
    """The ``bookrelay.errors`` error for an ``audible.exceptions`` error raised while doing ``label``."""
    if isinstance(exc, BookrelayError):
        return exc
    errors = audible_exceptions()
    place = auth_place(user)
    if isinstance(exc, errors.Unauthorized | errors.AuthFlowError | errors.NoRefreshToken):
        code = f" (HTTP {exc.code})" if isinstance(exc, errors.StatusError) else ""
        return AuthError(
            f"{label}: {place} was rejected{code}; log in again with `bookrelay audible login`",
            service=SERVICE,
            user=user,
        )
    if isinstance(exc, errors.RatelimitError):
        return RateLimited(
            f"{label}: rate limited (429)", service=SERVICE, retry_after=retry_after(exc.response.headers)
        )
    if isinstance(exc, errors.StatusError):
        detail = redact(str(exc.error))[:200] if exc.error else exc.reason
        if exc.code >= 500:
            return ServiceUnavailable(f"{label}: HTTP {exc.code}: {detail}", service=SERVICE)
        if isinstance(exc, errors.NotFoundError):
            return NotFound(f"{label}: not found (404)", service=SERVICE)
        return BadResponse(f"{label}: unexpected HTTP {exc.code}: {detail}", service=SERVICE)
    if isinstance(exc, errors.NotResponding | errors.RequestError):
        return ServiceUnavailable(f"{label}: {redact(str(exc)) or 'no answer'}", service=SERVICE)
    if isinstance(exc, errors.FileEncryptionError):
        return ConfigError(redact(str(exc)), place=place)
    if isinstance(exc, errors.AudibleError):
        return BadResponse(f"{label}: {redact(str(exc))}", service=SERVICE)
    return BadResponse(f"{label}: {type(exc).__name__}: {redact(str(exc))}", service=SERVICE)


def _raw_response(response: httpx.Response) -> httpx.Response:
    return response


class _Refreshed(Exception):
    """Internal: the access token was renewed after a 401; send the request again."""


class AudibleSession:
    """Sends authenticated GETs to Audible through the package's ``AsyncClient``; answers or our errors."""

    def __init__(
        self,
        auth_data: Mapping[str, Any],
        *,
        user: str,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_auth_changed: AuthChangedHook | None = None,
        timeout: int = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = BACKOFF_CAP,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.user = user
        self._auth = build_authenticator(auth_data, user=user)
        # With a base URL (the sandbox) the API paths and the token endpoint both live under it;
        # the package passes absolute URLs through unchanged (BaseClient._prepare_api_path).
        self._api_root = base_url.rstrip("/") if base_url else None
        self._on_auth_changed = on_auth_changed
        self._timeout = timeout
        self._retry = RetryPolicy(
            max_retries, backoff_base, backoff_cap, max_wait, jitter=(rng or random.Random()).random
        )
        self._sleep = sleep
        self._refresh_lock = asyncio.Lock()
        extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
        self.client = audible_module().AsyncClient(
            auth=self._auth, timeout=timeout, response_callback=_raw_response, **extra
        )

    async def __aenter__(self) -> AudibleSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self.client.close()

    @property
    def mode(self) -> str:
        """``"signing"`` when requests are signed with the device key (preferred), else ``"bearer"``."""
        return "signing" if self._auth.adp_token and self._auth.device_private_key else "bearer"

    def auth_data(self) -> dict[str, Any]:
        """The current auth data (``Authenticator.to_dict()`` shape), to be stored encrypted."""
        return self._auth.to_dict()

    def token_url(self) -> str:
        """Where access tokens are renewed: under the base URL, else Amazon's ``/auth/token``."""
        if self._api_root:
            return f"{self._api_root}/auth/token"
        assert self._auth.locale is not None  # checked in build_authenticator
        host = "audible" if self._auth.with_username else "amazon"
        return f"https://api.{host}.{self._auth.locale.domain}/auth/token"

    # -- requests ---------------------------------------------------------------------------------

    async def get(self, path: str, params: Mapping[str, str | int], *, label: str) -> Answer:
        """GET ``path`` (like ``1.0/library``) with retries on 429/5xx/network (N2); our errors on failure."""
        refreshed = False

        async def attempt() -> Answer:
            nonlocal refreshed
            try:
                return await self._attempt(path, params, label, may_refresh=not refreshed)
            except _Refreshed:
                refreshed = True
                return await attempt()

        return await send_with_retries(attempt, self._retry, sleep=self._sleep, what=f"audible {label}")

    @property
    def max_retries(self) -> int:
        """How often a failed request is sent again (N2)."""
        return self._retry.max_retries

    @property
    def max_wait(self) -> float:
        """The longest ``Retry-After`` slept through; a longer one is reported instead."""
        return self._retry.max_wait

    async def _attempt(
        self, path: str, params: Mapping[str, str | int], label: str, *, may_refresh: bool
    ) -> Answer:
        errors = audible_exceptions()
        try:
            if self._needs_refresh():
                await self.refresh()
            url = f"{self._api_root}/{path.lstrip('/')}" if self._api_root else path
            response: httpx.Response = await self.client.get(url, params=dict(params))
        except ServiceUnavailable as exc:
            raise Retry(exc) from None
        except RateLimited as exc:
            raise Retry(exc, delay=exc.retry_after) from None
        except (errors.AudibleError, httpx.HTTPError) as exc:
            error = translate_error(exc, user=self.user, label=label)
            if isinstance(error, ServiceUnavailable):
                raise Retry(error) from None
            raise error from None
        if response.is_success:
            return Answer(_json_object(response, label), response.headers)
        try:
            audible_module().client.raise_for_status(response)
        except errors.StatusError as exc:
            if (
                isinstance(exc, errors.Unauthorized)
                and exc.code == 401
                and may_refresh
                and self._can_refresh()
            ):
                try:
                    await self.refresh()
                except ServiceUnavailable as unavailable:
                    raise Retry(unavailable) from None
                except RateLimited as limited:
                    raise Retry(limited, delay=limited.retry_after) from None
                raise _Refreshed from None
            error = translate_error(exc, user=self.user, label=label)
            if isinstance(error, RateLimited):
                raise Retry(error, delay=error.retry_after) from None
            if isinstance(error, ServiceUnavailable):
                raise Retry(error) from None
            raise error from None
        raise BadResponse(f"{label}: unexpected HTTP {response.status_code}", service=SERVICE)

    # -- token refresh ----------------------------------------------------------------------------

    def _can_refresh(self) -> bool:
        return self.mode == "bearer" and bool(self._auth.refresh_token)

    def _needs_refresh(self) -> bool:
        if not self._can_refresh():
            return False
        expires = self._auth.expires
        # Compared with the wall clock, as the package's own ``access_token_expired`` does.
        return not self._auth.access_token or expires is None or expires - _now() < REFRESH_MARGIN

    async def refresh(self) -> None:
        """Renew the access token with the refresh token and hand the new auth data to ``on_auth_changed``."""
        place = auth_place(self.user)
        if not self._auth.refresh_token:
            raise AuthError(f"{place} has no refresh token; log in again", service=SERVICE, user=self.user)
        async with self._refresh_lock:
            body = {
                "app_name": "Audible",
                # the app version the package's own refresh sends
                "app_version": audible_module()._device.APP_VERSION,
                "source_token": self._auth.refresh_token,
                "requested_token_type": "access_token",
                "source_token_type": "refresh_token",
            }
            try:
                # A bare httpx.Auth: the token request itself must not go through the package's auth flow.
                response = await self.client.session.post(
                    self.token_url(), data=body, auth=httpx.Auth(), timeout=self._timeout
                )
            except httpx.HTTPError as exc:
                raise ServiceUnavailable(
                    f"token refresh: no answer ({type(exc).__name__})", service=SERVICE
                ) from None
            if response.status_code >= 500:
                raise ServiceUnavailable(f"token refresh: HTTP {response.status_code}", service=SERVICE)
            if response.status_code == 429:
                raise RateLimited(
                    "token refresh: rate limited (429)",
                    service=SERVICE,
                    retry_after=retry_after(response.headers),
                )
            if not response.is_success:
                raise AuthError(
                    f"token refresh: {place} was rejected (HTTP {response.status_code}); log in again",
                    service=SERVICE,
                    user=self.user,
                )
            data = _json_object(response, "token refresh")
            access, expires_in = data.get("access_token"), data.get("expires_in")
            if not isinstance(access, str) or isinstance(expires_in, bool) or not isinstance(expires_in, int):
                raise BadResponse("token refresh: no access_token/expires_in in the answer", service=SERVICE)
            register_secret(access)
            try:
                self._auth.access_token = access
            except (TypeError, ValueError):
                raise BadResponse(
                    "token refresh: the access token has an unknown form", service=SERVICE
                ) from None
            self._auth.expires = _now() + expires_in
            log.info("audible: renewed the access token of user %s", self.user)
        await self._notify()

    async def _notify(self) -> None:
        if self._on_auth_changed is None:
            return
        result = self._on_auth_changed(self._auth.to_dict())
        if inspect.isawaitable(result):
            await result


def _now() -> float:
    return time.time()


def _json_object(response: httpx.Response, label: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise BadResponse(f"{label}: the answer is not JSON", service=SERVICE) from None
    if not isinstance(data, dict):
        raise BadResponse(f"{label}: expected a JSON object, got {type(data).__name__}", service=SERVICE)
    return data
