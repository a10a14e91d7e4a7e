"""Wire shapes of Bookshelf's v1 API (ref/readarr/openapi.json), only the fields bookrelay reads or sends."""

from __future__ import annotations

from typing import TypedDict


class SystemStatus(TypedDict, total=False):
    """``GET /api/v1/system/status`` (``SystemResource``)."""

    appName: str
    instanceName: str
    version: str


class EditionWire(TypedDict, total=False):
    """``EditionResource``."""

    id: int
    bookId: int
    foreignEditionId: str
    title: str
    isbn13: str
    asin: str
    format: str
    monitored: bool


class AuthorWire(TypedDict, total=False):
    """``AuthorResource``."""

    id: int
    authorName: str
    foreignAuthorId: str
    monitored: bool


class BookWire(TypedDict, total=False):
    """``BookResource``: ``author`` and ``editions`` are absent (or null) on ``GET /book``."""

    id: int
    title: str
    foreignBookId: str
    foreignEditionId: str
    monitored: bool
    remoteCover: str
    author: AuthorWire | None
    editions: list[EditionWire] | None


class AddAuthorOptionsWire(TypedDict):
    """``AddAuthorOptions`` as bookrelay sends it: monitor only the named books."""

    booksToMonitor: list[str]
    searchForMissingBooks: bool


class AddAuthorWire(TypedDict):
    """The ``author`` part of an add-book request."""

    foreignAuthorId: str
    qualityProfileId: int
    metadataProfileId: int
    rootFolderPath: str
    monitored: bool
    monitorNewItems: str
    tags: list[int]
    addOptions: AddAuthorOptionsWire


class AddEditionWire(TypedDict):
    """The one monitored edition of an add-book request."""

    foreignEditionId: str
    monitored: bool


class AddBookOptionsWire(TypedDict):
    """``AddBookOptions``."""

    searchForNewBook: bool


class AddBookRequest(TypedDict):
    """``POST /api/v1/book`` body (ref A.5's minimal payload)."""

    foreignBookId: str
    monitored: bool
    anyEditionOk: bool
    editions: list[AddEditionWire]
    author: AddAuthorWire
    addOptions: AddBookOptionsWire
