"""The one HTTP policy of every connector; httpx keeps the transport, each session keeps what is its own
(auth, paging, Hardcover's unit budget).

- Time-outs and User-Agent: :data:`DEFAULT_TIMEOUT`, :data:`USER_AGENT`, :func:`new_client`.
- What is retried (N2): a read after 408, 429, 5xx and any transport failure; a write only when it surely
  did not happen: 429, 503, or a failure in :data:`NOT_SENT` (the connection never carried the request).
- ``Retry-After`` and the ``RateLimit`` headers are parsed here and nowhere else.
- Backoff with jitter, one formula and one cap: :meth:`RetryPolicy.backoff`; a ``Retry-After`` longer
  than :attr:`RetryPolicy.max_wait` is reported, not slept through.
- The loop: :func:`send_with_retries` repeats one attempt while it raises :class:`Retry`; foreign
  failures reach the error tree (``bookrelay.errors``) through :func:`transport_error`.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from bookrelay.errors import BookrelayError, ServiceUnavailable
from bookrelay.http_defaults import (
    CONNECT_TIMEOUT_SECONDS,
    PROBE_CONNECT_TIMEOUT_SECONDS,
    PROBE_TIMEOUT_SECONDS,
    TIMEOUT_SECONDS,
    USER_AGENT,
)
from bookrelay.redact import redact

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = [
    "BACKOFF_CAP",
    "DEFAULT_TIMEOUT",
    "MAX_WAIT",
    "NOT_SENT",
    "PROBE_TIMEOUT",
    "USER_AGENT",
    "LimitWindow",
    "RateLimitInfo",
    "Retry",
    "RetryPolicy",
    "describe_transport",
    "may_retry_status",
    "may_retry_transport",
    "new_client",
    "parse_rate_limit_headers",
    "retry_after",
    "send_with_retries",
    "surely_not_sent",
    "transport_error",
]

DEFAULT_TIMEOUT = httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
PROBE_TIMEOUT = httpx.Timeout(PROBE_TIMEOUT_SECONDS, connect=PROBE_CONNECT_TIMEOUT_SECONDS)

# N2: the failures after which a request surely did not reach the server. A refused or unreachable
# connection, a connection that timed out while opening, and a wait for a free pooled connection that
# timed out: in all three no byte of the request was sent, so a write may be sent again. Any other
# transport failure (a read time-out, a connection dropped mid-answer) may have followed a delivered
# request and leaves a write's outcome unknown.
NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# N2: the statuses after which a write surely did not happen: the server refused it before doing anything.
_WRITE_RETRY_STATUSES = frozenset({429, 503})

# One cap for every connector: past it, waiting longer helps nobody and only delays the report.
BACKOFF_CAP = 30.0
# A Retry-After longer than this is reported (the run stops, the next one continues), not slept through.
MAX_WAIT = 120.0


def new_client(
    transport: httpx.AsyncBaseTransport | None = None, *, follow_redirects: bool = False, **options: Any
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the policy's time-outs and User-Agent (``options`` may add to them)."""
    headers = {"User-Agent": USER_AGENT, **dict(options.pop("headers", None) or {})}
    options.setdefault("timeout", DEFAULT_TIMEOUT)
    return httpx.AsyncClient(
        transport=transport, headers=headers, follow_redirects=follow_redirects, **options
    )


def surely_not_sent(error: BaseException) -> bool:
    """True when ``error`` proves the request never reached the server (N2): a write may be resent."""
    return isinstance(error, NOT_SENT)


def may_retry_transport(error: BaseException, *, write: bool) -> bool:
    """Whether a transport failure is retried: always for a read, only when surely not sent for a write."""
    return not write or surely_not_sent(error)


def may_retry_status(status: int, *, write: bool) -> bool:
    """Whether an answer with ``status`` is retried (N2): reads on 408, 429 and 5xx, writes on 429 and 503."""
    if write:
        return status in _WRITE_RETRY_STATUSES
    return status in (408, 429) or status >= 500


def describe_transport(error: httpx.HTTPError) -> str:
    """A few words on an httpx failure (redacted): cannot connect, timed out, or no answer."""
    name = type(error).__name__
    if surely_not_sent(error):
        return f"cannot connect ({name})"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({name})"
    return f"no answer ({name}: {redact(str(error)) or 'connection lost'})"


def transport_error(error: httpx.HTTPError, place: str, *, service: str) -> ServiceUnavailable:
    """The error-tree form of an httpx failure during ``place``: the service could not be reached."""
    return ServiceUnavailable(f"{place}: {describe_transport(error)}", service=service)


# -- retry -------------------------------------------------------------------------------------------


class Retry(Exception):
    """One attempt failed in a way that may be retried; ``error`` is raised when retries run out, and
    ``delay`` (the server's ``Retry-After``) replaces the backoff when given."""

    def __init__(self, error: BookrelayError, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


@dataclass
class RetryPolicy:
    """How often and how long to wait between attempts; ``jitter`` returns a number in [0, 1)."""

    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = BACKOFF_CAP
    max_wait: float = MAX_WAIT
    jitter: Callable[[], float] = field(default_factory=lambda: random.Random().random)

    def backoff(self, attempt: int) -> float:
        """The wait before retry ``attempt + 1``: base * 2**attempt, capped, then 50 to 100 % of it.

        The jitter spreads the retries of several users' runs that failed together."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return ceiling * (0.5 + 0.5 * self.jitter())


async def send_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[Any]],
    what: str,
) -> T:
    """Run ``attempt`` until it returns, retrying while it raises :class:`Retry` and the policy allows;
    then raise the last attempt's error. Errors other than :class:`Retry` pass through at once."""
    retries = 0
    while True:
        try:
            return await attempt()
        except Retry as retry:
            delay = retry.delay if retry.delay is not None else policy.backoff(retries)
            if retries >= policy.max_retries or delay > policy.max_wait:
                raise retry.error from None
            retries += 1
            log.info("%s: %s; retry %d in %.1fs", what, retry.error, retries, delay)
            await sleep(delay)


# -- headers -----------------------------------------------------------------------------------------


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds; None when absent, not a finite number, or an HTTP date (the policy's
    own backoff applies then)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


# One structured-field list member: a quoted or bare name followed by ;key=value parameters
# (draft-ietf-httpapi-ratelimit-headers), e.g. `"Free";r=8;t=42` or `"daily";q=5000;w=86400`.
_MEMBER = re.compile(r'\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[A-Za-z*][\w.:*/-]*))(?P<params>(?:\s*;[^,]*)?)')
_PARAM = re.compile(r'\s*;\s*(?P<key>[a-z*][\w.*-]*)(?:=(?:"(?P<qv>[^"]*)"|(?P<v>[^;,\s]*)))?')
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class LimitWindow:
    """What one answer said about one window: remaining units, seconds to reset, policy quota/window/burst."""

    remaining: int | None = None
    reset_in: float | None = None
    quota: int | None = None
    window: float | None = None
    burst: int | None = None


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """The per-minute and daily windows as one answer's headers described them."""

    minute: LimitWindow = LimitWindow()
    daily: LimitWindow = LimitWindow()


def _parse_members(value: str) -> list[tuple[str, dict[str, str]]]:
    members: list[tuple[str, dict[str, str]]] = []
    pos = 0
    while pos < len(value):
        match = _MEMBER.match(value, pos)
        if match is None:
            break
        name = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        params = {
            p.group("key"): (p.group("qv") if p.group("qv") is not None else p.group("v") or "")
            for p in _PARAM.finditer(match.group("params") or "")
        }
        members.append((name, params))
        comma = value.find(",", match.end())
        if comma < 0:
            break
        pos = comma + 1
    return members


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _is_daily(name: str, params: Mapping[str, str]) -> bool:
    window = _int(params.get("w"))
    return name.lower() == "daily" or (window is not None and window >= DAY_SECONDS)


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitInfo:
    """Read ``RateLimit``/``RateLimit-Policy`` (and the legacy ``X-RateLimit-*``) into two windows.

    Unparseable or absent values are ``None``; a malformed header never raises, because pacing is
    advisory and the answer itself may still be good.
    """
    minute: dict[str, float | int | None] = {}
    daily: dict[str, float | int | None] = {}
    lower = {k.lower(): v for k, v in headers.items()}

    for name, params in _parse_members(lower.get("ratelimit-policy", "")):
        target = daily if _is_daily(name, params) else minute
        target["quota"] = _int(params.get("q"))
        target["window"] = _int(params.get("w"))
        target["burst"] = _int(params.get("burst"))
    for name, params in _parse_members(lower.get("ratelimit", "")):
        target = daily if _is_daily(name, params) else minute
        target["remaining"] = _int(params.get("r"))
        target["reset_in"] = _int(params.get("t"))

    # Legacy headers only fill what the structured ones left open.
    legacy = (
        (minute, "quota", "x-ratelimit-limit"),
        (minute, "remaining", "x-ratelimit-remaining"),
        (minute, "reset_in", "x-ratelimit-reset"),
        (daily, "quota", "x-ratelimit-daily-limit"),
        (daily, "remaining", "x-ratelimit-daily-remaining"),
        (daily, "reset_in", "x-ratelimit-daily-reset"),
    )
    for target, key, header in legacy:
        if target.get(key) is None and header in lower:
            parsed = _int(lower[header])
            # A reset given as an epoch timestamp is not a delay; without a wall clock we leave it unknown.
            if key == "reset_in" and parsed is not None and parsed > 2 * DAY_SECONDS:
                parsed = None
            target[key] = parsed

    def window(values: dict[str, float | int | None]) -> LimitWindow:
        return LimitWindow(
            remaining=_as_int(values.get("remaining")),
            reset_in=values.get("reset_in"),
            quota=_as_int(values.get("quota")),
            window=values.get("window"),
            burst=_as_int(values.get("burst")),
        )

    return RateLimitInfo(minute=window(minute), daily=window(daily))


def _as_int(value: float | int | None) -> int | None:
    return None if value is None else int(value)
