"""Bookshelf (Readarr v1 API) operations, one method per call; HTTP policy lives in the session.

Reference: ref/bookshelf-rreading-glasses-audible.md Part A; upstream
https://github.com/pennydreadful/bookshelf (``src/Readarr.Api.V1``).
"""

from __future__ import annotations

from typing import Any

from bookrelay.connectors.bookshelf import mapper
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.bookshelf.types import AddBookRequest, SystemStatus
from bookrelay.domain.wanted import AddTarget, BookshelfCandidate, LibraryBook, Profile, RootFolder
from bookrelay.errors import BadResponse


def build_add_request(candidate: BookshelfCandidate, target: AddTarget, *, search: bool) -> AddBookRequest:
    """The add-book body of ref A.5: the book monitored with exactly the candidate's monitored edition,
    its author monitored for this book only (``booksToMonitor``), and a search when ``search``."""
    return {
        "foreignBookId": candidate.foreign_book_id,
        "monitored": True,
        "anyEditionOk": True,
        "editions": [{"foreignEditionId": candidate.monitored_edition_id, "monitored": True}],
        "author": {
            "foreignAuthorId": candidate.author_foreign_id,
            "qualityProfileId": target.quality_profile_id,
            "metadataProfileId": target.metadata_profile_id,
            "rootFolderPath": target.root_folder_path,
            # monitor:"none" would unmonitor the author and RSS would reject the book (ref A.5).
            "monitored": True,
            "monitorNewItems": "none",
            "tags": [],
            "addOptions": {"booksToMonitor": [candidate.foreign_book_id], "searchForMissingBooks": False},
        },
        "addOptions": {"searchForNewBook": search},
    }


class BookshelfApi:
    """Bookshelf calls returning domain objects (or typed wire data where nothing maps)."""

    def __init__(self, session: BookshelfSession) -> None:
        self.session = session

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self.session.requests_sent

    async def system_status(self) -> SystemStatus:
        """``GET /system/status``: the health and API-key probe (401 → AuthError)."""
        data = await self.session.get("/system/status")
        if not isinstance(data, dict) or "version" not in data:
            raise BadResponse("GET /system/status: not a SystemResource", service="bookshelf")
        status: SystemStatus = {"appName": str(data.get("appName", "")), "version": str(data["version"])}
        if data.get("instanceName"):
            status["instanceName"] = str(data["instanceName"])
        return status

    async def root_folders(self) -> list[RootFolder]:
        """``GET /rootfolder``."""
        return mapper.map_root_folders(await self.session.get("/rootfolder"))

    async def quality_profiles(self) -> list[Profile]:
        """``GET /qualityprofile``."""
        return mapper.map_profiles(await self.session.get("/qualityprofile"), "GET /qualityprofile")

    async def metadata_profiles(self) -> list[Profile]:
        """``GET /metadataprofile``."""
        return mapper.map_profiles(await self.session.get("/metadataprofile"), "GET /metadataprofile")

    async def books(self) -> list[LibraryBook]:
        """``GET /book``: every book in the library, with its foreign (Hardcover) ids."""
        return mapper.map_library(await self.session.get("/book"))

    async def search_work(self, hardcover_book_id: int) -> BookshelfCandidate | None:
        """``GET /search?term=work:<id>`` (not ``/book/lookup``, which lacks author and editions): the book
        a fresh lookup through the metadata server gives, or None when it knows no such work."""
        term = f"work:{int(hardcover_book_id)}"
        return mapper.map_candidate(await self.session.get("/search", params={"term": term}), term)

    async def add_book(self, candidate: BookshelfCandidate, target: AddTarget, *, search: bool) -> int:
        """``POST /book`` built by :func:`build_add_request`; returns the library id (201, or upsert)."""
        body = build_add_request(candidate, target, search=search)
        return mapper.added_book_id(await self.session.request("POST", "/book", json=body))

    async def set_monitored(self, book_ids: list[int], monitored: bool) -> None:
        """``PUT /book/monitor``: monitor or unmonitor library books."""
        await self.session.request("PUT", "/book/monitor", json={"bookIds": book_ids, "monitored": monitored})

    async def search_books(self, book_ids: list[int]) -> int | None:
        """``POST /command {"name":"BookSearch"}``: search for these library books; the command id."""
        data: Any = await self.session.request(
            "POST", "/command", json={"name": "BookSearch", "bookIds": book_ids}
        )
        return data.get("id") if isinstance(data, dict) else None
