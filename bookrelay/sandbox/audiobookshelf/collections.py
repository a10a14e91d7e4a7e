"""Collections in the fake ABS: ``/api/collections`` CRUD like ABS 2.x's ``CollectionController``.

Facts from advplyr/audiobookshelf ``server/controllers/CollectionController.js`` (SQLite era) and
``server/objects/Collection.js``: a collection belongs to one library; creating one needs
``libraryId`` and ``name`` (else ``400 Invalid collection data``); members are library item ids of
that library; every answer is the expanded collection ``{id, libraryId, name, description,
books: [expanded items], lastUpdate, createdAt}``; DELETE answers ``200 OK``; ``POST/PATCH`` need the
``update`` permission and ``DELETE`` the ``delete`` permission (``403``), which guests lack. No
``cover`` keys: the real 2.36 server sends none (tests/real_abs/test_differential.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bookrelay.sandbox.audiobookshelf.fixture import UserRec
from bookrelay.sandbox.audiobookshelf.shapes import expanded_item

Handler = Callable[[Request, UserRec], Awaitable[Response]]


@dataclass
class CollectionRec:
    """One collection: an ordered list of library item ids of one library."""

    id: str
    library_id: str
    name: str
    description: str | None
    created_at: int
    last_update: int
    books: list[str] = field(default_factory=list)


def collection_json(state: Any, rec: CollectionRec) -> dict[str, Any]:
    """``Collection.toJSONExpanded``: the members as expanded library items."""
    items = [state.items[i] for i in rec.books if i in state.items]
    return {
        "id": rec.id,
        "libraryId": rec.library_id,
        "name": rec.name,
        "description": rec.description,
        "books": [expanded_item(it) for it in items],
        "lastUpdate": rec.last_update,
        "createdAt": rec.created_at,
    }


def add_collection(state: Any, library_id: str, name: str, books: list[str] | None = None) -> CollectionRec:
    """Create a collection directly (tests and demo data); members must be items of ``library_id``."""
    now = state.now_ms()
    members = [b for b in (books or []) if b in state.items and state.items[b].library_id == library_id]
    rec = CollectionRec(str(uuid.uuid4()), library_id, name, None, now, now, list(dict.fromkeys(members)))
    state.collections[rec.id] = rec
    return rec


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/html")


def _status(status: int) -> Response:
    return PlainTextResponse({200: "OK", 403: "Forbidden", 404: "Not Found"}[status], status_code=status)


def collection_routes(
    state: Any, authed: Callable[[Handler], Any], body_of: Callable[[Request], Any]
) -> list[BaseRoute]:
    """The ``/api/collections`` routes over ``state`` (which holds ``collections``)."""

    def guarded(handler: Callable[[Request, UserRec, CollectionRec | None], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request, user: UserRec) -> Response:
            rec = None
            if "collection_id" in request.path_params:
                rec = state.collections.get(request.path_params["collection_id"])
                if rec is None:
                    return _text(404, "Collection not found")
            if request.method in ("POST", "PATCH", "DELETE") and user.type == "guest":
                return _status(403)
            return await handler(request, user, rec)

        return endpoint

    def touched(rec: CollectionRec) -> JSONResponse:
        rec.last_update = state.now_ms()
        state.counters["writes"] += 1
        return JSONResponse(collection_json(state, rec))

    async def find_all(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        return JSONResponse({"collections": [collection_json(state, c) for c in state.collections.values()]})

    async def create(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        body = await body_of(request)
        if not isinstance(body, dict) or not body.get("libraryId") or not body.get("name"):
            return _text(400, "Invalid collection data")
        books = [b for b in body.get("books") or [] if isinstance(b, str)]
        new = add_collection(state, str(body["libraryId"]), str(body["name"]), books)
        new.description = body.get("description") if isinstance(body.get("description"), str) else None
        state.counters["writes"] += 1
        return JSONResponse(collection_json(state, new))

    async def find_one(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        assert rec is not None
        return JSONResponse(collection_json(state, rec))

    async def update(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        assert rec is not None
        body = await body_of(request)
        body = body if isinstance(body, dict) else {}
        changed = False
        for key, attr in (("name", "name"), ("description", "description")):
            if key in body and body[key] != getattr(rec, attr):
                setattr(rec, attr, body[key])
                changed = True
        order = [b for b in body.get("books") or [] if b in rec.books]
        if order:  # the books array only re-orders members, it never adds or removes any
            rest = [b for b in rec.books if b not in order]
            if order + rest != rec.books:
                rec.books, changed = order + rest, True
        return touched(rec) if changed else JSONResponse(collection_json(state, rec))

    async def delete(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        assert rec is not None
        del state.collections[rec.id]
        state.counters["writes"] += 1
        return _status(200)

    async def add_book(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        assert rec is not None
        body = await body_of(request)
        item = state.items.get(body.get("id")) if isinstance(body, dict) else None
        if item is None:
            return _text(404, "Book not found")
        if item.library_id != rec.library_id:
            return _text(400, "Book in different library")
        if item.id in rec.books:
            return _text(400, "Book already in collection")
        rec.books.append(item.id)
        return touched(rec)

    async def remove_book(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        assert rec is not None
        item_id = request.path_params["book_id"]  # "bookId" is really a library item id (ABS TODO)
        if item_id not in state.items:
            return _status(404)
        if item_id in rec.books:
            rec.books.remove(item_id)
            return touched(rec)
        return JSONResponse(collection_json(state, rec))

    async def batch(request: Request, user: UserRec, rec: CollectionRec | None) -> Response:
        assert rec is not None
        body = await body_of(request)
        ids = (
            [b for b in (body.get("books") or []) if b and isinstance(b, str)]
            if isinstance(body, dict)
            else []
        )
        if not ids:
            return _text(500, "Invalid request body")
        known = [i for i in ids if i in state.items]
        if request.url.path.endswith("/add"):
            # addBatch does not check the item's library (unlike addBook)
            new = [i for i in dict.fromkeys(known) if i not in rec.books]
            rec.books.extend(new)
            changed = bool(new)
        else:
            before = len(rec.books)
            rec.books = [b for b in rec.books if b not in known]
            changed = len(rec.books) != before
        return touched(rec) if changed else JSONResponse(collection_json(state, rec))

    base = "/api/collections"
    return [
        Route(base, authed(guarded(find_all)), methods=["GET"]),
        Route(base, authed(guarded(create)), methods=["POST"]),
        Route(f"{base}/{{collection_id}}", authed(guarded(find_one)), methods=["GET"]),
        Route(f"{base}/{{collection_id}}", authed(guarded(update)), methods=["PATCH"]),
        Route(f"{base}/{{collection_id}}", authed(guarded(delete)), methods=["DELETE"]),
        Route(f"{base}/{{collection_id}}/book", authed(guarded(add_book)), methods=["POST"]),
        Route(f"{base}/{{collection_id}}/book/{{book_id}}", authed(guarded(remove_book)), methods=["DELETE"]),
        Route(f"{base}/{{collection_id}}/batch/add", authed(guarded(batch)), methods=["POST"]),
        Route(f"{base}/{{collection_id}}/batch/remove", authed(guarded(batch)), methods=["POST"]),
    ]
