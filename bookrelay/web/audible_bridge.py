"""Audible's external-browser login split into the web page's two steps.

The ``audible`` package logs in with one blocking call that asks a callback for the address the
browser ended on. Here that call runs in a worker thread: step one waits until the callback has been
handed Amazon's login link and shows it; step two hands the pasted address to the waiting callback
and waits for the login to be stored.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from bookrelay.errors import AuthError, ConfigError

BrowserLogin = Callable[[str, str, Callable[[str], str]], Any]  # (user_id, locale, url_callback) -> login


@dataclass
class _Pending:
    locale: str
    login_url: queue.Queue[str] = field(default_factory=lambda: queue.Queue(maxsize=1))
    final_url: queue.Queue[str | None] = field(default_factory=lambda: queue.Queue(maxsize=1))
    done: Future[Any] = field(default_factory=Future)


class BrowserLoginBridge:
    """One login at a time per user; a login not finished within ``timeout`` seconds is given up."""

    def __init__(self, login: BrowserLogin, *, timeout: float = 900.0) -> None:
        self._login = login
        self._timeout = timeout
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    async def start(self, user_id: str, locale: str) -> str:
        """Begin a login for the user (replacing an unfinished one); Amazon's login address."""
        pending = _Pending(locale)
        with self._lock:
            old = self._pending.pop(user_id, None)
            self._pending[user_id] = pending
        if old is not None:
            old.final_url.put_nowait(None)  # wakes the old worker, which then gives up
        thread = threading.Thread(
            target=self._work, args=(user_id, pending), daemon=True, name="audible-login"
        )
        thread.start()
        return await asyncio.to_thread(self._first_of, pending)

    async def finish(self, user_id: str, locale: str, final_url: str) -> None:
        """Hand over the address the browser ended on; returns when the login is stored."""
        with self._lock:
            pending = self._pending.pop(user_id, None)
        if pending is None or pending.locale != locale:
            raise ConfigError(
                "no Audible login is waiting for this user: get a new login link", place="final_url"
            )
        pending.final_url.put_nowait(final_url)
        await asyncio.wrap_future(pending.done)

    def _first_of(self, pending: _Pending) -> str:
        deadline = time.monotonic() + 60
        while True:
            try:
                return pending.login_url.get(timeout=0.05)
            except queue.Empty:
                pass
            if pending.done.done():  # the login failed before it produced a link
                error = pending.done.exception()
                raise error or AuthError("the login ended without a link", service="audible")
            if time.monotonic() > deadline:
                raise AuthError("Amazon's login link did not come within a minute", service="audible")

    def _work(self, user_id: str, pending: _Pending) -> None:
        def url_callback(login_url: str) -> str:
            pending.login_url.put_nowait(login_url)
            try:
                final = pending.final_url.get(timeout=self._timeout)
            except queue.Empty:
                final = None
            if final is None:
                raise AuthError(
                    "the Audible login was not finished in time, or a new one began", service="audible"
                )
            return final

        try:
            pending.done.set_result(self._login(user_id, pending.locale, url_callback))
        except BaseException as exc:
            pending.done.set_exception(exc)
