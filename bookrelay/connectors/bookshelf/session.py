"""HTTP policy for the JSON REST services (Bookshelf, rreading-glasses): timeouts, retries (N2) and the
translation of every failure into ``bookrelay.errors``. :class:`RestSession` is shared;
:class:`BookshelfSession` adds Bookshelf's API key (ref/bookshelf-rreading-glasses-audible.md A.1, A.6).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bookrelay import __version__
from bookrelay.errors import (
    AuthError,
    BadResponse,
    BookrelayError,
    ConfigError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
)
from bookrelay.redact import redact, register_secret

log = logging.getLogger(__name__)

USER_AGENT = f"bookrelay/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Statuses after which a write surely did not happen, so it may be sent again (N2).
_WRITE_RETRY = {429, 503}
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


class Rejected(BadResponse):
    """The service refused the request (400/409/422); ``details`` holds its validation messages."""

    def __init__(self, message: str, *, service: str, status: int, details: tuple[str, ...] = ()) -> None:
        super().__init__(message, service=service)
        self.status = status
        self.details = details


class ServerFailed(ServiceUnavailable):
    """The service kept answering 5xx (or failed inside, 500 on a write); ``status`` is the last one."""

    def __init__(self, message: str, *, service: str, status: int | None) -> None:
        super().__init__(message, service=service)
        self.status = status


class _Retry(Exception):
    def __init__(self, error: BookrelayError, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


def _details(body: Any) -> tuple[str, ...]:
    if isinstance(body, list):
        return tuple(str(x.get("errorMessage", x)) if isinstance(x, dict) else str(x) for x in body)
    if isinstance(body, dict):
        return tuple(str(body[k]) for k in ("message", "description") if body.get(k))
    return (str(body)[:200],) if body else ()


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


class RestSession:
    """Sends JSON requests to one service under ``base_url`` and returns parsed JSON or raises our errors."""

    service = "rest"
    token_name: str | None = None
    url_setting: str | None = None  # where the address is set, named when it looks wrong

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        rng: random.Random | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{base_url!r} is not an http(s) URL", place=f"{self.service} url")
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self._sleep = sleep
        self.max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()
        self._timeout = timeout
        self.requests_sent = 0

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return its JSON, retrying 429, 5xx, timeouts and connection errors (N2)."""
        return await self.request("GET", path, params=params)

    async def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """Send one request (writes retried only when they surely did not happen) and return its JSON."""
        write = method.upper() != "GET"
        attempt = 0
        while True:
            try:
                return await self._once(method, path, params=params, json=json, write=write)
            except _Retry as retry:
                attempt += 1
                if attempt > self.max_retries:
                    raise retry.error from None
                delay = retry.delay if retry.delay is not None else self._backoff(attempt)
                log.info(
                    "%s %s %s: %s; retry %d in %.1fs", self.service, method, path, retry.error, attempt, delay
                )
                await self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)  # jitter spreads retries of parallel runs

    async def _once(self, method: str, path: str, *, params: Any, json: Any, write: bool) -> Any:
        place = f"{method} {path}"
        self.requests_sent += 1
        try:
            response = await self._http.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers=self._headers,
                timeout=self._timeout,
                follow_redirects=True,
            )
        except _CONNECT_ERRORS as exc:
            raise _Retry(
                ServerFailed(
                    f"{place}: cannot connect ({type(exc).__name__})", service=self.service, status=None
                )
            ) from None
        except httpx.TimeoutException as exc:
            error = ServerFailed(
                f"{place}: timed out ({type(exc).__name__})", service=self.service, status=None
            )
            if write:
                raise error from None  # it may have happened: the caller re-reads first
            raise _Retry(error) from None
        except httpx.HTTPError as exc:
            error = ServerFailed(f"{place}: {redact(str(exc))}", service=self.service, status=None)
            if write:
                raise error from None
            raise _Retry(error) from None
        return self._answer(response, place, write)

    def _answer(self, response: httpx.Response, place: str, write: bool) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise BadResponse(
                    f"{place}: the answer is not JSON (HTTP {status})", service=self.service
                ) from None
        is_json = True
        try:
            body: Any = response.json() if response.content else None
        except ValueError:
            body, is_json = response.text[:200], False
        details = tuple(redact(d) for d in _details(body))
        said = f": {'; '.join(details)}" if details else ""
        if status in (401, 403):
            raise AuthError(
                f"{place}: missing or wrong API key (HTTP {status})",
                service=self.service,
                token_name=self.token_name,
            )
        if status == 404 and not is_json and self.url_setting:
            # The API answers an unknown id in JSON; a page or plain text is another server or path,
            # which a bare "not found" would hide (the doctor's words instead).
            raise BadResponse(
                f"{place}: wrong URL or path: {self.base_url}{place.split(' ', 1)[-1]} answered HTTP 404 "
                f"and no JSON, so it is not {self.service}'s API (check {self.url_setting})",
                service=self.service,
            )
        if status == 404:
            raise NotFound(f"{place}: not found{said}", service=self.service)
        if status == 429:
            error: BookrelayError = RateLimited(
                f"{place}: rate limited{said}", service=self.service, retry_after=_retry_after(response)
            )
            raise _Retry(error, _retry_after(response))
        if status >= 500:
            error = ServerFailed(f"{place}: HTTP {status}{said}", service=self.service, status=status)
            if not write or status in _WRITE_RETRY:
                raise _Retry(error, _retry_after(response))
            raise error
        raise Rejected(f"{place}: HTTP {status}{said}", service=self.service, status=status, details=details)


class BookshelfSession(RestSession):
    """A :class:`RestSession` for Bookshelf's ``/api/v1``, authenticated by ``X-Api-Key``."""

    service = "bookshelf"
    url_setting = "global.bookshelf.url or $BOOKSHELF_URL"

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: str,
        *,
        url: str = "http://bookshelf:8787",
        token_name: str = "BOOKSHELF_API_KEY",  # noqa: S107 - a setting name, not a secret
        **kwargs: Any,
    ) -> None:
        key = (api_key or "").strip()
        if not key:
            raise ConfigError("the Bookshelf API key is empty", place=token_name)
        register_secret(key)
        self.token_name = token_name
        super().__init__(http, url.rstrip("/") + "/api/v1", headers={"X-Api-Key": key}, **kwargs)
