"""The socket.io listener of the real-time trigger, for users who sign in to Audiobookshelf with a
username and password (ref/audiobookshelf.md §12). A module of its own because python-socketio with its
aiohttp transport costs about 13 MiB: ``serve`` loads it only when a user needs it
(:func:`bookrelay.app.serving.build_realtime`); API-key users are polled (:mod:`bookrelay.service.realtime`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import socketio

from bookrelay.redact import redact
from bookrelay.service.clock import Clock
from bookrelay.service.metrics import record_event
from bookrelay.service.realtime import RETRY_MAX, OnItems, ProgressSnapshot, TokenSource, changed_items

log = logging.getLogger(__name__)


def socket_address(base_url: str) -> tuple[str, str]:
    """(server URL, socket.io path) for an Audiobookshelf base URL; a path prefix moves into the
    socket.io path (``http://h/abs`` → ``http://h``, ``abs/socket.io``)."""
    parts = urlsplit(base_url.rstrip("/"))
    prefix = parts.path.strip("/")
    return f"{parts.scheme}://{parts.netloc}", f"{prefix}/socket.io" if prefix else "socket.io"


class AbsListener:
    """One user's socket.io connection to one Audiobookshelf server, signed in with an access token."""

    def __init__(
        self,
        user_id: str,
        base_url: str,
        *,
        token: TokenSource,
        snapshot: ProgressSnapshot,
        on_items: OnItems,
        clock: Clock,
        client_factory: Callable[[], socketio.AsyncClient] = socketio.AsyncClient,
    ) -> None:
        self.user_id = user_id
        self.url, self.path = socket_address(base_url)
        self._token, self._snapshot, self._on_items, self._clock = token, snapshot, on_items, clock
        self._client_factory = client_factory
        self._seen: dict[str, Any] = {}
        self.signed_in = asyncio.Event()
        self.auth_failed: str | None = None
        self.events = 0
        self._stop = asyncio.Event()
        self._client: socketio.AsyncClient | None = None

    def _handlers(self, client: socketio.AsyncClient, token: str) -> None:
        async def connect() -> None:
            await client.emit("auth", token)

        async def init(data: Any) -> None:
            self.auth_failed = None
            self._seen, _ = changed_items({}, await self._snapshot())
            self.signed_in.set()
            log.info("real-time events on for %s", self.user_id)

        async def auth_failed(data: Any) -> None:
            message = data.get("message") if isinstance(data, dict) else None
            self.auth_failed = redact(str(message or "refused"))
            log.warning("Audiobookshelf refused the socket sign-in of %s: %s", self.user_id, self.auth_failed)
            await client.disconnect()

        async def progress_updated(data: Any) -> None:
            entry = data.get("data") if isinstance(data, dict) else None
            self._note("user_item_progress_updated", [entry] if isinstance(entry, dict) else [])

        async def user_updated(data: Any) -> None:
            entries = data.get("mediaProgress") if isinstance(data, dict) else None
            self._note("user_updated", entries if isinstance(entries, list) else [], whole=True)

        client.on("connect", connect)
        client.on("init", init)
        client.on("auth_failed", auth_failed)
        client.on("user_item_progress_updated", progress_updated)
        client.on("user_updated", user_updated)

    def _note(self, event: str, entries: list[Any], *, whole: bool = False) -> None:
        self.events += 1
        record_event(event)
        good = [e for e in entries if isinstance(e, dict)]
        if whole:
            self._seen, changed = changed_items(self._seen, good)
        else:
            fresh, changed = changed_items(self._seen, good)
            self._seen.update(fresh)
        if changed:
            self._on_items(self.user_id, frozenset(changed))

    async def run(self) -> None:
        """Stay connected until :meth:`stop`; reconnect with growing pauses; give up on a refused sign-in."""
        pause = 5.0
        while not self._stop.is_set():
            client = self._client_factory()
            self._client = client
            try:
                token = await self._token()
                self._handlers(client, token)
                await client.connect(self.url, socketio_path=self.path, wait_timeout=30)
                pause = 5.0
                stopper = asyncio.ensure_future(self._stop.wait())
                waiter = asyncio.ensure_future(client.wait())
                await asyncio.wait({stopper, waiter}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                waiter.cancel()
            except Exception as exc:  # any failure: log it, wait, try again (the schedule still runs)
                log.warning("real-time events for %s unavailable: %s", self.user_id, redact(str(exc)))
            finally:
                if client.connected:
                    await client.disconnect()
            if self.auth_failed is not None or self._stop.is_set():
                return  # a refused token will not be accepted on a retry; the schedule stays
            await self._sleep_or_stop(pause)
            pause = min(pause * 2, RETRY_MAX)

    async def _sleep_or_stop(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()
        stopper.cancel()

    async def stop(self) -> None:
        """Disconnect and end :meth:`run`."""
        self._stop.set()
        if self._client is not None and self._client.connected:
            await self._client.disconnect()
