"""The one place where bookrelay talks HTTP to Hardcover: auth, timeouts, pacing (N1), retries (N2)
and the mapping of every failure into ``bookrelay.errors`` (N3, N4).

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
from typing import Any, NoReturn

import httpx

from bookrelay import __version__
from bookrelay.connectors.hardcover.answers import (
    error_text,
    graphql_codes,
    json_or_none,
    result_error,
    retry_after,
)
from bookrelay.connectors.hardcover.auth import StaticToken, TokenProvider
from bookrelay.connectors.hardcover.budget import RateLimitInfo, TokenBucket, parse_rate_limit_headers
from bookrelay.connectors.hardcover.documents import OperationShape, analyse_document
from bookrelay.connectors.hardcover.gate import BudgetGate, token_key
from bookrelay.domain.models import Budget
from bookrelay.errors import (
    AuthError,
    BadResponse,
    BookrelayError,
    ConfigError,
    QuotaExhausted,
    RateLimited,
    ServiceUnavailable,
)
from bookrelay.redact import redact, register_secret

log = logging.getLogger(__name__)

SERVICE = "hardcover"
DEFAULT_URL = "https://api.hardcover.app/v1/graphql"
DEFAULT_USER_AGENT = f"bookrelay/{__version__} (+https://github.com/bookrelay)"
# Hardcover stops queries after 30 s (ref §3); wait a little longer so its 408 reaches us first.
DEFAULT_TIMEOUT = httpx.Timeout(35.0, connect=10.0)

# The scope each root field needs (ref §2), to name it when the server hides a field from the token.
SCOPE_FOR_FIELD = {
    "me": "read:me:content",
    "user_books": "read:library",
    "user_book_reads": "read:library",
    "books": "read:catalog",
    "editions": "read:catalog",
    "contributions": "read:catalog",  # the depth-3 forms read a book's parts as top-level fields
    "book_series": "read:catalog",
    "search": "read:catalog",
    "insert_user_book": "write:library",
    "update_user_book": "write:library",
    "insert_user_book_read": "write:library",
    "update_user_book_read": "write:library",
    "lists": "read:lists",
    "list_books": "read:lists",
    "insert_list": "write:lists",
    "insert_list_book": "write:lists",
    "delete_list_book": "write:lists",
    "edition_owned": "write:library",
}
_FIELD_NOT_FOUND = re.compile(r"field ['\"](?P<field>\w+)['\"] not found")
_BEARER = re.compile(r"^bearer(?:\s+|$)", re.IGNORECASE)


class AmbiguousWrite(ServiceUnavailable):
    """A write failed in a way that does not tell whether it happened: re-read before retrying (N2, P11)."""

    outcome_unknown = True


class DepthLimited(BadResponse):
    """The server refused the document for its query depth: a validation error, so nothing of it ran."""


# Hasura's exact words for a depth refusal are not published; any error naming depth and a limit is one.
_DEPTH_REFUSAL = re.compile(
    r"\bdepth\b.*\b(limit|exceed\w*|maximum|max)\b|\b(limit|exceed\w*|maximum|max)\b.*\bdepth\b", re.I
)


class UnreadableWriteAnswer(BadResponse):
    """A write was answered with something unreadable; it may have happened, so re-read first (P11)."""

    outcome_unknown = True


def outcome_unknown(error: BaseException) -> bool:
    """True when ``error`` leaves it open whether a write reached Hardcover."""
    return bool(getattr(error, "outcome_unknown", False))


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


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried; ``error`` is raised if retries run out."""

    def __init__(self, error: BookrelayError, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


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
        user_agent: str = DEFAULT_USER_AGENT,
        rng: random.Random | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
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
        self.max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._timeout = timeout
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
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
        attempt = 0
        renewed = False
        while True:
            try:
                data = await self._attempt(shape, payload, is_write)
            except AuthError as exc:
                # A renewable token (OAuth) refused once: renew it and try again, once (a 401 is
                # answered before anything happens, so a write is safe to resend).
                if renewed or not await self._renew(exc):
                    raise
                renewed = True
                continue
            except _Retry as retry:
                if attempt >= self.max_retries:
                    raise retry.error from None
                delay = retry.delay if retry.delay is not None else self._backoff(attempt)
                log.info("hardcover %s: %s; retry %d in %.1fs", shape.label, retry.error, attempt + 1, delay)
                attempt += 1
                await self._sleep(delay)
                continue
            if not partial:
                _raise_on_result_errors(shape, data)
            return data

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
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the server: safe to retry reads and writes alike.
            raise _Retry(self._unavailable(shape, f"could not connect ({type(exc).__name__})")) from None
        except httpx.TransportError as exc:
            self._spent(shape.units)
            message = f"no answer ({type(exc).__name__}: {redact(str(exc)) or 'connection lost'})"
            if is_write:
                raise AmbiguousWrite(
                    f"{shape.label}: {message}; the write may have happened, re-read before retrying",
                    service=SERVICE,
                ) from None
            raise _Retry(self._unavailable(shape, message)) from None
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
            rejected = self._auth_error(
                shape, body, "the token was rejected", lead="missing or wrong token: "
            )
            rejected.status = 401  # type: ignore[attr-defined]  # lets execute() renew an OAuth token
            raise rejected
        if status == 403:
            self._raise_forbidden(shape, body)
        if status == 429:
            if info.daily.remaining == 0:
                raise QuotaExhausted(
                    f"{shape.label}: the daily budget of {self.token_name} is spent; continue next run",
                    service=SERVICE,
                    resets_in=info.daily.reset_in,
                )
            wait = retry_after(response)
            error = RateLimited(f"{shape.label}: rate limited (429)", service=SERVICE, retry_after=wait)
            raise _Retry(error, delay=wait)
        if status == 503:
            # Hardcover documents 503 as safe to retry (ref §3), for writes too.
            raise _Retry(self._unavailable(shape, "service unavailable (503)"))
        if status == 408 or status >= 500:
            message = f"HTTP {status}{error_text(body)}"
            if is_write:
                raise AmbiguousWrite(
                    f"{shape.label}: {message}; the write may have happened, re-read before retrying",
                    service=SERVICE,
                )
            raise _Retry(self._unavailable(shape, message))
        if status in (404, 405):
            # The doctor's words: a sync stopping on "unexpected HTTP 404" left people guessing.
            raise BadResponse(
                f"{shape.label}: wrong URL or path: {self.url} answered HTTP {status}, so it is not "
                f"Hardcover's GraphQL endpoint (set global.hardcover.url or $HARDCOVER_URL to {DEFAULT_URL})",
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
            kind = "a JSON object" if body is not None else f"JSON ({_content_kind(response)})"
            error = unreadable(f"{shape.label}: the answer is not {kind}", service=SERVICE)
            if is_write:
                raise error
            raise _Retry(error)
        errors = body.get("errors")
        if errors:
            self._raise_graphql_errors(shape, errors)
        data = body.get("data")
        if not isinstance(data, dict):
            raise unreadable(f"{shape.label}: the answer has no 'data' object", service=SERVICE)
        missing = [key for key in shape.fields if key not in data]
        if missing:
            raise unreadable(f"{shape.label}: the answer lacks {', '.join(missing)}", service=SERVICE)
        return data

    # -- errors -------------------------------------------------------------------------------

    def _auth_error(
        self, shape: OperationShape, body: Any, fallback: str, scope: str | None = None, lead: str = ""
    ) -> AuthError:
        return AuthError(
            f"{shape.label}: {lead}{error_text(body, lead='') or fallback}",
            service=SERVICE,
            token_name=self.token_name,
            scope=scope,
        )

    def _raise_forbidden(self, shape: OperationShape, body: Any) -> NoReturn:
        code = body.get("error") if isinstance(body, dict) else None
        codes = graphql_codes(body)
        if code == "insufficient_scope":
            scope = body.get("scope") if isinstance(body.get("scope"), str) else None
            raise self._auth_error(shape, body, "insufficient scope", scope=scope or _scope_for(shape))
        if code == "top_level_limit_exceeded" or "top_level_limit_exceeded" in codes:
            raise BadResponse(
                f"{shape.label}: Hardcover refused {shape.units} top-level fields (a bookrelay bug)"
                f"{error_text(body)}",
                service=SERVICE,
            )
        if code == "unsupported_operation" or "unsupported_operation" in codes:
            raise BadResponse(f"{shape.label}: unsupported operation{error_text(body)}", service=SERVICE)
        raise self._auth_error(shape, body, "access forbidden (403)", scope=_scope_for(shape))

    def _raise_graphql_errors(self, shape: OperationShape, errors: Any) -> NoReturn:
        if not isinstance(errors, list):
            raise BadResponse(f"{shape.label}: malformed 'errors' in the answer", service=SERVICE)
        messages = [
            redact(str(e.get("message", e))) if isinstance(e, dict) else redact(str(e)) for e in errors
        ]
        for message in messages:
            lowered = message.lower()
            found = _FIELD_NOT_FOUND.search(message)
            if "insufficient scope" in lowered or "insufficient_scope" in lowered or found:
                field = found.group("field") if found else None
                scope = SCOPE_FOR_FIELD.get(field) if field else _scope_for(shape)
                raise AuthError(
                    f"{shape.label}: {message}", service=SERVICE, token_name=self.token_name, scope=scope
                )
        if any(_DEPTH_REFUSAL.search(message) for message in messages):
            raise DepthLimited(f"{shape.label}: {'; '.join(messages)}", service=SERVICE)
        raise BadResponse(f"{shape.label}: GraphQL errors: {'; '.join(messages)}", service=SERVICE)

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

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * (2**attempt))
        # Jitter spreads the retries of several users' runs that failed together.
        return ceiling * (0.5 + 0.5 * self._rng.random())


def _raise_on_result_errors(shape: OperationShape, data: Mapping[str, Any]) -> None:
    """N3: a top-level result with a non-null ``error``/``errors`` is a failure, never a success."""
    for key in shape.fields:
        problem = result_error(data.get(key))
        if problem is not None:
            raise BadResponse(f"{shape.label}: {key} failed: {problem}", service=SERVICE)


def _content_kind(response: httpx.Response) -> str:
    """What came instead of JSON, in a few words: the content type, and HTML said as such."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    if "html" in content_type or response.content.lstrip()[:1] == b"<":
        return f"an HTML page, {content_type}"
    return content_type


def _scope_for(shape: OperationShape) -> str | None:
    scopes = sorted({SCOPE_FOR_FIELD[name] for name in shape.field_names if name in SCOPE_FOR_FIELD})
    return " ".join(scopes) or None
