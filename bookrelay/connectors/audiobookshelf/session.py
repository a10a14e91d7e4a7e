"""HTTP policy for Audiobookshelf: auth, timeouts, retries and error translation (ref/audiobookshelf.md §1).

Two ways in: an API key (2.26+, preferred; sent as a Bearer token) or a username and password
(``POST /login`` with ``x-return-tokens: true``; ``accessToken`` on 2.26+, the legacy ``user.token``
before). A 401 on a password session triggers one ``/auth/refresh`` and then one re-login; a 401 after
that is an :class:`AuthError` naming the credential. Retries, backoff and the N2 rule for writes are the
policy of ``connectors/http.py``. Every foreign exception leaves this module as one of ``bookrelay.errors``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bookrelay.connectors.http import (
    Retry,
    RetryPolicy,
    may_retry_status,
    may_retry_transport,
    new_client,
    retry_after,
    send_with_retries,
    transport_error,
)
from bookrelay.errors import AuthError, BadResponse, BookrelayError, NotFound, RateLimited, ServiceUnavailable
from bookrelay.http_defaults import TIMEOUT_SECONDS
from bookrelay.redact import redact, register_secret

SERVICE = "audiobookshelf"
log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def _snippet(response: httpx.Response) -> str:
    """A short, redacted piece of an error body (ABS sends text/plain or text/html messages)."""
    text = " ".join(response.text.split())[:200]
    return redact(text) or response.reason_phrase


def _is_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "text/html" in kind and response.text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


class AbsSession:
    """One authenticated connection to an ABS server; ``base_url`` is the server root (no ``/api``)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = TIMEOUT_SECONDS,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        key_name: str = "ABS_TOKEN",
    ) -> None:
        if not api_key and not (username and password):
            raise ValueError("AbsSession needs an api_key or a username and password")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._key_name = key_name  # where the key was set: its variable, or its key in the file
        self._username = username
        self._password = password
        for secret in (api_key, password):
            register_secret(secret)
        self._owns_client = client is None
        self._client = client or new_client(transport, timeout=timeout)
        self._timeout = timeout
        self._retry = RetryPolicy(max_retries=retries, backoff_base=backoff, jitter=jitter)
        self._sleep = sleep
        self._access_token: str | None = api_key
        self._refresh_token: str | None = None
        self.server_version: str | None = None

    @property
    def credential_name(self) -> str:
        """The name of the credential in use, for error messages (never its value)."""
        return self._key_name if self._api_key else f"ABS password for {self._username}"

    async def aclose(self) -> None:
        """Close the HTTP client when this session created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AbsSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- public calls ----------------------------------------------------------------------------

    async def get_json(
        self,
        path: str,
        *,
        call: str,
        params: dict[str, Any] | None = None,
        object_hook: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Any:
        """GET ``path`` (relative to the server root) and decode JSON; errors name ``call``.

        ``object_hook`` (as :func:`json.loads` takes it) sees every object as the parser completes it."""
        response = await self.request("GET", path, call=call, params=params)
        return self.decode(response, call, object_hook=object_hook)

    async def post_json(self, path: str, body: Any, *, call: str, write: bool = False) -> Any:
        """POST JSON and decode the JSON answer; ``write=False`` marks a read sent as POST (retried)."""
        response = await self.request("POST", path, call=call, json_body=body, write=write)
        return self.decode(response, call)

    async def patch(self, path: str, body: Any, *, call: str) -> httpx.Response:
        """PATCH JSON (a write); returns the response, whose body may be text ``OK`` rather than JSON."""
        return await self.request("PATCH", path, call=call, json_body=body, write=True)

    def decode(
        self,
        response: httpx.Response,
        call: str,
        *,
        object_hook: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Any:
        """The JSON body of ``response``, or BadResponse naming ``call`` (HTML pages get a URL hint)."""
        if _is_html(response):
            raise BadResponse(
                f"{call}: the server answered an HTML page, not JSON; is the base URL {self.base_url!r} "
                "the Audiobookshelf server root?",
                service=SERVICE,
            )
        try:
            return response.json(object_hook=object_hook)
        except json.JSONDecodeError as exc:
            raise BadResponse(f"{call}: malformed JSON in the answer ({exc.msg})", service=SERVICE) from None
        except UnicodeDecodeError:
            raise BadResponse(f"{call}: the answer is not UTF-8 text", service=SERVICE) from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        call: str,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        write: bool = False,
    ) -> httpx.Response:
        """Send one authenticated call with the retry and re-auth policy; returns a 2xx response."""
        if self._access_token is None:
            await self.login()
        reauthed = False
        while True:
            response = await self._send_with_retries(method, path, call, params, json_body, write)
            if response.status_code != 401:
                break
            if reauthed or self._api_key:
                raise AuthError(
                    f"{call}: missing or wrong credential: the server refused it (HTTP 401)",
                    service=SERVICE,
                    token_name=self.credential_name,
                )
            await self._reauthenticate()
            reauthed = True
        return self._check(response, call, path)

    # -- auth ------------------------------------------------------------------------------------

    async def login(self) -> None:
        """Log in with the username and password; keeps the access (or legacy) and refresh tokens."""
        response = await self._send_with_retries(
            "POST",
            "/login",
            "login",
            None,
            {"username": self._username, "password": self._password},
            write=False,
            headers={"x-return-tokens": "true"},
            auth=False,
        )
        if response.status_code == 401:
            raise AuthError(
                "login: wrong username or password", service=SERVICE, token_name=self.credential_name
            )
        body = self.decode(self._check(response, "login", "/login"), "login")
        self._take_tokens(body, "login")

    async def socket_token(self) -> str:
        """A token for the socket.io ``auth`` event (ref §12): the access (or legacy) token of a fresh
        login. An API key cannot sign in to the socket, so a key-only session raises AuthError."""
        if self._api_key or not (self._username and self._password):
            raise AuthError(
                "real-time events need a username and password; an API key cannot sign in to socket.io",
                service=SERVICE,
                token_name=self.credential_name,
            )
        await self.login()
        assert self._access_token is not None
        return self._access_token

    async def _reauthenticate(self) -> None:
        if self._refresh_token and await self._refresh():
            return
        await self.login()

    async def _refresh(self) -> bool:
        response = await self._send_with_retries(
            "POST",
            "/auth/refresh",
            "refresh",
            None,
            None,
            write=False,
            headers={"x-refresh-token": self._refresh_token or ""},
            auth=False,
        )
        if response.status_code in (401, 403, 404):
            # 404: a server older than 2.26 has no refresh route; fall back to a fresh login
            self._refresh_token = None
            return False
        self._take_tokens(
            self.decode(self._check(response, "refresh", "/auth/refresh"), "refresh"), "refresh"
        )
        return True

    def _take_tokens(self, body: Any, call: str) -> None:
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict):
            raise BadResponse(f"{call}: the answer has no 'user' object", service=SERVICE)
        # 2.26+ sends accessToken; older servers only the legacy, non-expiring user.token
        token = user.get("accessToken") or user.get("token")
        if not isinstance(token, str) or not token:
            raise BadResponse(
                f"{call}: the answer has neither user.accessToken nor user.token", service=SERVICE
            )
        refresh = user.get("refreshToken")
        self._access_token = token
        self._refresh_token = refresh if isinstance(refresh, str) and refresh else None
        register_secret(token)
        register_secret(self._refresh_token)
        settings = body.get("serverSettings")
        if isinstance(settings, dict) and isinstance(settings.get("version"), str):
            self.server_version = settings["version"]

    # -- transport -------------------------------------------------------------------------------

    async def _send_with_retries(
        self,
        method: str,
        path: str,
        call: str,
        params: dict[str, Any] | None,
        json_body: Any,
        write: bool,
        *,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        place = f"{call}: {method} {self.base_url}{path}"

        async def attempt() -> httpx.Response:
            all_headers = dict(headers or {})
            if auth and self._access_token:
                all_headers["Authorization"] = f"Bearer {self._access_token}"
            try:
                response = await self._client.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=json_body,
                    headers=all_headers,
                    timeout=self._timeout,
                )
            except httpx.TransportError as exc:
                error = transport_error(exc, place, service=SERVICE)
                # a write may have reached the server unless the connection never carried it (N2)
                if not may_retry_transport(exc, write=write):
                    raise error from None
                raise Retry(error) from None
            if may_retry_status(response.status_code, write=write):
                raise Retry(self._error_for(response, call, path), retry_after(response.headers))
            return response

        return await send_with_retries(attempt, self._retry, sleep=self._sleep, what=f"audiobookshelf {call}")

    def _check(self, response: httpx.Response, call: str, path: str) -> httpx.Response:
        if response.status_code < 300:
            return response
        raise self._error_for(response, call, path)

    def _error_for(self, response: httpx.Response, call: str, path: str) -> BookrelayError:
        """The error-tree form of a non-2xx answer to ``call``."""
        status = response.status_code
        if status == 403:
            return AuthError(
                f"{call}: forbidden (403): {_snippet(response)}",
                service=SERVICE,
                token_name=self.credential_name,
                scope="permission for this library or action",
            )
        if status == 404:
            if path == "/api/me" or path == "/login" or _is_html(response):
                return BadResponse(
                    f"{call}: {path} not found (404); is {self.base_url!r} an Audiobookshelf server?",
                    service=SERVICE,
                )
            return NotFound(f"{call}: {_snippet(response)}", service=SERVICE)
        if status == 429:
            return RateLimited(
                f"{call}: too many requests (429)",
                service=SERVICE,
                retry_after=retry_after(response.headers),
            )
        if status >= 500 or status == 408:
            return ServiceUnavailable(f"{call}: server error {status}: {_snippet(response)}", service=SERVICE)
        return BadResponse(f"{call}: HTTP {status}: {_snippet(response)}", service=SERVICE)
