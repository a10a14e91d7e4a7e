"""Holding a user's run lease for the length of a run: runs of one user never overlap (P11).

Two runs of one user would read the same Hardcover state and send every write twice. Whatever starts a
run (two CLI processes, the CLI and ``serve``, two workers), it first takes the user's lease in the
store; a second run waits a short while for it, then stops with a message that says who holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bookrelay.errors import AlreadyRunning
from bookrelay.store.facade import Store
from bookrelay.store.repositories import Lease


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    """How long a lease lasts unless renewed, how often it is renewed, and how long a second run waits."""

    ttl: float = 120.0
    renew_every: float = 30.0
    wait: float = 10.0
    poll: float = 0.5


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _gone(lease: Lease) -> bool:
    """A lease held by a process of this host that no longer exists (killed): free to take over."""
    return lease.host == socket.gethostname() and lease.pid > 0 and not _pid_alive(lease.pid)


def _busy(user_id: str, job: str, theirs: Lease, tz: ZoneInfo) -> AlreadyRunning:
    started = theirs.started_at.astimezone(tz).strftime("%H:%M")
    return AlreadyRunning(f"{user_id}: a {job} run is already going (started {started} by {theirs.holder})")


@contextlib.asynccontextmanager
async def run_lease(
    store: Store,
    user_id: str,
    job: str,
    *,
    holder: str,
    tz: ZoneInfo,
    settings: LeaseSettings | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> AsyncIterator[Lease]:
    """Hold the user's lease of ``job`` for the body; raises AlreadyRunning when another run keeps it
    past ``settings.wait`` seconds. The lease is renewed in the background and given back at the end."""
    settings = settings or LeaseSettings()
    ttl = timedelta(seconds=settings.ttl)
    waited = 0.0
    while True:
        ours, theirs = store.leases.acquire(
            user_id, job, holder=holder, host=socket.gethostname(), pid=os.getpid(), ttl=ttl, gone=_gone
        )
        if ours is not None:
            break
        assert theirs is not None
        if waited >= settings.wait:
            raise _busy(user_id, job, theirs, tz)
        await sleep(settings.poll)
        waited += settings.poll

    async def renew() -> None:
        while True:
            await asyncio.sleep(settings.renew_every)
            store.leases.renew(ours, ttl)

    renewing = asyncio.create_task(renew())
    try:
        yield ours
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        store.leases.release(ours)
