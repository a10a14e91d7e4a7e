"""Hardcover's request budget per token (ref/hardcover.md §3, DESIGN N1): a token bucket plus a daily quota.

The bucket holds ``burst`` units and refills at ``per_minute / 60`` units a second; the daily quota resets
at midnight UTC. Time comes only from the injected clock, so tests drive it without sleeping.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

_DAY = 86400
# Turns the depth limit on for every fake Hardcover a process builds whose fixture does not say
# (``bookrelay sandbox``, the test suite): how to try bookrelay against the announced limit.
MAX_DEPTH_ENV = "BOOKRELAY_SANDBOX_HARDCOVER_MAX_DEPTH"


def default_max_depth() -> int | None:
    """The depth limit a fixture without ``max_depth`` gets: from ``MAX_DEPTH_ENV``, else none."""
    raw = os.environ.get(MAX_DEPTH_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_DEPTH_ENV}: expected a whole number of at least 1, got {raw!r}")
    return int(raw)


@dataclass
class Limits:
    """The plan's numbers; mutable so tests and benchmarks can scale them at run time."""

    per_minute: int = 60
    burst: int = 10
    daily: int = 5000
    max_top_level: int = 5
    # Hardcover's announced (not yet shipped) query depth limit, ref §3 roadmap: 3. None = no limit.
    max_depth: int | None = field(default_factory=lambda: default_max_depth())
    plan: str = "Free"


@dataclass
class Bucket:
    """One token's budget: units in the bucket (fractional while refilling) and units spent today."""

    tokens: float
    updated: float
    day: int
    used_today: int = 0


@dataclass(frozen=True)
class Decision:
    """The outcome of asking for units: allowed, or refused with a ``retry_after`` and a reason."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""  # "burst" or "daily" when refused


def _rate(limits: Limits) -> float:
    return limits.per_minute / 60.0


def new_bucket(limits: Limits, now: float) -> Bucket:
    """A full bucket for a token first seen at ``now``."""
    return Bucket(tokens=float(limits.burst), updated=now, day=int(now // _DAY))


def refill(bucket: Bucket, limits: Limits, now: float) -> None:
    """Bring ``bucket`` up to ``now``: add the refill since last time; a new UTC day resets the quota."""
    elapsed = max(0.0, now - bucket.updated)
    bucket.tokens = min(float(limits.burst), bucket.tokens + elapsed * _rate(limits))
    bucket.updated = max(bucket.updated, now)
    day = int(now // _DAY)
    if day != bucket.day:
        bucket.day, bucket.used_today = day, 0


def seconds_to_midnight(now: float) -> int:
    """Whole seconds until the next midnight UTC (at least 1)."""
    return max(1, math.ceil(_DAY - (now % _DAY)))


def seconds_to_full(bucket: Bucket, limits: Limits) -> int:
    """Whole seconds until the bucket is full again (0 when it is)."""
    missing = limits.burst - bucket.tokens
    if missing <= 0:
        return 0
    rate = _rate(limits)
    return math.ceil(missing / rate) if rate > 0 else _DAY


def try_spend(bucket: Bucket, limits: Limits, now: float, units: int) -> Decision:
    """Take ``units`` from the bucket and the daily quota, or take nothing and say when to retry."""
    refill(bucket, limits, now)
    if bucket.used_today + units > limits.daily:
        return Decision(False, seconds_to_midnight(now), "daily")
    if units > math.floor(bucket.tokens + 1e-9):
        rate = _rate(limits)
        wait = math.ceil((units - bucket.tokens) / rate) if rate > 0 else _DAY
        return Decision(False, max(1, wait), "burst")
    bucket.tokens -= units
    bucket.used_today += units
    return Decision(True)


def rate_headers(bucket: Bucket | None, limits: Limits, now: float) -> dict[str, str]:
    """The ``RateLimit-Policy``/``RateLimit`` and legacy ``X-RateLimit-*`` headers for one answer.

    Without a bucket (unknown caller) only the policy is sent. ``t`` and the ``*-Reset`` values are
    seconds from now (delta, as in the IETF draft), not epoch times.
    """
    policy = (
        f'"{limits.plan}";q={limits.per_minute};w=60;burst={limits.burst}, "daily";q={limits.daily};w={_DAY}'
    )
    headers = {"RateLimit-Policy": policy}
    if bucket is None:
        return headers
    refill(bucket, limits, now)
    remaining = max(0, math.floor(bucket.tokens + 1e-9))
    to_full = seconds_to_full(bucket, limits)
    daily_left = max(0, limits.daily - bucket.used_today)
    midnight = seconds_to_midnight(now)
    headers.update(
        {
            "RateLimit": f'"{limits.plan}";r={remaining};t={to_full}, "daily";r={daily_left};t={midnight}',
            "X-RateLimit-Limit": str(limits.per_minute),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(to_full),
            "X-RateLimit-Daily-Limit": str(limits.daily),
            "X-RateLimit-Daily-Remaining": str(daily_left),
            "X-RateLimit-Daily-Reset": str(midnight),
        }
    )
    return headers
