"""The fake Bookshelf (Readarr v1 API) as a Starlette app (ref/bookshelf-rreading-glasses-audible.md Part A).

Routes are served at the root (``/api/v1/...``); the sandbox mounts the app at ``/bookshelf``. Auth is
the API key from ``?apikey=``, ``X-Api-Key`` or ``Authorization: Bearer``, checked in that order.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bookrelay.sandbox.bookshelf.records import ApiError, server_error, validation_error
from bookrelay.sandbox.bookshelf.shapes import author_resource, book_resource, edition_resource
from bookrelay.sandbox.bookshelf.state import BookshelfState

VERSION = "0.4.10.2765"


def _key(request: Request) -> str | None:
    key = request.query_params.get("apikey") or request.headers.get("x-api-key")
    if key:
        return key
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class _Gate:
    """Counts requests and writes, answers queued failures and checks the API key before routing."""

    def __init__(self, app: ASGIApp, state: BookshelfState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        self.state.counters["requests"] += 1
        status = self.state.take_failure()
        if status is not None:
            self.state.counters["injected_failures"] += 1
            await JSONResponse({"message": "injected failure", "description": ""}, status_code=status)(
                scope, receive, send
            )
            return
        if not self.state.key_ok(_key(request)):
            self.state.counters["auth_failures"] += 1
            await Response(status_code=401)(scope, receive, send)
            return
        if scope["method"] in {"POST", "PUT", "DELETE"}:
            self.state.counters["writes"] += 1
        await self.app(scope, receive, send)


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise validation_error("", "The request body is not valid JSON.") from None


def _errors(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            result: Response = await handler(request)
        except ApiError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        return result

    return endpoint


def _int_list(request: Request, name: str) -> list[int]:
    values = []
    for raw in request.query_params.getlist(name):
        if not raw.lstrip("-").isdigit():
            raise validation_error(name, f"The value '{raw}' is not valid.", raw)
        values.append(int(raw))
    return values


def build_bookshelf_app(state: BookshelfState) -> Starlette:
    """The fake Bookshelf app over ``state``; the sandbox mounts it at ``/bookshelf``."""

    async def status(request: Request) -> Response:
        started = state.now_iso()
        return JSONResponse(
            {
                "appName": "Bookshelf",
                "instanceName": state.instance_name,
                "version": VERSION,
                "buildTime": started,
                "isDebug": False,
                "isProduction": True,
                "isAdmin": False,
                "isUserInteractive": False,
                "startupPath": "/app/bin",
                "appData": "/config",
                "osName": "debian",
                "osVersion": "12",
                "isNetCore": True,
                "isLinux": True,
                "isOsx": False,
                "isWindows": False,
                "isDocker": True,
                "mode": "console",
                "branch": "hardcover",
                "databaseType": "sqLite",
                "databaseVersion": "3.45.1",
                "authentication": "forms",
                "migrationVersion": 40,
                "urlBase": "",
                "runtimeVersion": "8.0.12",
                "runtimeName": ".NET",
                "startTime": started,
                "packageUpdateMechanism": "docker",
            }
        )

    async def root_folders(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "path": r.path,
                    "defaultMetadataProfileId": r.default_metadata_profile_id,
                    "defaultQualityProfileId": r.default_quality_profile_id,
                    "defaultMonitorOption": "all",
                    "defaultNewItemMonitorOption": "all",
                    "defaultTags": [],
                    "isCalibreLibrary": False,
                    "port": 0,
                    "useSsl": False,
                    "accessible": True,
                    "freeSpace": 500_000_000_000,
                    "totalSpace": 1_000_000_000_000,
                }
                for r in state.root_folders
            ]
        )

    async def quality_profiles(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "upgradeAllowed": False,
                    "cutoff": 1,
                    "items": [],
                    "minFormatScore": 0,
                    "cutoffFormatScore": 0,
                    "formatItems": [],
                }
                for p in state.quality_profiles
            ]
        )

    async def metadata_profiles(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "minPopularity": 50.0,
                    "skipMissingDate": False,
                    "skipMissingIsbn": False,
                    "skipPartsAndSets": False,
                    "skipSeriesSecondary": False,
                    "allowedLanguages": "",
                    "minPages": 0,
                    "ignored": [],
                }
                for p in state.metadata_profiles
            ]
        )

    async def authors(request: Request) -> Response:
        return JSONResponse([author_resource(a) for a in state.authors.values()])

    async def books(request: Request) -> Response:
        if request.method == "POST":
            book = state.add_book(await _body(request))
            return JSONResponse(book_resource(book, with_author=True, with_editions=True), status_code=201)
        rows = list(state.books.values())
        wanted_ids = _int_list(request, "bookIds")
        if wanted_ids:
            rows = [b for b in rows if b.id in wanted_ids]
        author_id = request.query_params.get("authorId")
        if author_id:
            rows = [b for b in rows if str(b.author.id) == author_id]
        return JSONResponse([book_resource(b, with_author=False, with_editions=False) for b in rows])

    async def book(request: Request) -> Response:
        raw = request.path_params["id"]
        found = state.books.get(int(raw)) if raw.isdigit() else None
        if found is None:
            return JSONResponse({"message": "NotFound", "description": ""}, status_code=404)
        return JSONResponse(book_resource(found, with_author=True, with_editions=False))

    async def monitor(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict) or not isinstance(body.get("bookIds"), list):
            raise validation_error("BookIds", "'Book Ids' must not be empty.")
        ids = [int(i) for i in body["bookIds"] if isinstance(i, int)]
        changed = state.set_monitored(ids, bool(body.get("monitored")))
        return JSONResponse([book_resource(b, with_author=False, with_editions=False) for b in changed], 202)

    async def editions(request: Request) -> Response:
        return JSONResponse([edition_resource(e) for e in state.edition_rows(_int_list(request, "bookId"))])

    async def search(request: Request) -> Response:
        term = request.query_params.get("term", "")
        if not term.strip():
            raise server_error(400, "term is missing")
        results: list[dict[str, Any]] = []
        seen_authors: set[str] = set()
        for found in state.search(term):
            if found.author.foreign_author_id not in seen_authors:
                seen_authors.add(found.author.foreign_author_id)
                results.append(
                    {"foreignId": found.author.foreign_author_id, "author": author_resource(found.author)}
                )
            results.append(
                {
                    "foreignId": found.foreign_book_id,
                    "book": book_resource(found, with_author=True, with_editions=True),
                }
            )
        # SearchResource ids are synthetic, 1..n in answer order.
        return JSONResponse([{"id": i, **r} for i, r in enumerate(results, start=1)])

    async def command(request: Request) -> Response:
        queued = state.queue_command(await _body(request))
        return JSONResponse(
            {
                "id": queued["id"],
                "name": queued["name"],
                "commandName": "Book Search" if queued["name"] == "BookSearch" else queued["name"],
                "priority": "normal",
                "status": "queued",
                "queued": state.now_iso(),
                "trigger": "manual",
                "sendUpdatesToClient": True,
                "updateScheduledTask": True,
            },
            status_code=201,
        )

    api = "/api/v1"
    return Starlette(
        middleware=[Middleware(_Gate, state=state)],
        routes=[
            Route(f"{api}/system/status", _errors(status)),
            Route(f"{api}/rootfolder", _errors(root_folders)),
            Route(f"{api}/qualityprofile", _errors(quality_profiles)),
            Route(f"{api}/metadataprofile", _errors(metadata_profiles)),
            Route(f"{api}/author", _errors(authors)),
            Route(f"{api}/book", _errors(books), methods=["GET", "POST"]),
            Route(f"{api}/book/monitor", _errors(monitor), methods=["PUT"]),
            Route(f"{api}/book/{{id}}", _errors(book)),
            Route(f"{api}/edition", _errors(editions)),
            Route(f"{api}/search", _errors(search)),
            Route(f"{api}/command", _errors(command), methods=["POST"]),
        ],
    )
