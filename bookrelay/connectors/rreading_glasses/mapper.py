"""rreading-glasses wire → domain: the only place that builds domain objects from its JSON."""

from __future__ import annotations

from typing import Any

from bookrelay.domain.wanted import WorkMetadata
from bookrelay.errors import BadResponse

SERVICE = "rreading-glasses"


def map_work(data: Any, requested_id: int) -> WorkMetadata:
    """``GET /work/{id}`` → :class:`WorkMetadata`; ISBN, ASIN and cover from the best edition."""
    place = f"GET /work/{requested_id}"
    if not isinstance(data, dict):
        raise BadResponse(f"{place}: expected a JSON object", service=SERVICE)
    work_id = data.get("ForeignId")
    if not isinstance(work_id, int) or isinstance(work_id, bool) or work_id <= 0:
        raise BadResponse(f"{place}: ForeignId must be a positive integer, got {work_id!r}", service=SERVICE)
    books = data.get("Books")
    authors = data.get("Authors")
    if not isinstance(books, list) or not isinstance(authors, list):
        raise BadResponse(f"{place}: Books and Authors must be arrays", service=SERVICE)
    best_id = data.get("BestBookId")
    editions = [b for b in books if isinstance(b, dict)]
    best = next((b for b in editions if b.get("ForeignId") == best_id), editions[0] if editions else {})
    return WorkMetadata(
        requested_id=requested_id,
        canonical_id=work_id,
        title=str(data.get("Title") or ""),
        authors=tuple(str(a.get("Name")) for a in authors if isinstance(a, dict) and a.get("Name")),
        author_ids=tuple(
            int(a["ForeignId"])
            for a in authors
            if isinstance(a, dict) and isinstance(a.get("ForeignId"), int)
        ),
        best_edition_id=best.get("ForeignId") if isinstance(best.get("ForeignId"), int) else None,
        isbn13=best.get("Isbn13") or None,
        asin=best.get("Asin") or None,
        cover_url=best.get("ImageUrl") or None,
        edition_count=len(editions),
    )


def map_work_ids(data: Any, place: str) -> list[int]:
    """The work ids of a ``GET /search`` answer (or an author's ``Works``), in answer order."""
    if not isinstance(data, list):
        raise BadResponse(f"{place}: expected a JSON array", service=SERVICE)
    ids = []
    for i, hit in enumerate(data):
        value = hit.get("workId", hit.get("ForeignId")) if isinstance(hit, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadResponse(f"{place}[{i}]: no work id", service=SERVICE)
        ids.append(value)
    return ids
