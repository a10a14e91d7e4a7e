"""Audible as a source of the progress job: the library with its progress, ready for matching.

Matching needs nothing special: every entry carries its ASIN (M3, the Resolver tries it first) and
the runtime as ``duration_seconds`` (the duration part of the fuzzy score, M4). Unstarted titles are
left out here, so they cost neither Audible position look-ups nor Hardcover requests. Every HTTP
request to Audible first takes one unit of the user's daily cap in the store (:class:`MeteredTransport`),
so the cap also counts retries and token refreshes, and holds across processes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bookrelay.connectors.audible.api import AudibleApi
from bookrelay.connectors.audible.mapper import map_library
from bookrelay.connectors.audible.types import LibraryItem
from bookrelay.domain.entries import SourceEntry

WINDOW_SECONDS = 60.0


def _status(item: LibraryItem) -> Mapping[str, Any]:
    status: Any = item.get("listening_status")
    return status if isinstance(status, dict) else {}  # a malformed one is reported by the mapper


def _is_finished(item: LibraryItem) -> bool:
    return item.get("is_finished") is True or _status(item).get("is_finished") is True


def _started_or_finished(item: LibraryItem) -> bool:
    """Whether the library says the title was listened to at all (the position call needs no more)."""
    percent: Any = item.get("percent_complete")
    if percent is None:
        percent = _status(item).get("percent_complete")
    started = isinstance(percent, int | float) and not isinstance(percent, bool) and percent > 0
    return started or _is_finished(item)


async def collect_audible(api: AudibleApi) -> list[SourceEntry]:
    """Every title of the user's Audible library that was started or finished, with its progress.

    One library call per 1,000 titles; exact positions only for titles in progress (25 a call);
    finish dates from the finished events only when a title is finished.
    """
    items = [item for item in await api.library() if _started_or_finished(item)]
    if not items:
        return []
    unfinished = [str(item.get("asin")) for item in items if not _is_finished(item) and item.get("asin")]
    positions = await api.last_positions(unfinished) if unfinished else {}
    events = await api.finished_events() if any(_is_finished(item) for item in items) else []
    entries = [SourceEntry(item, progress) for item, progress in map_library(items, positions, events)]
    entries.sort(key=lambda e: (e.item.title.casefold(), e.item.item_id))
    return entries


class MeteredTransport(httpx.AsyncBaseTransport):
    """Calls ``take`` before every request it forwards; ``take`` raises to refuse the request
    (QuotaExhausted when the daily cap is reached), so a refused request is never sent. With
    ``per_minute`` it also waits so that no 60 seconds see more than that many requests: the pace the
    Audible auto-tracker kept (10 a minute). One transport serves one sync, and a user's syncs never
    overlap (the interval between them is checked in the store), so pacing here is pacing per user."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        take: Callable[[], object],
        *,
        per_minute: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self._take = take
        self._per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()  # send times within the last minute
        self._lock = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for the pace, count, then forward."""
        if self._per_minute is not None:
            async with self._lock:
                await self._pace(self._per_minute)
        self._take()
        return await self._inner.handle_async_request(request)

    async def _pace(self, per_minute: int) -> None:
        now = self._clock()
        while self._sent and self._sent[0] <= now - WINDOW_SECONDS:
            self._sent.popleft()
        if len(self._sent) >= per_minute:
            wait = self._sent[0] + WINDOW_SECONDS - now
            await self._sleep(wait)
            now = self._clock()
            self._sent.popleft()
        self._sent.append(now)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()
