"""One method per Audiobookshelf call bookrelay makes (ref/audiobookshelf.md; upstream docs:
https://api.audiobookshelf.org/ — stale on auth, the ref notes the 2.36 source instead).

Answers are checked for the shape each method promises (a dict, a list) and returned as wire
``TypedDict``s; turning them into domain objects is ``mapper.py``'s job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast
from urllib.parse import quote

from bookrelay.connectors.audiobookshelf.session import SERVICE, AbsSession
from bookrelay.connectors.audiobookshelf.types import (
    AbsLibrary,
    AbsLibraryItem,
    AbsMediaProgress,
    AbsProgressPayload,
    AbsUpdateMediaResponse,
    AbsUser,
)
from bookrelay.errors import BadResponse, NotFound

_BATCH_CHUNK = 50


def _seg(value: str) -> str:
    return quote(value, safe="")


T = TypeVar("T")

# Keys every MediaProgress object carries (2.17-2.36); other objects in ``/api/me`` (bookmarks, the
# user's settings) lack ``isFinished`` or ``progress``.
_PROGRESS_KEYS = frozenset({"libraryItemId", "isFinished", "progress"})


@dataclass(frozen=True, slots=True)
class _Kept(Generic[T]):
    """A progress entry already turned into what the caller keeps, while the answer was parsed."""

    value: T | None


def _dict(value: Any, call: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadResponse(f"{call}: expected a JSON object, got {type(value).__name__}", service=SERVICE)
    return value


def _list(body: dict[str, Any], key: str, call: str) -> list[dict[str, Any]]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadResponse(f"{call}: '{key}' is missing or not a list of objects", service=SERVICE)
    return value


def _int(value: Any, key: str, call: str) -> int:
    """An integer that very old servers may echo as a string ("500")."""
    if isinstance(value, bool):
        raise BadResponse(f"{call}: '{key}' is not a number", service=SERVICE)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise BadResponse(f"{call}: '{key}' is not a number: {value!r}", service=SERVICE)


class AbsApi:
    """The Audiobookshelf calls, over an :class:`AbsSession`."""

    def __init__(self, session: AbsSession) -> None:
        self.session = session

    async def me(self) -> AbsUser:
        """``GET /api/me``: the user with ALL media progress (works on every 2.x server)."""
        body = _dict(await self.session.get_json("/api/me", call="me"), "me")
        _list(body, "mediaProgress", "me")
        return cast(AbsUser, body)

    async def media_progress(self) -> list[AbsMediaProgress]:
        """Every progress entry of the user (books, finished, ebooks, podcast episodes), from ``/api/me``."""
        return list((await self.me()).get("mediaProgress", []))

    async def progress_entries(self, keep: Callable[[AbsMediaProgress], T | None]) -> list[T]:
        """Every progress entry of ``/api/me``, each given to ``keep`` as soon as the JSON parser has read it,
        so that only what ``keep`` returns outlives the parse: 10,000 entries as wire dicts are ~13 MB,
        as domain objects ~2 MB. ``None`` from ``keep`` leaves the entry out."""

        def hook(obj: dict[str, Any]) -> Any:
            return _Kept(keep(cast(AbsMediaProgress, obj))) if obj.keys() >= _PROGRESS_KEYS else obj

        body = _dict(await self.session.get_json("/api/me", call="me", object_hook=hook), "me")
        entries = body.get("mediaProgress")
        if not isinstance(entries, list) or not all(isinstance(e, dict | _Kept) for e in entries):
            raise BadResponse("me: 'mediaProgress' is missing or not a list of objects", service=SERVICE)
        # An entry without one of the keys above (a server older than any seen) is kept the slow way.
        kept = [e.value if isinstance(e, _Kept) else keep(cast(AbsMediaProgress, e)) for e in entries]
        return [value for value in kept if value is not None]

    async def progress(self, item_id: str) -> AbsMediaProgress | None:
        """``GET /api/me/progress/:id``: one item's progress, or None when the user has none."""
        try:
            body = await self.session.get_json(f"/api/me/progress/{_seg(item_id)}", call="progress")
        except NotFound:
            return None
        return cast(AbsMediaProgress, _dict(body, "progress"))

    async def libraries(self) -> list[AbsLibrary]:
        """``GET /api/libraries``: every library the user can see (book and podcast)."""
        body = _dict(await self.session.get_json("/api/libraries", call="libraries"), "libraries")
        return cast(list[AbsLibrary], _list(body, "libraries", "libraries"))

    async def book_libraries(
        self, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None
    ) -> list[AbsLibrary]:
        """Book libraries (never podcasts) by name or id: in ``include`` if given, not in ``exclude``."""

        def named(lib: AbsLibrary, names: Sequence[str]) -> bool:
            wanted = {n.casefold() for n in names}
            return lib.get("id", "").casefold() in wanted or lib.get("name", "").casefold() in wanted

        books = [lib for lib in await self.libraries() if lib.get("mediaType", "book") == "book"]
        if include:
            books = [lib for lib in books if named(lib, include)]
        if exclude:
            books = [lib for lib in books if not named(lib, exclude)]
        return books

    async def library_items(self, library_id: str, *, page_size: int = 500) -> list[AbsLibraryItem]:
        """Every item of a library, paged (minified shape); stops when ``page*limit + len >= total``."""
        call = f"library_items({library_id})"
        path = f"/api/libraries/{_seg(library_id)}/items"
        items: list[AbsLibraryItem] = []
        page = 0
        while True:
            params = {"limit": page_size, "page": page, "sort": "addedAt"}
            body = _dict(await self.session.get_json(path, call=call, params=params), call)
            results = _list(body, "results", call)
            total = _int(body.get("total"), "total", call)
            limit = _int(body.get("limit", page_size), "limit", call)
            items.extend(cast(list[AbsLibraryItem], results))
            # limit 0 means the server sent everything at once
            if limit == 0 or not results or page * limit + len(results) >= total:
                return items
            page += 1

    async def item(
        self, item_id: str, *, expanded: bool = True, include_progress: bool = False
    ) -> AbsLibraryItem:
        """``GET /api/items/:id`` (``expanded=1`` for full metadata and files; ``include=progress`` adds
        ``userMediaProgress``); NotFound when the id is unknown."""
        params: dict[str, Any] = {}
        if expanded:
            params["expanded"] = 1
            if include_progress:
                params["include"] = "progress"
        body = await self.session.get_json(
            f"/api/items/{_seg(item_id)}", call=f"item({item_id})", params=params
        )
        return cast(AbsLibraryItem, _dict(body, f"item({item_id})"))

    async def items_batch(
        self, item_ids: Sequence[str], *, chunk_size: int = _BATCH_CHUNK
    ) -> list[AbsLibraryItem]:
        """``POST /api/items/batch/get`` in chunks: expanded items; unknown ids are silently absent."""
        found: list[AbsLibraryItem] = []
        async for chunk in self.items_batch_chunks(item_ids, chunk_size=chunk_size):
            found.extend(chunk)
        return found

    async def items_batch_chunks(
        self, item_ids: Sequence[str], *, chunk_size: int = _BATCH_CHUNK
    ) -> AsyncIterator[list[AbsLibraryItem]]:
        """:meth:`items_batch` one answer at a time, so that a caller can map each chunk and let its
        wire dicts go (an expanded item is ~10 KB of Python objects: 100 MB for 10,000 items)."""
        for start in range(0, len(item_ids), chunk_size):
            chunk = list(item_ids[start : start + chunk_size])
            body = await self.session.post_json(
                "/api/items/batch/get", {"libraryItemIds": chunk}, call="items_batch"
            )
            yield cast(list[AbsLibraryItem], _list(_dict(body, "items_batch"), "libraryItems", "items_batch"))

    async def items_in_progress(self, limit: int = 25) -> list[AbsLibraryItem]:
        """``GET /api/me/items-in-progress``: minified items with ``progressLastUpdate``, no progress."""
        body = await self.session.get_json(
            "/api/me/items-in-progress", call="items_in_progress", params={"limit": limit}
        )
        return cast(
            list[AbsLibraryItem], _list(_dict(body, "items_in_progress"), "libraryItems", "items_in_progress")
        )

    async def update_progress(self, item_id: str, payload: AbsProgressPayload) -> None:
        """``PATCH /api/me/progress/:id`` (answers text ``OK``); re-read with :meth:`progress` to see it.

        The server stores ``progress`` as sent and ignores it when ``isFinished`` is in the body (ref §8)."""
        await self.session.patch(
            f"/api/me/progress/{_seg(item_id)}", dict(payload), call=f"update_progress({item_id})"
        )

    async def update_media(self, item_id: str, metadata: dict[str, Any]) -> AbsUpdateMediaResponse:
        """``PATCH /api/items/:id/media`` with ``{"metadata": …}``; answers ``{updated, libraryItem}``
        (``updated`` False when the server left it out: nothing changed)."""
        call = f"update_media({item_id})"
        response = await self.session.patch(
            f"/api/items/{_seg(item_id)}/media", {"metadata": metadata}, call=call
        )
        body = _dict(self.session.decode(response, call), call)
        # ABS sends ``updated: hasUpdates || payload.url``: undefined, so absent from the JSON, when nothing
        # changed (2.36, seen on the real server); absent therefore means False.
        updated = body.setdefault("updated", False)
        if not isinstance(updated, bool) or not isinstance(body.get("libraryItem"), dict):
            raise BadResponse(
                f"{call}: the answer has no 'libraryItem' or a non-boolean 'updated'", service=SERVICE
            )
        return cast(AbsUpdateMediaResponse, body)

    # -- collections (scrobble's lists; advplyr/audiobookshelf server/controllers/CollectionController.js)

    async def collections(self) -> list[dict[str, Any]]:
        """``GET /api/collections``: every collection with its books (expanded library items)."""
        body = _dict(await self.session.get_json("/api/collections", call="collections"), "collections")
        return _list(body, "collections", "collections")

    async def create_collection(
        self, library_id: str, name: str, item_ids: Sequence[str] = ()
    ) -> dict[str, Any]:
        """``POST /api/collections``: a new collection of one library holding ``item_ids``."""
        body = {"libraryId": library_id, "name": name, "books": list(item_ids)}
        answer = await self.session.post_json("/api/collections", body, call="create_collection", write=True)
        return _dict(answer, "create_collection")

    async def add_to_collection(self, collection_id: str, item_ids: Sequence[str]) -> dict[str, Any]:
        """``POST /api/collections/:id/batch/add`` (items already in it are skipped by the server)."""
        call = f"add_to_collection({collection_id})"
        path = f"/api/collections/{_seg(collection_id)}/batch/add"
        return _dict(
            await self.session.post_json(path, {"books": list(item_ids)}, call=call, write=True), call
        )

    async def remove_from_collection(self, collection_id: str, item_ids: Sequence[str]) -> dict[str, Any]:
        """``POST /api/collections/:id/batch/remove``."""
        call = f"remove_from_collection({collection_id})"
        path = f"/api/collections/{_seg(collection_id)}/batch/remove"
        return _dict(
            await self.session.post_json(path, {"books": list(item_ids)}, call=call, write=True), call
        )
