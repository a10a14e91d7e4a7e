"""Authentication (S2): the API key for the API, a signed session cookie with a CSRF token for pages.

Secrets are compared with :func:`hmac.compare_digest` so that timing tells nothing about them. Without
a configured API key or password nothing but the health endpoints can be used.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

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
    """Whether the session cookie says the visitor has signed in."""
    return request.session.get("signed_in") is True


def require_page_session(request: Request) -> None:
    """The pages' guard: a signed-in session, else a redirect to the sign-in page."""
    if not signed_in(request):
        raise SignInRequired("sign in first")


def check_csrf(request: Request, token: str | None) -> None:
    """A form's CSRF token must equal the session's (a header works too, for htmx requests)."""
    given = token or request.headers.get(CSRF_HEADER)
    if not secret_matches(given, request.session.get("csrf")):
        raise CsrfFailed("the form is stale or did not come from this site: reload the page and try again")
