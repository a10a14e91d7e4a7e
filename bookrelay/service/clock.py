"""Time for the service: the wall clock in production, a controlled one in tests.

The scheduler and the real-time debounce only ever ask a :class:`Clock` for the time and to sleep,
so a test moves time forward by hand instead of waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the service needs of time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after ``seconds`` have passed on this clock."""
        ...


class SystemClock:
    """The wall clock and :func:`asyncio.sleep`."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop."""
        await asyncio.sleep(max(seconds, 0.0))


class ManualClock:
    """A clock that only moves when :meth:`advance` is called; sleepers wake when their time comes."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        """The clock's current instant."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced by at least ``seconds``."""
        deadline = self._now + timedelta(seconds=max(seconds, 0.0))
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((deadline, future))
        try:
            await future
        finally:
            self._sleepers = [(d, f) for d, f in self._sleepers if f is not future]

    @property
    def sleepers(self) -> int:
        """How many coroutines are sleeping on this clock now."""
        return sum(1 for _, f in self._sleepers if not f.done())

    def advance(self, seconds: float = 0.0, *, to: datetime | None = None) -> None:
        """Move time forward (by ``seconds``, or to the instant ``to``) and wake every sleeper now due."""
        target = to if to is not None else self._now + timedelta(seconds=seconds)
        if target < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = target
        for deadline, future in list(self._sleepers):
            if deadline <= target and not future.done():
                future.set_result(None)
