"""Hardcover's request budget (rule N1): a local token bucket; ``connectors/http.py``
parses the rate-limit headers.

The server counts every top-level field as one unit, refills 60 a minute into a bucket of 10 (free plan)
and allows 5,000 a day (ref/hardcover.md §3). The bucket paces us *before* sending so 429s do not happen
in normal operation; each answer's headers then correct the local view.
"""

from __future__ import annotations

from collections.abc import Callable


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
