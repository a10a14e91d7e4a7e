"""Authentication (S2): the API key for the API, a signed session cookie with a CSRF token for pages.

Secrets are compared with :func:`hmac.compare_digest` so that timing tells nothing about them. Without
a configured API key or password nothing but the health endpoints can be used.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bookrelay.config import Config
from bookrelay.errors import BookrelayError

API_KEY_HEADER = "X-Api-Key"
API_SECRET_HEADER = "X-API-Secret"  # the seed's name, accepted too
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

_api_key = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="The API key (global.server.api_key)"
)
_api_secret = APIKeyHeader(
    name=API_SECRET_HEADER,
    scheme_name="ApiSecret",
    auto_error=False,
    description="Same key, the seed's header",
)


class Unauthorized(BookrelayError):
    """No credentials, or wrong ones (S2); the message never echoes what was sent."""

    http_status = 401
    exit_code = 3


class SignInRequired(BookrelayError):
    """A page was asked for without a signed-in session: the handler redirects to the sign-in page."""

    http_status = 303


class CsrfFailed(BookrelayError):
    """A form came without the session's CSRF token."""

    http_status = 403


def secret_matches(given: str | None, expected: str | None) -> bool:
    """Whether ``given`` equals ``expected`` (constant time); never true when either is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _config(request: Request) -> Config:
    return request.app.state.web.config


def require_api_key(
    request: Request,
    key: Annotated[str | None, Depends(_api_key)] = None,
    secret: Annotated[str | None, Depends(_api_secret)] = None,
) -> None:
    """The API's guard: ``X-Api-Key`` (or ``X-API-Secret``) must equal ``global.server.api_key``."""
    configured = _config(request).global_.server.api_key
    expected = configured.get_secret_value() if configured else None
    if not (secret_matches(key, expected) or secret_matches(secret, expected)):
        raise Unauthorized("missing or wrong API key: send it in the X-Api-Key header")


def sign_in_secret_ok(config: Config, given: str) -> bool:
    """Whether ``given`` is the API key or the web password (either may be configured)."""
    server = config.global_.server
    candidates = [s.get_secret_value() for s in (server.api_key, server.password) if s is not None]
    # Compare with every candidate, so the time taken does not tell which one is set.
    return any([secret_matches(given, c) for c in candidates])


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def signed_in(request: Request) -> bool:
    """Whether the session cookie names a session this server started and has not ended."""
    sid = request.session.get("sid")
    return isinstance(sid, str) and request.app.state.web.sessions.active(sid)


def start_session(request: Request) -> None:
    """Sign the visitor in: a fresh session (a new id and CSRF token), known to this server."""
    request.session.clear()
    request.session["sid"] = request.app.state.web.sessions.start()


def end_session(request: Request) -> None:
    """Sign out: the session ends on the server, so a copy of the cookie kept from before is refused."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        request.app.state.web.sessions.end(sid)
    request.session.clear()


SESSION_SECONDS = 14 * 24 * 3600


class SessionRegistry:
    """The signed-in sessions, kept in the server's memory: the signed cookie carries only their id.

    A signed cookie alone cannot be taken back; checking its id here lets signing out end it at once.
    A restart forgets every session (everyone signs in again), which errs on the safe side."""

    def __init__(
        self, lifetime: float = SESSION_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._ends: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        """A new session's id, valid for the cookie's lifetime."""
        sid = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._ends = {s: end for s, end in self._ends.items() if end > now}  # forget expired ones
            self._ends[sid] = now + self._lifetime
        return sid

    def active(self, sid: str) -> bool:
        """Whether the session was started here, has not ended and has not expired."""
        end = self._ends.get(sid)
        return end is not None and end > self._clock()

    def end(self, sid: str) -> None:
        """End the session (nothing happens when it is unknown)."""
        with self._lock:
            self._ends.pop(sid, None)


SIGN_IN_TRIES_PER_ADDRESS = 5  # wrong secrets a minute from one client address
SIGN_IN_TRIES_OVERALL = 30  # wrong secrets a minute from all addresses together


class SignInThrottle:
    """Counts wrong sign-in secrets in a moving window (a minute), per client address and overall.

    Past either limit every try is refused (429) until the window has room again, the right secret
    too: otherwise guessing would only be slowed, not stopped. A right secret clears its address."""

    def __init__(
        self,
        per_address: int = SIGN_IN_TRIES_PER_ADDRESS,
        overall: int = SIGN_IN_TRIES_OVERALL,
        window_seconds: int = 60,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_address = RateLimitItemPerSecond(per_address, window_seconds)
        self._overall = RateLimitItemPerSecond(overall, window_seconds)

    def retry_after(self, address: str) -> int:
        """Seconds until ``address`` may try again; 0 when it may try now."""
        for item, key in ((self._per_address, address), (self._overall, "*")):
            if not self._limiter.test(item, "sign-in", key):
                reset, _ = self._limiter.get_window_stats(item, "sign-in", key)
                return max(1, math.ceil(reset - time.time()))
        return 0

    def failed(self, address: str) -> None:
        """Count a wrong secret from ``address``."""
        self._limiter.hit(self._per_address, "sign-in", address)
        self._limiter.hit(self._overall, "sign-in", "*")

    def succeeded(self, address: str) -> None:
        """Forget the address's wrong tries (the overall count stays)."""
        self._limiter.clear(self._per_address, "sign-in", address)


def require_page_session(request: Request) -> None:
    """The pages' guard: a signed-in session, else a redirect to the sign-in page."""
    if not signed_in(request):
        raise SignInRequired("sign in first")


def check_csrf(request: Request, token: str | None) -> None:
    """A form's CSRF token must equal the session's (a header works too, for htmx requests)."""
    given = token or request.headers.get(CSRF_HEADER)
    if not secret_matches(given, request.session.get("csrf")):
        raise CsrfFailed("the form is stale or did not come from this site: reload the page and try again")
