"""The real-time trigger: sync an item soon after its progress changes in Audiobookshelf.

Audiobookshelf tells a signed-in user's sockets about progress (ref/audiobookshelf.md §12):
``user_item_progress_updated`` after a playback session sync, ``user_updated`` (the whole user with all
progress) after a direct PATCH. Only a user login opens that door (an API key is refused), so a user
with a username and password gets a socket.io listener (:mod:`bookrelay.service.abs_socket`, loaded only
then: the socket.io client and aiohttp are 13 MiB) and a user with only an API key gets a poller
that compares ``lastUpdate`` of ``GET /api/me`` every few minutes. Both feed a :class:`Debouncer` that
waits until an item has been quiet for ``debounce`` seconds (listening sends an update every few
seconds) before it asks for a sync of just the changed items; the schedule stays the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bookrelay.errors import BookrelayError
from bookrelay.redact import redact
from bookrelay.service.clock import Clock

log = logging.getLogger(__name__)

OnItems = Callable[[str, frozenset[str]], None]
ProgressSnapshot = Callable[[], Awaitable[list[dict[str, Any]]]]
TokenSource = Callable[[], Awaitable[str]]
RETRY_MAX = 300.0  # seconds between reconnection attempts, at most


def changed_items(
    before: dict[str, Any], entries: Iterable[dict[str, Any]]
) -> tuple[dict[str, Any], set[str]]:
    """Book progress entries whose ``lastUpdate`` differs from ``before``: (the new map, changed ids).
    Podcast episodes are left out (they never go to Hardcover)."""
    after: dict[str, Any] = {}
    changed: set[str] = set()
    for entry in entries:
        item = entry.get("libraryItemId")
        if not isinstance(item, str) or entry.get("episodeId"):
            continue
        after[item] = entry.get("lastUpdate")
        if before.get(item) != after[item]:
            changed.add(item)
    return after, changed


@dataclass
class Debouncer:
    """Collects changed items per user and hands them on once no change came for ``delay`` seconds,
    or ``max_delay`` after the first one, whichever is earlier (a long listen still syncs)."""

    clock: Clock
    delay: float
    on_due: OnItems
    max_delay: float | None = None
    _pending: dict[str, set[str]] = field(default_factory=dict, init=False)
    _last: dict[str, datetime] = field(default_factory=dict, init=False)
    _first: dict[str, datetime] = field(default_factory=dict, init=False)
    _waiters: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False)
    fired: int = field(default=0, init=False)

    def touch(self, user_id: str, items: Iterable[str]) -> None:
        """Note changed items; the user's timer starts again."""
        chosen = set(items)
        if not chosen:
            return
        now = self.clock.now()
        self._pending.setdefault(user_id, set()).update(chosen)
        self._last[user_id] = now
        self._first.setdefault(user_id, now)
        waiter = self._waiters.get(user_id)
        if waiter is None or waiter.done():
            self._waiters[user_id] = asyncio.get_running_loop().create_task(self._wait(user_id))

    def pending(self, user_id: str) -> frozenset[str]:
        """The items waiting for their quiet period to end."""
        return frozenset(self._pending.get(user_id, ()))

    def _due_at(self, user_id: str) -> datetime:
        due = self._last[user_id] + timedelta(seconds=self.delay)
        cap = self.max_delay if self.max_delay is not None else self.delay * 5
        return min(due, self._first[user_id] + timedelta(seconds=max(cap, self.delay)))

    async def _wait(self, user_id: str) -> None:
        while True:
            remaining = (self._due_at(user_id) - self.clock.now()).total_seconds()
            if remaining <= 0:
                break
            await self.clock.sleep(remaining)
        items = frozenset(self._pending.pop(user_id, set()))
        self._last.pop(user_id, None)
        self._first.pop(user_id, None)
        self._waiters.pop(user_id, None)
        if items:
            self.fired += 1
            try:
                self.on_due(user_id, items)
            except Exception:
                log.exception("the real-time sync of %s could not be started", user_id)

    async def aclose(self) -> None:
        """Drop what is pending (the schedule will catch it) and stop the timers."""
        for task in list(self._waiters.values()):
            task.cancel()
        for task in list(self._waiters.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._waiters.clear()
        self._pending.clear()


class AbsPoller:
    """For a user with only an API key: compare ``lastUpdate`` of every progress entry every ``every``
    seconds; the first look only sets the baseline."""

    def __init__(
        self, user_id: str, *, snapshot: ProgressSnapshot, on_items: OnItems, clock: Clock, every: float
    ) -> None:
        self.user_id = user_id
        self._snapshot, self._on_items, self._clock, self.every = snapshot, on_items, clock, every
        self._seen: dict[str, Any] | None = None
        self.polls = 0

    async def poll(self) -> frozenset[str]:
        """Look once; hand on and return the changed items."""
        entries = await self._snapshot()
        self.polls += 1
        after, changed = changed_items(self._seen or {}, entries)
        first = self._seen is None
        self._seen = after
        if first or not changed:
            return frozenset()
        found = frozenset(changed)
        self._on_items(self.user_id, found)
        return found

    async def run(self) -> None:
        """Poll until cancelled; a failing poll is logged and tried again next time."""
        while True:
            try:
                await self.poll()
            except BookrelayError as exc:
                log.warning("polling Audiobookshelf for %s failed: %s", self.user_id, redact(str(exc)))
            await self._clock.sleep(self.every)


class Listener(Protocol):
    """A user's live connection (:class:`bookrelay.service.abs_socket.AbsListener`)."""

    user_id: str

    async def run(self) -> None:
        """Stay connected until stopped."""

    async def stop(self) -> None:
        """Disconnect and end :meth:`run`."""


@dataclass
class RealtimeService:
    """Every user's listener or poller and the debouncer between them and the scheduler."""

    debouncer: Debouncer
    listeners: list[Listener] = field(default_factory=list)
    pollers: list[AbsPoller] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    def start(self) -> None:
        """Start listening and polling; call from inside the running event loop."""
        loop = asyncio.get_running_loop()
        runs = [listener.run() for listener in self.listeners] + [poller.run() for poller in self.pollers]
        self._tasks = [loop.create_task(run) for run in runs]

    async def stop(self) -> None:
        """Stop listening and polling, drop pending items, close the connections."""
        for listener in self.listeners:
            await listener.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.debouncer.aclose()
        for close in self.closers:
            await close()
