"""The wire JSON of Hardcover answers and inputs, as the documents in ``documents.py`` select them.

Field names and nullability follow ref/hardcover/schema.json; dates are ``YYYY-MM-DD`` strings.
"""

from __future__ import annotations

from typing import Any, TypedDict


class MeWire(TypedDict, total=False):
    """One element of ``me`` (a list: read ``data.me[0]``)."""

    id: int
    username: str | None
    name: str | None
    books_count: int


class ReadWire(TypedDict, total=False):
    """A ``user_book_reads`` row (READ_FIELDS)."""

    id: int
    edition_id: int | None
    started_at: str | None
    finished_at: str | None
    paused_at: str | None
    progress: float | None
    progress_pages: int | None
    progress_seconds: int | None


class LanguageWire(TypedDict, total=False):
    """``languages`` as selected under an edition."""

    code2: str | None


class ImageWire(TypedDict, total=False):
    """``images`` as selected under a book."""

    url: str | None


class AuthorWire(TypedDict, total=False):
    """``authors`` as selected under a contribution."""

    name: str


class ContributionWire(TypedDict, total=False):
    """``contributions``; ``contribution`` is null for the author, else "Narrator", "Afterword", …"""

    contribution: str | None
    author: AuthorWire | None


class SeriesWire(TypedDict, total=False):
    """``series`` as selected under a book_series row."""

    name: str


class BookSeriesWire(TypedDict, total=False):
    """``book_series``: a book's place in one series."""

    position: float | None
    series: SeriesWire | None


class EditionWire(TypedDict, total=False):
    """``editions`` (EDITION_FIELDS), optionally with its ``book``."""

    id: int
    book_id: int
    title: str | None
    subtitle: str | None
    isbn_13: str | None
    isbn_10: str | None
    asin: str | None
    pages: int | None
    audio_seconds: int | None
    reading_format_id: int
    edition_format: str | None
    users_count: int
    language: LanguageWire | None
    book: BookWire


class BookWire(TypedDict, total=False):
    """``books`` (BOOK_FIELDS), optionally with its ``editions``."""

    id: int
    title: str | None
    subtitle: str | None
    slug: str | None
    release_year: int | None
    alternative_titles: list[str] | None
    audio_seconds: int | None
    image: ImageWire | None
    contributions: list[ContributionWire]
    book_series: list[BookSeriesWire]
    editions: list[EditionWire]


class UserBookWire(TypedDict, total=False):
    """``user_books`` (USER_BOOK_FIELDS), with ``book``/``edition`` on shelf queries."""

    id: int
    book_id: int
    edition_id: int | None
    status_id: int
    rating: float | str | None  # numeric: Hasura may send it as a string
    owned: bool
    user_book_reads: list[ReadWire]
    book: BookWire | None
    edition: EditionWire | None


class UserBookResultWire(TypedDict, total=False):
    """``UserBookIdType``: the answer of insert_user_book / update_user_book (check ``error``, N3)."""

    id: int | None
    error: str | None
    user_book: UserBookWire | None


class ReadResultWire(TypedDict, total=False):
    """``UserBookReadIdType``: the answer of insert_user_book_read / update_user_book_read."""

    id: int | None
    error: str | None
    user_book_read: ReadWire | None


class SearchDocumentWire(TypedDict, total=False):
    """One Typesense hit document of a book ``search`` (``id`` is a string there)."""

    id: str | int
    title: str
    author_names: list[str]
    series_names: list[str]
    alternative_titles: list[str]
    isbns: list[str]
    release_year: int | None
    audio_seconds: int | None
    pages: int | None
    users_count: int
    image: ImageWire | None


class SearchHitWire(TypedDict, total=False):
    """One entry of ``results.hits``."""

    document: SearchDocumentWire


class SearchResultsWire(TypedDict, total=False):
    """``SearchOutput.results``: the raw Typesense answer."""

    found: int
    hits: list[SearchHitWire]


class SearchWire(TypedDict, total=False):
    """``SearchOutput`` as selected by SEARCH_BOOKS."""

    ids: list[int | None] | None
    results: SearchResultsWire | str | None
    error: str | None


class DatesReadInputWire(TypedDict, total=False):
    """``DatesReadInput``: omitted keys keep their value on update, explicit null clears (ref §6.3)."""

    edition_id: int | None
    started_at: str | None
    finished_at: str | None
    progress_pages: int | None
    progress_seconds: int | None
    id: int | None
    action: str | None
    action_at: str | None
    finished_at_precision: int | None


JsonObject = dict[str, Any]
