"""The FastAPI app of ``bookrelay serve``: the API, its OpenAPI document, the pages and static files.

:func:`create_app` receives every collaborator (``bookrelay.app`` builds them); one exception handler turns
every error into an answer through :func:`bookrelay.errors.http_status_for`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bookrelay import __version__
from bookrelay.config import Config
from bookrelay.errors import BookrelayError, ConfigError, http_status_for
from bookrelay.redact import redact
from bookrelay.store.facade import Store
from bookrelay.web import api, audible_pages, compat_audible, hardcover_routes, pages, queue_routes
from bookrelay.web.context import (
    AudibleLogin,
    HardcoverBooks,
    HardcoverSearch,
    RunLauncher,
    Runner,
    Scheduler,
    WebContext,
)
from bookrelay.web.hardcover_routes import HardcoverOAuth
from bookrelay.web.headers import SecurityHeaders
from bookrelay.web.schemas import ErrorBody, ErrorDetail, Health
from bookrelay.web.security import SESSION_SECONDS, SignInRequired, secret_matches

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "bookrelay_session"


def create_app(
    config: Config,
    store: Store,
    *,
    runner: Runner,
    scheduler: Scheduler | None = None,
    hardcover_search: HardcoverSearch | None = None,
    hardcover_books: HardcoverBooks | None = None,
    audible_login: AudibleLogin | None = None,
    hardcover_oauth: HardcoverOAuth | None = None,
    metrics_app: ASGIApp | None = None,
    queue_status: Callable[[], Any] | None = None,
    now: Callable[[], datetime] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The web app over ``store``: API at ``/api/v1``, pages at ``/``, health at ``/healthz``/``/readyz``.

    ``runner`` runs a job when no ``scheduler`` is given (and for dry runs); ``hardcover_search`` and
    ``hardcover_books`` look things up with a user's token; ``hardcover_oauth`` connects users to
    Hardcover from the page; ``metrics_app`` is mounted at ``/metrics``;
    ``lifespan`` starts and stops what runs beside the app (the scheduler)."""
    app = FastAPI(
        title="bookrelay",
        version=__version__,
        description="Sync runs, conflicts, links and users of bookrelay. Send the API key in `X-Api-Key`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    context = WebContext(
        config=config,
        store=store,
        launcher=RunLauncher(runner),
        scheduler=scheduler,
        hardcover_search=hardcover_search,
        hardcover_books=hardcover_books,
        audible_login=audible_login,
        queue_status=queue_status,
    )
    if now is not None:
        context.now = now
    app.state.web = context
    app.state.hardcover_oauth = hardcover_oauth  # Connect/Disconnect on the Hardcover page
    session_secret = config.global_.server.session_secret
    app.add_middleware(
        SessionMiddleware,
        # A random secret signs out everyone on restart, which is safe; set one to keep sessions.
        secret_key=session_secret.get_secret_value() if session_secret else secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        same_site="strict",
        max_age=SESSION_SECONDS,
    )
    # Added after the session middleware, so it wraps it and sees the session cookie it sets.
    server = config.global_.server
    app.add_middleware(SecurityHeaders, cookie_name=SESSION_COOKIE, secure_cookie=server.secure_cookie)
    # One handler for every kind; BookrelayError is listed so that it is handled inside the routing
    # layer (Exception alone would reach it only from the outermost middleware, after a re-raise).
    for error_type in (BookrelayError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(error_type, handle_error)
    _health_routes(app)
    app.include_router(api.router)
    app.include_router(compat_audible.open_router)
    app.include_router(compat_audible.router)
    app.include_router(queue_routes.router)
    app.include_router(pages.router)
    app.include_router(audible_pages.router)
    app.include_router(hardcover_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if metrics_app is not None:
        # A route, not a mount: a mount would answer /metrics with a redirect to /metrics/.
        # S2: only health is open; Prometheus sends the API key as `authorization: {credentials: KEY}`.
        guarded = _KeyGuard(metrics_app, config)
        app.router.routes.append(Route("/metrics", endpoint=_AsgiEndpoint(guarded), include_in_schema=False))
    return app


class _KeyGuard:
    """Lets a request through to ``app`` only with the API key (X-Api-Key, X-API-Secret or Bearer)."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self._app = app
        self._config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        bearer = headers.get("authorization", "")
        given = [headers.get("x-api-key"), headers.get("x-api-secret")]
        if bearer[:7].lower() == "bearer ":
            given.append(bearer[7:].strip())
        configured = self._config.global_.server.api_key
        expected = configured.get_secret_value() if configured else None
        if any(secret_matches(g, expected) for g in given):
            await self._app(scope, receive, send)
            return
        answer = PlainTextResponse("missing or wrong API key", status_code=401)
        await answer(scope, receive, send)


class _AsgiEndpoint:
    """Makes Starlette's Route call an ASGI app as it is (a plain function would be taken for a handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _health_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"], response_model=Health)
    def healthz() -> Health:
        """Liveness: the process answers (no authentication)."""
        return Health(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        response_model=Health,
        responses={503: {"model": Health, "description": "The store cannot be read"}},
    )
    def readyz(request: Request) -> Response:
        """Readiness: the store answers a query (no authentication)."""
        try:
            request.app.state.web.store.runs.recent(1)
        except Exception as exc:  # any store failure means "not ready"; the detail stays in the log
            log.warning("readiness check failed: %s", redact(str(exc)))
            body = Health(status="unavailable", detail="the store cannot be read")
            return JSONResponse(body.model_dump(), status_code=503)
        return JSONResponse(Health(status="ok").model_dump())


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one error handler: status from ``http_status_for``; JSON for the API, a page or redirect else."""
    if isinstance(exc, SignInRequired) and not _is_api(request):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    body, status = _error_body(exc)
    if status >= 500 and not isinstance(exc, BookrelayError):
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
    if _is_api(request) or not isinstance(exc, BookrelayError | RequestValidationError):
        headers = getattr(exc, "headers", None) if isinstance(exc, StarletteHTTPException) else None
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)
    return pages.error_page(request, body, status)


def _error_body(exc: Exception) -> tuple[ErrorBody, int]:
    if isinstance(exc, RequestValidationError):
        details = [
            ErrorDetail(field=_dotted(e.get("loc", ())), message=str(e.get("msg", ""))) for e in exc.errors()
        ]
        fields = ", ".join(d.field or "?" for d in details)
        return ErrorBody(error="ValidationError", message=f"invalid: {fields}", details=details), 422
    if isinstance(exc, StarletteHTTPException):
        return ErrorBody(error="HTTPError", message=str(exc.detail)), exc.status_code
    status = http_status_for(exc)
    if isinstance(exc, BookrelayError):
        details = [ErrorDetail(field=exc.place, message=exc.message)] if isinstance(exc, ConfigError) else []
        return ErrorBody(error=type(exc).__name__, message=redact(str(exc)), details=details), status
    return ErrorBody(error="InternalError", message="an unexpected error happened; see the log"), status


def _dotted(loc: Any) -> str:
    return ".".join(str(part) for part in loc)
