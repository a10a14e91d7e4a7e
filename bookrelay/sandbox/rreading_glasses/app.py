"""The fake rreading-glasses as a Starlette app (ref/bookshelf-rreading-glasses-audible.md B.1).

Routes at the root, like ``internal/handler.go``: ``/work/{id}``, ``/book/{id}`` (303 to the author),
``/author/{id}``, ``/search?q=``. Errors are plain text, as Go's ``http.Error`` writes them.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bookrelay.sandbox.rreading_glasses.state import MAX_ID, RrgState

# RRG answers with long-lived cache headers (internal/handler.go).
_CACHE = {"Cache-Control": "public, s-maxage=86400"}


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


class _Gate:
    """Counts every request, answers queued failures and the "down" state before routing."""

    def __init__(self, app: ASGIApp, state: RrgState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.counters["requests"] += 1
            failure = self.state.take_failure()
            if failure is None and self.state.down:
                failure = (503, None)
            if failure is not None:
                status, retry_after = failure
                self.state.counters["injected_failures"] += 1
                headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else None
                await _text(status, "service unavailable" if status >= 500 else "too many requests", headers)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def _path_id(request: Request, name: str) -> int | Response:
    raw = request.path_params[name]
    try:
        value = int(raw)
    except ValueError:
        return _text(400, f"invalid id {raw!r}")
    if value <= 0 or value > MAX_ID:
        return _text(400, "OpenLibrary IDs are not supported")
    return value


def build_rrg_app(state: RrgState) -> Starlette:
    """The fake rreading-glasses app over ``state``; the sandbox mounts it at ``/rreading-glasses``."""

    async def work(request: Request) -> Response:
        work_id = _path_id(request, "id")
        if isinstance(work_id, Response):
            return work_id
        body = state.fetch_work(work_id)
        if body is None:
            return _text(404, "not found")
        return JSONResponse(body, headers=_CACHE)

    async def book(request: Request) -> Response:
        edition_id = _path_id(request, "id")
        if isinstance(edition_id, Response):
            return edition_id
        state.counters["book"] += 1
        work_id = state.work_of_edition(edition_id)
        if work_id is None:
            return _text(404, "not found")
        author = state.works[work_id].authors[0].id
        # Readarr expects a redirect to the author carrying only this edition's work.
        return RedirectResponse(
            f"{request.scope.get('root_path', '')}/author/{author}?edition={edition_id}", 303
        )

    async def author(request: Request) -> Response:
        author_id = _path_id(request, "id")
        if isinstance(author_id, Response):
            return author_id
        raw_edition = request.query_params.get("edition")
        edition = int(raw_edition) if raw_edition and raw_edition.isdigit() else None
        body = state.fetch_author(author_id, edition=edition)
        if body is None:
            return _text(404, "not found")
        return JSONResponse(body, headers=_CACHE)

    async def search(request: Request) -> Response:
        return JSONResponse(state.search(request.query_params.get("q", "")), headers=_CACHE)

    async def changed(request: Request) -> Response:
        return JSONResponse({"Limited": True, "Ids": []})

    return Starlette(
        middleware=[Middleware(_Gate, state=state)],
        routes=[
            Route("/work/{id}", work),
            Route("/book/{id}", book),
            Route("/author/changed", changed),
            Route("/author/{id}", author),
            Route("/search", search),
        ],
    )
