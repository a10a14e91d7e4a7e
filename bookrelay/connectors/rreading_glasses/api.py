"""rreading-glasses operations, one method per route (ref/bookshelf-rreading-glasses-audible.md Part B;
https://github.com/blampe/rreading-glasses ``internal/handler.go``)."""

from __future__ import annotations

from typing import Any

from bookrelay.connectors.rreading_glasses import mapper
from bookrelay.connectors.rreading_glasses.session import RrgSession
from bookrelay.domain.wanted import WorkMetadata
from bookrelay.errors import BadResponse


class RrgApi:
    """Metadata lookups by Hardcover id; a 404 is NotFound, an unreachable server ServiceUnavailable."""

    def __init__(self, session: RrgSession) -> None:
        self.session = session

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (retries and followed redirects count once)."""
        return self.session.requests_sent

    async def work(self, hardcover_book_id: int) -> WorkMetadata:
        """``GET /work/{id}``: resolve (canonical id) and warm a Hardcover book before Bookshelf adds it."""
        data = await self.session.get(f"/work/{int(hardcover_book_id)}")
        return mapper.map_work(data, hardcover_book_id)

    async def author_of_edition(self, edition_id: int) -> dict[str, Any]:
        """``GET /book/{editionId}`` (303 → ``/author/{id}?edition=N``): that edition's author and work."""
        data = await self.session.get(f"/book/{int(edition_id)}")
        if not isinstance(data, dict):
            raise BadResponse(
                f"GET /book/{edition_id}: expected an author object", service="rreading-glasses"
            )
        return data

    async def author_work_ids(self, author_id: int) -> list[int]:
        """``GET /author/{id}``: the ids of the author's works."""
        data = await self.session.get(f"/author/{int(author_id)}")
        works = data.get("Works") if isinstance(data, dict) else None
        return mapper.map_work_ids(works or [], f"GET /author/{author_id}.Works")

    async def search(self, query: str) -> list[int]:
        """``GET /search?q=``: work ids for an ISBN-13, an upper-case ASIN or a title/author text."""
        return mapper.map_work_ids(await self.session.get("/search", params={"q": query}), "GET /search")
