"""The one place where bookrelay talks HTTP to Hardcover: what is Hardcover's own (the token, pacing and
the unit budget of N1, the reading of its answers, N3, N4, with ``failures.py``) over the policy every
connector shares (``connectors/http.py``: time-outs, User-Agent, retries and the N2 rule for writes).

Facts: ref/hardcover.md §2 (auth), §3 (limits and headers), §8 (pitfalls); https://docs.hardcover.app/api/getting-started/
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bookrelay.connectors.hardcover.answers import error_text, json_or_none
from bookrelay.connectors.hardcover.auth import StaticToken, TokenProvider
from bookrelay.connectors.hardcover.budget import TokenBucket
from bookrelay.connectors.hardcover.documents import OperationShape, analyse_document
from bookrelay.connectors.hardcover.failures import (
    SCOPE_FOR_FIELD,
    SERVICE,
    AmbiguousWrite,
    DepthLimited,
    UnreadableWriteAnswer,
    ambiguous_write,
    auth_error,
    content_kind,
    outcome_unknown,
    raise_forbidden,
    raise_graphql_errors,
    raise_on_result_errors,
)
from bookrelay.connectors.hardcover.gate import BudgetGate, token_key
from bookrelay.connectors.http import (
    BACKOFF_CAP,
    USER_AGENT,
    RateLimitInfo,
    Retry,
    RetryPolicy,
    describe_transport,
    may_retry_status,
    parse_rate_limit_headers,
    retry_after,
    send_with_retries,
    surely_not_sent,
    transport_error,
)
from bookrelay.domain.models import Budget
from bookrelay.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    QuotaExhausted,
    RateLimited,
    ServiceUnavailable,
)
from bookrelay.http_defaults import CONNECT_TIMEOUT_SECONDS, HARDCOVER_TIMEOUT_SECONDS, HARDCOVER_URL
from bookrelay.redact import register_secret

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "SCOPE_FOR_FIELD",
    "AmbiguousWrite",
    "DepthLimited",
    "HardcoverSession",
    "UnreadableWriteAnswer",
    "normalise_token",
    "outcome_unknown",
]

DEFAULT_URL = HARDCOVER_URL
DEFAULT_TIMEOUT = httpx.Timeout(HARDCOVER_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
_BEARER = re.compile(r"^bearer(?:\s+|$)", re.IGNORECASE)


def normalise_token(raw: str, token_name: str = "HARDCOVER_TOKEN") -> str:  # noqa: S107 (a name)
    """Return the bare token: whitespace and any number of leading ``Bearer`` prefixes removed (ref §2)."""
    token = raw.strip() if raw else ""
    # "Bearer Bearer eyJ…" was seen in the wild (ref §8): strip the prefix as often as it appears.
    while _BEARER.match(token):
        token = _BEARER.sub("", token, count=1).strip()
    token = "".join(token.split())  # stray newlines pasted into the middle
    if not token:
        raise ConfigError("the Hardcover token is empty", place=token_name)
    return token


class HardcoverSession:
    """Sends GraphQL documents to Hardcover within its budget and returns ``data`` or raises our errors."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str | TokenProvider,
        *,
        url: str = DEFAULT_URL,
        per_minute: int = 60,
        burst: int = 10,
        daily: int = 5000,
        max_top_level: int = 5,
        token_name: str = "HARDCOVER_TOKEN",  # noqa: S107 (the variable's name, not a secret)
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        max_retries: int = 4,
        user_agent: str = USER_AGENT,
        rng: random.Random | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        backoff_base: float = 1.0,
        backoff_cap: float = BACKOFF_CAP,
        budget_gate: BudgetGate | None = None,
    ) -> None:
        if isinstance(token, str):
            register_secret(token)
            # A plain token is a personal access token: normalised once, never renewed.
            self._provider: TokenProvider = StaticToken(normalise_token(token, token_name))
        else:
            self._provider = token
        self._http = http
        self.url = url
        self.token_name = token_name
        self.max_top_level = max_top_level
        self._clock = clock
        self._sleep = sleep
        self._timeout = timeout
        self._retry = RetryPolicy(
            max_retries, backoff_base, backoff_cap, jitter=(rng or random.Random()).random
        )
        self._bucket = TokenBucket(burst, per_minute / 60.0, clock)
        # A shared gate (several worker processes, issue 9) replaces the local bucket's pacing.
        self._gate = budget_gate
        self._daily_limit = daily
        self._daily_spent_locally = 0
        self._daily_reset_at: float | None = None
        self.budget = Budget(daily_limit=daily)
        self._headers = {
            "User-Agent": user_agent,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    # -- public -------------------------------------------------------------------------------

    async def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        write: bool = False,
        partial: bool = False,
    ) -> dict[str, Any]:
        """Send one document and return its ``data``; raise a ``bookrelay.errors`` error on any failure.

        ``write`` (implied by a mutation) selects the cautious retry policy of N2. With ``partial`` a
        top-level result carrying its own ``error`` is returned for the caller to judge (packed writes);
        without it such a result raises ``BadResponse`` (N3).
        """
        shape = analyse_document(document)
        self._check_shape(shape)
        is_write = write or shape.kind == "mutation"
        payload = {"query": document, "variables": dict(variables or {})}
        renewed = False

        async def attempt() -> dict[str, Any]:
            nonlocal renewed
            try:
                return await self._attempt(shape, payload, is_write)
            except AuthError as exc:
                # A renewable token (OAuth) refused once: renew it and try again, once (a 401 is
                # answered before anything happens, so a write is safe to resend).
                if renewed or not await self._renew(exc):
                    raise
                renewed = True
                return await attempt()

        data = await send_with_retries(
            attempt, self._retry, sleep=self._sleep, what=f"hardcover {shape.label}"
        )
        if not partial:
            raise_on_result_errors(shape, data)
        return data

    @property
    def max_retries(self) -> int:
        """How often a failed request is sent again (N2)."""
        return self._retry.max_retries

    async def _renew(self, error: AuthError) -> bool:
        """Ask the provider for a new token after a 401; True when it gave a different one."""
        if getattr(error, "status", None) != 401:
            return False
        before = await self._provider.token()
        await self._provider.invalidate()
        return await self._provider.token() != before

    # -- one attempt --------------------------------------------------------------------------

    async def _attempt(
        self, shape: OperationShape, payload: dict[str, Any], is_write: bool
    ) -> dict[str, Any]:
        self._check_daily(shape.units)
        if self._gate is None:
            wait = self._bucket.reserve(shape.units)
        else:
            wait = await self._gate.reserve(token_key(await self._provider.token()), shape.units)
        if wait > 0:
            await self._sleep(wait)
        try:
            token = await self._provider.token()
            headers = {**self._headers, "Authorization": f"Bearer {token}"}
            response = await self._http.post(self.url, json=payload, headers=headers, timeout=self._timeout)
        except httpx.TransportError as exc:
            if not surely_not_sent(exc):
                self._spent(shape.units)  # the request may have gone out: its units count
                if is_write:
                    raise ambiguous_write(shape, describe_transport(exc)) from None
            raise Retry(transport_error(exc, shape.label, service=SERVICE)) from None
        self._spent(shape.units)
        info = parse_rate_limit_headers(response.headers)
        self._sync_budget(info)
        if self._gate is not None and (info.minute.remaining is not None or info.daily.remaining is not None):
            await self._gate.correct(
                token_key(token), minute_remaining=info.minute.remaining, daily_remaining=info.daily.remaining
            )
        return self._judge(shape, response, info, is_write)

    def _judge(
        self, shape: OperationShape, response: httpx.Response, info: RateLimitInfo, is_write: bool
    ) -> dict[str, Any]:
        status = response.status_code
        if 200 <= status < 300:
            return self._data_of(shape, response, is_write)
        body = json_or_none(response)
        if status == 401:
            rejected = auth_error(
                shape,
                body,
                "the token was rejected",
                token_name=self.token_name,
                lead="missing or wrong token: ",
            )
            rejected.status = 401  # type: ignore[attr-defined]  # lets execute() renew an OAuth token
            raise rejected
        if status == 403:
            raise_forbidden(shape, body, token_name=self.token_name)
        if status == 429:
            if info.daily.remaining == 0:
                raise QuotaExhausted(
                    f"{shape.label}: the daily budget of {self.token_name} is spent; continue next run",
                    service=SERVICE,
                    resets_in=info.daily.reset_in,
                )
            wait = retry_after(response.headers)
            error = RateLimited(f"{shape.label}: rate limited (429)", service=SERVICE, retry_after=wait)
            raise Retry(error, delay=wait)
        if status == 408 or status >= 500:
            # 503 is safe to resend, for writes too (Hardcover documents it so, ref §3; N2).
            message = "service unavailable (503)" if status == 503 else f"HTTP {status}{error_text(body)}"
            if not may_retry_status(status, write=is_write):
                raise ambiguous_write(shape, message)
            raise Retry(self._unavailable(shape, message))
        if status in (404, 405):
            # The doctor's words: a sync stopping on "unexpected HTTP 404" left people guessing.
            raise BadResponse(
                f"{shape.label}: wrong URL or path: {self.url} answered HTTP {status}, so it is not "
                "Hardcover's GraphQL endpoint "
                f"(set global.hardcover.url or $HARDCOVER_URL to {HARDCOVER_URL})",
                service=SERVICE,
            )
        raise BadResponse(f"{shape.label}: unexpected HTTP {status}{error_text(body)}", service=SERVICE)

    def _data_of(self, shape: OperationShape, response: httpx.Response, is_write: bool) -> dict[str, Any]:
        unreadable = UnreadableWriteAnswer if is_write else BadResponse
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            # A truncated body or a proxy's HTML page is a passing fault: a read is retried like a 5xx
            # (N2), a write may have happened and is ambiguous (re-read before any resend, P11).
            kind = "a JSON object" if body is not None else f"JSON ({content_kind(response)})"
            error = unreadable(f"{shape.label}: the answer is not {kind}", service=SERVICE)
            if is_write:
                raise error
            raise Retry(error)
        errors = body.get("errors")
        if errors:
            raise_graphql_errors(shape, errors, token_name=self.token_name)
        data = body.get("data")
        if not isinstance(data, dict):
            raise unreadable(f"{shape.label}: the answer has no 'data' object", service=SERVICE)
        missing = [key for key in shape.fields if key not in data]
        if missing:
            raise unreadable(f"{shape.label}: the answer lacks {', '.join(missing)}", service=SERVICE)
        return data

    def _unavailable(self, shape: OperationShape, message: str) -> ServiceUnavailable:
        return ServiceUnavailable(f"{shape.label}: {message}", service=SERVICE)

    # -- budget -------------------------------------------------------------------------------

    def _check_shape(self, shape: OperationShape) -> None:
        if shape.units > self.max_top_level:
            raise ValueError(
                f"{shape.label}: {shape.units} top-level fields, Hardcover allows {self.max_top_level} (N1)"
            )
        if shape.field_names.count("search") > 1:
            raise ValueError(f"{shape.label}: Hardcover allows one 'search' per request (N1)")

    def _check_daily(self, units: int) -> None:
        now = self._clock()
        if self._daily_reset_at is not None and now >= self._daily_reset_at:
            # A new day began on the server: forget yesterday's counts until the next answer says more.
            self._daily_reset_at = None
            self._daily_spent_locally = 0
            self.budget.daily_remaining = None
        remaining = self.budget.daily_remaining
        if remaining is None:
            limit = self.budget.daily_limit or self._daily_limit
            remaining = limit - self._daily_spent_locally
        if remaining < units:
            resets_in = None if self._daily_reset_at is None else max(0.0, self._daily_reset_at - now)
            raise QuotaExhausted(
                f"the daily budget of {self.token_name} is spent ({remaining} left, {units} needed); "
                "continue next run",
                service=SERVICE,
                resets_in=resets_in,
            )

    def _spent(self, units: int) -> None:
        self.budget.requests_sent += 1
        self.budget.units_spent += units
        self._daily_spent_locally += units
        if self.budget.daily_remaining is not None:
            self.budget.daily_remaining = max(0, self.budget.daily_remaining - units)

    def _sync_budget(self, info: RateLimitInfo) -> None:
        minute, daily = info.minute, info.daily
        if minute.quota and minute.window:
            self._bucket.reconfigure(minute.burst or self._bucket.capacity, minute.quota / minute.window)
        if minute.remaining is not None:
            self._bucket.cap(minute.remaining)
            self.budget.minute_remaining = minute.remaining
        if daily.quota is not None:
            self.budget.daily_limit = daily.quota
        if daily.remaining is not None:
            self.budget.daily_remaining = daily.remaining
        if daily.reset_in is not None:
            self._daily_reset_at = self._clock() + daily.reset_in
