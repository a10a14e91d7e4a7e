"""Hardcover's request budget (rule N1): a local token bucket and the parsing of the rate-limit headers.

The server counts every top-level field as one unit, refills 60 a minute into a bucket of 10 (free plan)
and allows 5,000 a day (ref/hardcover.md §3). The bucket paces us *before* sending so 429s do not happen
in normal operation; each answer's headers then correct the local view.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# One structured-field list member: a quoted or bare name followed by ;key=value parameters
# (draft-ietf-httpapi-ratelimit-headers), e.g. `"Free";r=8;t=42` or `"daily";q=5000;w=86400`.
_MEMBER = re.compile(r'\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[A-Za-z*][\w.:*/-]*))(?P<params>(?:\s*;[^,]*)?)')
_PARAM = re.compile(r'\s*;\s*(?P<key>[a-z*][\w.*-]*)(?:=(?:"(?P<qv>[^"]*)"|(?P<v>[^;,\s]*)))?')

DAY_SECONDS = 86_400


class TokenBucket:
    """A token bucket of ``capacity`` units refilled at ``rate`` units a second, on an injected clock."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("a token bucket needs a positive capacity and rate")
        self.capacity = float(capacity)
        self.rate = float(rate)
        self._clock = clock
        self._tokens = float(capacity)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)

    @property
    def tokens(self) -> float:
        """Units available now (negative while earlier reservations are still being waited for)."""
        self._refill()
        return self._tokens

    def reserve(self, units: float) -> float:
        """Take ``units`` now and return how many seconds the caller must wait before using them."""
        self._refill()
        self._tokens -= units
        # Reserving into the negative (instead of looping) keeps concurrent callers in a fair queue.
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def cap(self, remaining: float) -> None:
        """Lower the local view to what the server says is left; never raise it (the server may lag us)."""
        self._refill()
        self._tokens = min(self._tokens, float(remaining))

    def reconfigure(self, capacity: float, rate: float) -> None:
        """Adopt the server's policy (a Supporter token has a bigger burst than the default)."""
        if capacity > 0 and rate > 0:
            self._refill()
            self.capacity = float(capacity)
            self.rate = float(rate)
            self._tokens = min(self._tokens, self.capacity)


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
