"""The HTTP session for the plain JSON REST services (Bookshelf, rreading-glasses): a base URL, the
policy of ``connectors/http.py`` (time-outs, User-Agent, retries N2) and the reading of REST answers into
``bookrelay.errors`` (ref/bookshelf-rreading-glasses-audible.md A.6, B.4). Each service's own session
(auth, its address setting) is a small subclass in its own package.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bookrelay.connectors.http import (
    BACKOFF_CAP,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Retry,
    RetryPolicy,
    describe_transport,
    may_retry_status,
    may_retry_transport,
    retry_after,
    send_with_retries,
)
from bookrelay.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
)
from bookrelay.redact import redact


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


def _details(body: Any) -> tuple[str, ...]:
    if isinstance(body, list):
        return tuple(str(x.get("errorMessage", x)) if isinstance(x, dict) else str(x) for x in body)
    if isinstance(body, dict):
        return tuple(str(body[k]) for k in ("message", "description") if body.get(k))
    return (str(body)[:200],) if body else ()


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
        backoff_cap: float = BACKOFF_CAP,
        rng: random.Random | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{base_url!r} is not an http(s) URL", place=f"{self.service} url")
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self._sleep = sleep
        self._retry = RetryPolicy(
            max_retries, backoff_base, backoff_cap, jitter=(rng or random.Random()).random
        )
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
        return await send_with_retries(
            lambda: self._once(method, path, params=params, json=json, write=write),
            self._retry,
            sleep=self._sleep,
            what=f"{self.service} {method} {path}",
        )

    @property
    def max_retries(self) -> int:
        """How often a failed request is sent again (N2)."""
        return self._retry.max_retries

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
        except httpx.HTTPError as exc:
            error = ServerFailed(f"{place}: {describe_transport(exc)}", service=self.service, status=None)
            if not may_retry_transport(exc, write=write):
                raise error from None  # it may have happened: the caller re-reads first
            raise Retry(error) from None
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
            wait = retry_after(response.headers)
            raise Retry(
                RateLimited(f"{place}: rate limited{said}", service=self.service, retry_after=wait), wait
            )
        if status >= 500 or status == 408:
            error = ServerFailed(f"{place}: HTTP {status}{said}", service=self.service, status=status)
            if may_retry_status(status, write=write):
                raise Retry(error, retry_after(response.headers))
            raise error
        raise Rejected(f"{place}: HTTP {status}{said}", service=self.service, status=status, details=details)
