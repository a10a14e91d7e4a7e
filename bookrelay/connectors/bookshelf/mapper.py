"""Bookshelf wire → domain: the only place that builds domain objects from Bookshelf's JSON.

Every reader names the place of a malformed answer in the :class:`BadResponse` it raises (S3).
"""

from __future__ import annotations

from typing import Any

from bookrelay.domain.wanted import BookshelfCandidate, LibraryBook, Profile, RootFolder
from bookrelay.errors import BadResponse

SERVICE = "bookshelf"


def _bad(place: str, what: str) -> BadResponse:
    return BadResponse(f"{place}: {what}", service=SERVICE)


def _list(data: Any, place: str) -> list[Any]:
    if not isinstance(data, list):
        raise _bad(place, f"expected a JSON array, got {type(data).__name__}")
    return data


def _obj(data: Any, place: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(place, f"expected a JSON object, got {type(data).__name__}")
    return data


def _int(data: dict[str, Any], key: str, place: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(place, f"{key} must be an integer, got {value!r}")
    return value


def _str(data: dict[str, Any], key: str, place: str) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise _bad(place, f"{key} must be a non-empty string, got {value!r}")
    return value


def map_root_folders(data: Any) -> list[RootFolder]:
    """``GET /rootfolder`` → root folders."""
    folders = []
    for i, raw in enumerate(_list(data, "GET /rootfolder")):
        place = f"GET /rootfolder[{i}]"
        item = _obj(raw, place)
        folders.append(
            RootFolder(
                id=_int(item, "id", place),
                name=str(item.get("name") or item.get("path") or ""),
                path=_str(item, "path", place),
                default_quality_profile_id=item.get("defaultQualityProfileId") or None,
                default_metadata_profile_id=item.get("defaultMetadataProfileId") or None,
            )
        )
    return folders


def map_profiles(data: Any, place: str) -> list[Profile]:
    """``GET /qualityprofile`` or ``/metadataprofile`` → profiles."""
    profiles = []
    for i, raw in enumerate(_list(data, place)):
        item = _obj(raw, f"{place}[{i}]")
        profiles.append(Profile(id=_int(item, "id", f"{place}[{i}]"), name=str(item.get("name") or "")))
    return profiles


def map_library(data: Any) -> list[LibraryBook]:
    """``GET /book`` → the library's books (author and editions are not in this answer)."""
    books = []
    for i, raw in enumerate(_list(data, "GET /book")):
        place = f"GET /book[{i}]"
        item = _obj(raw, place)
        edition = item.get("foreignEditionId")
        books.append(
            LibraryBook(
                id=_int(item, "id", place),
                foreign_book_id=_str(item, "foreignBookId", place),
                title=str(item.get("title") or ""),
                monitored=bool(item.get("monitored")),
                foreign_edition_id=str(edition) if edition else None,
            )
        )
    return books


def map_candidate(data: Any, term: str) -> BookshelfCandidate | None:
    """The first book of a ``GET /search`` answer, with its one monitored edition; None when no book.

    Raises BadResponse when the book has no author, no editions or not exactly one monitored edition.
    """
    place = f"GET /search?term={term}"
    for i, raw in enumerate(_list(data, place)):
        entry = _obj(raw, f"{place}[{i}]")
        book = entry.get("book")
        if book is None:
            continue
        where = f"{place}[{i}].book"
        book = _obj(book, where)
        author = _obj(book.get("author"), f"{where}.author")
        editions = [
            _obj(e, f"{where}.editions[{j}]")
            for j, e in enumerate(_list(book.get("editions"), f"{where}.editions"))
        ]
        monitored = [e for e in editions if e.get("monitored") is True]
        if len(monitored) != 1:
            raise _bad(where, f"expected exactly one monitored edition, found {len(monitored)}")
        book_id = book.get("id") or 0
        return BookshelfCandidate(
            foreign_book_id=_str(book, "foreignBookId", where),
            title=str(book.get("title") or ""),
            author_foreign_id=_str(author, "foreignAuthorId", f"{where}.author"),
            author_name=str(author.get("authorName") or ""),
            monitored_edition_id=_str(monitored[0], "foreignEditionId", f"{where}.editions"),
            edition_ids=tuple(str(e.get("foreignEditionId")) for e in editions if e.get("foreignEditionId")),
            bookshelf_id=book_id if isinstance(book_id, int) and not isinstance(book_id, bool) else 0,
            monitored=bool(book.get("monitored")),
            cover_url=book.get("remoteCover") or None,
        )
    return None


def added_book_id(data: Any) -> int:
    """The library id from a ``POST /book`` answer."""
    item = _obj(data, "POST /book")
    book_id = _int(item, "id", "POST /book")
    if book_id <= 0:
        raise _bad("POST /book", f"id must be positive, got {book_id}")
    return book_id
