"""Wire shapes of the fake Bookshelf: Readarr v1 resources built from the fake's rows and RRG answers.

Field names follow ``ref/readarr/openapi.json`` (``additionalProperties: false`` there, so nothing extra);
null values are left out, as Readarr's serializer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EPOCH = "0001-01-01T00:00:00Z"


@dataclass
class EditionRow:
    """An edition of a book in the library (or of a lookup result)."""

    foreign_edition_id: str
    title: str
    id: int = 0
    book_id: int = 0
    isbn13: str = ""
    asin: str = ""
    language: str = ""
    format: str = ""
    is_ebook: bool = False
    publisher: str = ""
    page_count: int = 0
    release_date: str | None = None
    remote_cover: str = ""
    overview: str = ""
    monitored: bool = False
    manual_add: bool = False


@dataclass
class AuthorRow:
    """An author in the library, or one built from the metadata for a lookup (id 0)."""

    foreign_author_id: str
    name: str
    id: int = 0
    monitored: bool = False
    monitor_new_items: str = "all"
    quality_profile_id: int = 0
    metadata_profile_id: int = 0
    root_folder_path: str | None = None
    path: str | None = None
    tags: list[int] = field(default_factory=list)
    added: str = EPOCH
    image_url: str = ""
    url: str = ""


@dataclass
class BookRow:
    """A book in the library, or one built from the metadata for a lookup (id 0)."""

    foreign_book_id: str
    title: str
    author: AuthorRow
    editions: list[EditionRow]
    id: int = 0
    monitored: bool = False
    any_edition_ok: bool = True
    release_date: str | None = None
    page_count: int = 0
    genres: list[str] = field(default_factory=list)
    overview: str = ""
    remote_cover: str = ""
    url: str = ""
    added: str = EPOCH
    add_type: str = "automatic"
    search_for_new_book: bool = False

    @property
    def monitored_edition(self) -> EditionRow | None:
        return next((e for e in self.editions if e.monitored), None)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _date(value: str | None) -> str | None:
    return f"{value}T00:00:00Z" if value and len(value) == 10 else value


def _sort_last_first(name: str) -> str:
    parts = name.split()
    return f"{parts[-1]}, {' '.join(parts[:-1])}".strip(", ").lower() if parts else ""


def author_resource(author: AuthorRow) -> dict[str, Any]:
    """An ``AuthorResource``."""
    return _clean(
        {
            "id": author.id,
            "status": "continuing",
            "ended": False,
            "authorName": author.name,
            "authorNameLastFirst": _sort_last_first(author.name),
            "foreignAuthorId": author.foreign_author_id,
            "titleSlug": author.foreign_author_id,
            "overview": "",
            "links": [{"url": author.url, "name": "Hardcover"}] if author.url else [],
            "images": [{"url": author.image_url, "coverType": "poster", "remoteUrl": author.image_url}]
            if author.image_url
            else [],
            "path": author.path,
            "qualityProfileId": author.quality_profile_id,
            "metadataProfileId": author.metadata_profile_id,
            "monitored": author.monitored,
            "monitorNewItems": author.monitor_new_items,
            "rootFolderPath": author.root_folder_path,
            "folder": author.name,
            "genres": [],
            "cleanName": "".join(ch for ch in author.name.lower() if ch.isalnum()),
            "sortName": author.name.lower(),
            "sortNameLastFirst": _sort_last_first(author.name),
            "tags": list(author.tags),
            "added": author.added,
            "ratings": {"votes": 0, "value": 0.0, "popularity": 0.0},
        }
    )


def edition_resource(edition: EditionRow) -> dict[str, Any]:
    """An ``EditionResource``."""
    return _clean(
        {
            "id": edition.id,
            "bookId": edition.book_id,
            "foreignEditionId": edition.foreign_edition_id,
            "titleSlug": edition.foreign_edition_id,
            "isbn13": edition.isbn13,
            "asin": edition.asin,
            "title": edition.title,
            "language": edition.language,
            "overview": edition.overview,
            "format": edition.format,
            "isEbook": edition.is_ebook,
            "disambiguation": "",
            "publisher": edition.publisher,
            "pageCount": edition.page_count,
            "releaseDate": _date(edition.release_date),
            "images": [{"url": edition.remote_cover, "coverType": "cover", "remoteUrl": edition.remote_cover}]
            if edition.remote_cover
            else [],
            "links": [],
            "ratings": {"votes": 0, "value": 0.0, "popularity": 0.0},
            "monitored": edition.monitored,
            "manualAdd": edition.manual_add,
            "remoteCover": edition.remote_cover or None,
        }
    )


def book_resource(book: BookRow, *, with_author: bool, with_editions: bool) -> dict[str, Any]:
    """A ``BookResource``; ``GET /book`` leaves out author and editions, ``/search`` has both."""
    monitored = book.monitored_edition
    files = 0
    data: dict[str, Any] = {
        "id": book.id,
        "title": book.title,
        "authorTitle": f"{_sort_last_first(book.author.name)} {book.title}",
        "seriesTitle": "",
        "disambiguation": "",
        "overview": book.overview,
        "authorId": book.author.id,
        "foreignBookId": book.foreign_book_id,
        "foreignEditionId": monitored.foreign_edition_id if monitored else None,
        "titleSlug": book.foreign_book_id,
        "monitored": book.monitored,
        "anyEditionOk": book.any_edition_ok,
        "ratings": {"votes": 0, "value": 0.0, "popularity": 0.0},
        "releaseDate": _date(book.release_date),
        "pageCount": book.page_count,
        "genres": list(book.genres),
        "images": [{"url": book.remote_cover, "coverType": "cover", "remoteUrl": book.remote_cover}]
        if book.remote_cover
        else [],
        "links": [{"url": book.url, "name": "Hardcover"}] if book.url else [],
        "added": book.added if book.id else None,
        "remoteCover": book.remote_cover or None,
    }
    if book.id:
        data["statistics"] = {
            "bookFileCount": files,
            "bookCount": 1 if book.monitored else 0,
            "totalBookCount": 1,
            "sizeOnDisk": 0,
            "percentOfBooks": 0.0,
        }
        data["addOptions"] = {"addType": book.add_type, "searchForNewBook": book.search_for_new_book}
    if with_author:
        data["author"] = author_resource(book.author)
    if with_editions:
        data["editions"] = [edition_resource(e) for e in book.editions]
    return _clean(data)


def book_from_work(work: dict[str, Any]) -> BookRow:
    """Readarr's mapping of an RRG ``workResource`` to a book with its editions (best edition monitored)."""
    authors = work.get("Authors") or []
    first = authors[0] if authors else {"ForeignId": 0, "Name": "Unknown"}
    author = AuthorRow(
        foreign_author_id=str(first["ForeignId"]),
        name=str(first["Name"]),
        image_url=str(first.get("ImageUrl") or ""),
        url=str(first.get("Url") or ""),
    )
    best = work.get("BestBookId")
    editions = [
        EditionRow(
            foreign_edition_id=str(b["ForeignId"]),
            title=str(b.get("Title") or ""),
            isbn13=str(b.get("Isbn13") or ""),
            asin=str(b.get("Asin") or ""),
            language=str(b.get("Language") or ""),
            format=str(b.get("Format") or ""),
            is_ebook=bool(b.get("IsEbook")),
            publisher=str(b.get("Publisher") or ""),
            page_count=int(b.get("NumPages") or 0),
            release_date=b.get("ReleaseDate"),
            remote_cover=str(b.get("ImageUrl") or ""),
            overview=str(b.get("Description") or ""),
            monitored=b["ForeignId"] == best,
        )
        for b in work.get("Books") or []
    ]
    if editions and not any(e.monitored for e in editions):
        editions[0].monitored = True
    chosen = next((e for e in editions if e.monitored), None)
    return BookRow(
        foreign_book_id=str(work["ForeignId"]),
        title=str(work.get("Title") or ""),
        author=author,
        editions=editions,
        release_date=work.get("ReleaseDate"),
        page_count=chosen.page_count if chosen else 0,
        genres=list(work.get("Genres") or []),
        overview=chosen.overview if chosen else "",
        remote_cover=chosen.remote_cover if chosen else "",
        url=str(work.get("Url") or ""),
    )
