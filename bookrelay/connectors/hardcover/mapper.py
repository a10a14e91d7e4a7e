"""Hardcover wire JSON → bookrelay domain objects; the only code that builds them from Hardcover answers.

A field a write needs (ids, lengths, statuses, a read's dates and progress) that is malformed raises
``BadResponse`` naming the place (``user_books[2].status_id``), rule S3. Given a :class:`ShapeLog`, the
list mappers set such a row aside there instead, so that one odd row fails only the items that need
it. A field used only for scoring or display (alternative titles, images, contributors, series,
subtitles, counts) in an unexpected shape is read as empty, with one warning per field per run: what
real Hardcover sends for an empty json column is not certain, so no one shape is relied on.
Dates stay calendar dates: ``YYYY-MM-DD`` is parsed as a ``date``, never through a UTC datetime (§8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from bookrelay.connectors.hardcover.fields import (
    as_list,
    as_object,
    bad,
    each_row,
    float_field,
    int_field,
    loose_int,
    parse_date,
    req_int,
    soft,
    soft_int,
    soft_list,
    soft_str,
    str_field,
)
from bookrelay.connectors.hardcover.shape_log import ShapeLog
from bookrelay.domain.models import (
    Book,
    Edition,
    HardcoverUser,
    Read,
    ReadingFormat,
    SearchHit,
    SeriesRef,
    Status,
    UserBook,
)
from bookrelay.domain.shelves import HardcoverList, ListEntry


def map_me(me: Any, place: str = "me") -> HardcoverUser:
    """``data.me`` (a list, ref §4) → the token's owner."""
    rows = as_list(me, place)
    if not rows:
        raise bad(place, "empty: the token has no user")
    row = as_object(rows[0], f"{place}[0]")
    return HardcoverUser(
        id=req_int(row, "id", f"{place}[0]"),
        username=str_field(row, "username", f"{place}[0]") or "",
        name=str_field(row, "name", f"{place}[0]"),
        books_count=int_field(row, "books_count", f"{place}[0]") or 0,
    )


def map_read(wire: Any, place: str) -> Read:
    """A ``user_book_reads`` row → ``Read``."""
    row = as_object(wire, place)
    return Read(
        id=req_int(row, "id", place),
        edition_id=int_field(row, "edition_id", place),
        started_at=parse_date(row.get("started_at"), f"{place}.started_at"),
        finished_at=parse_date(row.get("finished_at"), f"{place}.finished_at"),
        paused_at=parse_date(row.get("paused_at"), f"{place}.paused_at"),
        progress_pages=int_field(row, "progress_pages", place),
        progress_seconds=int_field(row, "progress_seconds", place),
        progress=float_field(row, "progress", place),
    )


def _reading_format(value: int | None) -> ReadingFormat | None:
    try:
        return ReadingFormat(value) if value is not None else None
    except ValueError:
        return None  # a format added after our ref: unknown, not an error


def map_edition(wire: Any, place: str, shapes: ShapeLog | None = None) -> Edition:
    """An ``editions`` row → ``Edition``; ids, lengths and format must be right, the rest is forgiven."""
    row = as_object(wire, place)
    where = f"{place}.language"
    code = soft(
        lambda: str_field(as_object(row["language"], where), "code2", where) if row.get("language") else None,
        None,
        where,
        shapes,
    )
    return Edition(
        id=req_int(row, "id", place),
        book_id=req_int(row, "book_id", place),
        title=soft_str(row, "title", place, shapes),
        subtitle=soft_str(row, "subtitle", place, shapes),
        isbn_13=soft_str(row, "isbn_13", place, shapes),
        isbn_10=soft_str(row, "isbn_10", place, shapes),
        asin=soft_str(row, "asin", place, shapes),
        pages=int_field(row, "pages", place),
        audio_seconds=int_field(row, "audio_seconds", place),
        reading_format=_reading_format(int_field(row, "reading_format_id", place)),
        edition_format=soft_str(row, "edition_format", place, shapes),
        users_count=soft_int(row, "users_count", place, shapes) or 0,
        language=code,
    )


def _position(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _author(item: Any, place: str) -> str | None:
    entry = as_object(item, place)
    role = str_field(entry, "contribution", place)
    author = entry.get("author")
    # Hardcover leaves `contribution` null for the author; narrators, translators… are named.
    if author and (role is None or role.lower() == "author"):
        return str_field(as_object(author, f"{place}.author"), "name", f"{place}.author")
    return None


def _authors(value: Any, place: str, shapes: ShapeLog | None) -> tuple[str, ...]:
    names: list[str] = []
    for i, item in enumerate(soft_list(value, place, shapes)):
        name = soft(partial(_author, item, f"{place}[{i}]"), None, f"{place}[{i}]", shapes)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _series_ref(item: Any, place: str) -> SeriesRef | None:
    entry = as_object(item, place)
    series = entry.get("series")
    name = str_field(as_object(series, f"{place}.series"), "name", f"{place}.series") if series else None
    return SeriesRef(name=name, position=_position(entry.get("position"))) if name else None


def _series(value: Any, place: str, shapes: ShapeLog | None) -> tuple[SeriesRef, ...]:
    refs = (
        soft(partial(_series_ref, item, f"{place}[{i}]"), None, f"{place}[{i}]", shapes)
        for i, item in enumerate(soft_list(value, place, shapes))
    )
    return tuple(ref for ref in refs if ref is not None)


def _strings(value: Any, place: str, shapes: ShapeLog | None = None) -> tuple[str, ...]:
    return tuple(v for v in soft_list(value, place, shapes) if isinstance(v, str) and v.strip())


def _image_url(row: Mapping[str, Any], place: str, shapes: ShapeLog | None) -> str | None:
    where = f"{place}.image"
    return soft(
        lambda: str_field(as_object(row["image"], where), "url", where) if row.get("image") else None,
        None,
        where,
        shapes,
    )


def map_book(wire: Any, place: str, shapes: ShapeLog | None = None) -> Book:
    """A ``books`` row (with its editions when selected) → ``Book``; a malformed edition is set aside in
    ``shapes`` under this book (the items of this book fail), or raises without one."""
    row = as_object(wire, place)
    book_id = req_int(row, "id", place)
    editions = each_row(
        row.get("editions"),
        f"{place}.editions",
        lambda e, where: map_edition(e, where, shapes),
        shapes,
        lambda _: (book_id, ()),
    )
    return Book(
        id=book_id,
        title=soft_str(row, "title", place, shapes) or "",
        authors=_authors(row.get("contributions"), f"{place}.contributions", shapes),
        subtitle=soft_str(row, "subtitle", place, shapes),
        alternative_titles=_strings(row.get("alternative_titles"), f"{place}.alternative_titles", shapes),
        series=_series(row.get("book_series"), f"{place}.book_series", shapes),
        release_year=soft_int(row, "release_year", place, shapes),
        audio_seconds=soft_int(row, "audio_seconds", place, shapes),
        editions=tuple(editions),
        slug=soft_str(row, "slug", place, shapes),
        image_url=_image_url(row, place, shapes),
    )


def map_books(rows: Any, place: str, shapes: ShapeLog | None = None) -> list[Book]:
    """A list of ``books`` rows → ``Book``s (malformed ones set aside in ``shapes`` under their id, when
    given)."""
    return each_row(
        rows,
        place,
        lambda r, where: map_book(r, where, shapes),
        shapes,
        lambda r: (loose_int(r.get("id")), ()),
    )


def map_user_book(wire: Any, place: str, shapes: ShapeLog | None = None) -> UserBook:
    """A ``user_books`` row → ``UserBook`` with its reads newest first."""
    row = as_object(wire, place)
    status_id = req_int(row, "status_id", place)
    try:
        status = Status(status_id)
    except ValueError:
        raise bad(f"{place}.status_id", f"unknown status {status_id}") from None
    reads = [
        map_read(r, f"{place}.user_book_reads[{i}]")
        for i, r in enumerate(as_list(row.get("user_book_reads"), place))
    ]
    # Newest first whatever order the server used: ids grow with creation.
    reads.sort(key=lambda r: r.id, reverse=True)
    book = row.get("book")
    edition = row.get("edition")
    return UserBook(
        id=req_int(row, "id", place),
        book_id=req_int(row, "book_id", place),
        status=status,
        edition_id=int_field(row, "edition_id", place),
        rating=soft(lambda: float_field(row, "rating", place), None, f"{place}.rating", shapes),
        owned=bool(row.get("owned", False)),
        reads=tuple(reads),
        book=map_book(book, f"{place}.book", shapes) if book else None,
        edition=map_edition(edition, f"{place}.edition", shapes) if edition else None,
        date_added=soft(
            lambda: parse_date(row.get("date_added"), f"{place}.date_added"),
            None,
            f"{place}.date_added",
            shapes,
        ),
    )


def _user_book_of(row: Any) -> tuple[int | None, tuple[Any, ...]]:
    return loose_int(row.get("book_id")), ()


def map_user_books(rows: Any, place: str, shapes: ShapeLog | None = None) -> list[UserBook]:
    """A list of ``user_books`` rows → ``UserBook``s in the server's order (malformed ones set aside in
    ``shapes`` under their book, when given)."""
    return each_row(rows, place, lambda r, where: map_user_book(r, where, shapes), shapes, _user_book_of)


def _edition_of(row: Any) -> tuple[int | None, tuple[Any, ...]]:
    return loose_int(row.get("book_id")), (row.get("asin"), row.get("isbn_13"), row.get("isbn_10"))


def map_editions_with_books(
    rows: Any, place: str, shapes: ShapeLog | None = None
) -> tuple[list[Edition], list[Book]]:
    """``editions`` rows each with its ``book`` → the editions and their distinct books; a malformed row
    is set aside in ``shapes`` under its book and identifiers, when given."""
    books: dict[int, Book] = {}

    def one(item: Any, where: str) -> Edition:
        edition = map_edition(item, where, shapes)
        book = as_object(item, where).get("book")
        if book and edition.book_id not in books:
            books[edition.book_id] = map_book(book, f"{where}.book", shapes)
        return edition

    editions = each_row(rows, place, one, shapes, _edition_of)
    return editions, list(books.values())


def map_search(wire: Any, place: str = "search", shapes: ShapeLog | None = None) -> list[SearchHit]:
    """A book ``search`` answer → hits in rank order (``results`` is raw Typesense JSON, ref §4)."""
    row = as_object(wire, place)
    results = row.get("results")
    if isinstance(results, str):
        try:
            results = json.loads(results)
        except json.JSONDecodeError:
            raise bad(f"{place}.results", "not JSON") from None
    if results is None:
        return []
    hits = as_object(results, f"{place}.results").get("hits")
    # A hit is only a candidate: one with a malformed id is set aside, the others are scored.
    return each_row(hits, f"{place}.results.hits", lambda hit, where: _search_hit(hit, where, shapes), shapes)


def _search_hit(hit: Any, place: str, shapes: ShapeLog | None) -> SearchHit:
    where = f"{place}.document"
    doc = as_object(as_object(hit, place).get("document"), where)
    raw_id = doc.get("id")
    try:
        book_id = int(str(raw_id))  # Typesense ids are strings
    except (TypeError, ValueError):
        raise bad(f"{where}.id", f"not a book id: {raw_id!r}") from None
    return SearchHit(
        book_id=book_id,
        title=soft_str(doc, "title", where, shapes) or "",
        authors=_strings(doc.get("author_names"), f"{where}.author_names", shapes),
        series=_strings(doc.get("series_names"), f"{where}.series_names", shapes),
        alternative_titles=_strings(doc.get("alternative_titles"), f"{where}.alternative_titles", shapes),
        isbns=_strings(doc.get("isbns"), f"{where}.isbns", shapes),
        release_year=soft_int(doc, "release_year", where, shapes),
        audio_seconds=soft_int(doc, "audio_seconds", where, shapes),
        pages=soft_int(doc, "pages", where, shapes),
        users_count=soft_int(doc, "users_count", where, shapes) or 0,
        image_url=_image_url(doc, where, shapes),
    )


def map_lists(rows: Any, place: str = "lists") -> list[HardcoverList]:
    """``lists`` rows with their ``list_books`` → ``HardcoverList``s (scrobble's lists and owned steps)."""
    found: list[HardcoverList] = []
    for i, wire in enumerate(as_list(rows, place)):
        where = f"{place}[{i}]"
        row = as_object(wire, where)
        entries = tuple(
            ListEntry(
                id=req_int(as_object(e, f"{where}.list_books[{j}]"), "id", f"{where}.list_books[{j}]"),
                book_id=req_int(e, "book_id", f"{where}.list_books[{j}]"),
                edition_id=int_field(e, "edition_id", f"{where}.list_books[{j}]"),
            )
            for j, e in enumerate(as_list(row.get("list_books"), f"{where}.list_books"))
        )
        name = str_field(row, "name", where)
        if name is None:
            raise bad(f"{where}.name", "missing")
        found.append(HardcoverList(id=req_int(row, "id", where), name=name, entries=entries))
    return found
