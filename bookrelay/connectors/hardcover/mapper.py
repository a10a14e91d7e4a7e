"""Hardcover wire JSON → bookrelay domain objects; the only code that builds them from Hardcover answers.

Anything malformed raises ``BadResponse`` naming the place (``user_books[2].status_id``), rule S3.
Dates stay calendar dates: ``YYYY-MM-DD`` is parsed as a ``date``, never through a UTC datetime (§8).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

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
from bookrelay.errors import BadResponse

SERVICE = "hardcover"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bad(place: str, problem: str) -> BadResponse:
    return BadResponse(f"{place}: {problem}", service=SERVICE)


def _obj(value: Any, place: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(place, f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, place: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _bad(place, f"expected a list, got {type(value).__name__}")
    return value


def _int(obj: Mapping[str, Any], key: str, place: str, *, required: bool = False) -> int | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(f"{place}.{key}", "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise _bad(f"{place}.{key}", f"expected an integer, got {value!r}")
    return int(value)


def _req_int(obj: Mapping[str, Any], key: str, place: str) -> int:
    value = _int(obj, key, place, required=True)
    assert value is not None
    return value


def _float(obj: Mapping[str, Any], key: str, place: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(f"{place}.{key}", f"expected a number, got {value!r}")
    try:
        # Hasura may serialise `numeric` as a string.
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f"{place}.{key}", f"expected a number, got {value!r}") from None


def _str(obj: Mapping[str, Any], key: str, place: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"{place}.{key}", f"expected a string, got {value!r}")
    return value


def parse_date(value: Any, place: str) -> date | None:
    """A wire ``date`` (``YYYY-MM-DD``) as a calendar date; ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise _bad(place, f"expected a YYYY-MM-DD date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(place, f"not a calendar date: {value!r}") from None


def map_me(me: Any, place: str = "me") -> HardcoverUser:
    """``data.me`` (a list, ref §4) → the token's owner."""
    rows = _list(me, place)
    if not rows:
        raise _bad(place, "empty: the token has no user")
    row = _obj(rows[0], f"{place}[0]")
    return HardcoverUser(
        id=_req_int(row, "id", f"{place}[0]"),
        username=_str(row, "username", f"{place}[0]") or "",
        name=_str(row, "name", f"{place}[0]"),
        books_count=_int(row, "books_count", f"{place}[0]") or 0,
    )


def map_read(wire: Any, place: str) -> Read:
    """A ``user_book_reads`` row → ``Read``."""
    row = _obj(wire, place)
    return Read(
        id=_req_int(row, "id", place),
        edition_id=_int(row, "edition_id", place),
        started_at=parse_date(row.get("started_at"), f"{place}.started_at"),
        finished_at=parse_date(row.get("finished_at"), f"{place}.finished_at"),
        paused_at=parse_date(row.get("paused_at"), f"{place}.paused_at"),
        progress_pages=_int(row, "progress_pages", place),
        progress_seconds=_int(row, "progress_seconds", place),
        progress=_float(row, "progress", place),
    )


def _reading_format(value: int | None) -> ReadingFormat | None:
    try:
        return ReadingFormat(value) if value is not None else None
    except ValueError:
        return None  # a format added after our ref: unknown, not an error


def map_edition(wire: Any, place: str) -> Edition:
    """An ``editions`` row → ``Edition``."""
    row = _obj(wire, place)
    language = row.get("language")
    code = _str(_obj(language, f"{place}.language"), "code2", f"{place}.language") if language else None
    return Edition(
        id=_req_int(row, "id", place),
        book_id=_req_int(row, "book_id", place),
        title=_str(row, "title", place),
        subtitle=_str(row, "subtitle", place),
        isbn_13=_str(row, "isbn_13", place),
        isbn_10=_str(row, "isbn_10", place),
        asin=_str(row, "asin", place),
        pages=_int(row, "pages", place),
        audio_seconds=_int(row, "audio_seconds", place),
        reading_format=_reading_format(_int(row, "reading_format_id", place)),
        edition_format=_str(row, "edition_format", place),
        users_count=_int(row, "users_count", place) or 0,
        language=code,
    )


def _position(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _authors(contributions: Sequence[Any], place: str) -> tuple[str, ...]:
    names: list[str] = []
    for i, item in enumerate(contributions):
        entry = _obj(item, f"{place}[{i}]")
        role = _str(entry, "contribution", f"{place}[{i}]")
        author = entry.get("author")
        # Hardcover leaves `contribution` null for the author; narrators, translators… are named.
        if author and (role is None or role.lower() == "author"):
            name = _str(_obj(author, f"{place}[{i}].author"), "name", f"{place}[{i}].author")
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _series(rows: Sequence[Any], place: str) -> tuple[SeriesRef, ...]:
    refs: list[SeriesRef] = []
    for i, item in enumerate(rows):
        entry = _obj(item, f"{place}[{i}]")
        series = entry.get("series")
        name = _str(_obj(series, f"{place}[{i}].series"), "name", f"{place}[{i}].series") if series else None
        if name:
            refs.append(SeriesRef(name=name, position=_position(entry.get("position"))))
    return tuple(refs)


def _strings(value: Any, place: str) -> tuple[str, ...]:
    return tuple(v for v in _list(value, place) if isinstance(v, str) and v.strip())


def map_book(wire: Any, place: str) -> Book:
    """A ``books`` row (with its editions when selected) → ``Book``."""
    row = _obj(wire, place)
    image = row.get("image")
    editions = tuple(
        map_edition(e, f"{place}.editions[{i}]") for i, e in enumerate(_list(row.get("editions"), place))
    )
    return Book(
        id=_req_int(row, "id", place),
        title=_str(row, "title", place) or "",
        authors=_authors(_list(row.get("contributions"), f"{place}.contributions"), f"{place}.contributions"),
        subtitle=_str(row, "subtitle", place),
        alternative_titles=_strings(row.get("alternative_titles"), f"{place}.alternative_titles"),
        series=_series(_list(row.get("book_series"), f"{place}.book_series"), f"{place}.book_series"),
        release_year=_int(row, "release_year", place),
        audio_seconds=_int(row, "audio_seconds", place),
        editions=editions,
        slug=_str(row, "slug", place),
        image_url=_str(_obj(image, f"{place}.image"), "url", f"{place}.image") if image else None,
    )


def map_user_book(wire: Any, place: str) -> UserBook:
    """A ``user_books`` row → ``UserBook`` with its reads newest first."""
    row = _obj(wire, place)
    status_id = _req_int(row, "status_id", place)
    try:
        status = Status(status_id)
    except ValueError:
        raise _bad(f"{place}.status_id", f"unknown status {status_id}") from None
    reads = [
        map_read(r, f"{place}.user_book_reads[{i}]")
        for i, r in enumerate(_list(row.get("user_book_reads"), place))
    ]
    # Newest first whatever order the server used: ids grow with creation.
    reads.sort(key=lambda r: r.id, reverse=True)
    book = row.get("book")
    edition = row.get("edition")
    return UserBook(
        id=_req_int(row, "id", place),
        book_id=_req_int(row, "book_id", place),
        status=status,
        edition_id=_int(row, "edition_id", place),
        rating=_float(row, "rating", place),
        owned=bool(row.get("owned", False)),
        reads=tuple(reads),
        book=map_book(book, f"{place}.book") if book else None,
        edition=map_edition(edition, f"{place}.edition") if edition else None,
        date_added=parse_date(row.get("date_added"), f"{place}.date_added"),
    )


def map_user_books(rows: Any, place: str) -> list[UserBook]:
    """A list of ``user_books`` rows → ``UserBook``s in the server's order."""
    return [map_user_book(r, f"{place}[{i}]") for i, r in enumerate(_list(rows, place))]


def map_editions_with_books(rows: Any, place: str) -> tuple[list[Edition], list[Book]]:
    """``editions`` rows each with its ``book`` → the editions and their distinct books."""
    editions: list[Edition] = []
    books: dict[int, Book] = {}
    for i, item in enumerate(_list(rows, place)):
        edition = map_edition(item, f"{place}[{i}]")
        editions.append(edition)
        book = _obj(item, f"{place}[{i}]").get("book")
        if book and edition.book_id not in books:
            books[edition.book_id] = map_book(book, f"{place}[{i}].book")
    return editions, list(books.values())


def map_search(wire: Any, place: str = "search") -> list[SearchHit]:
    """A book ``search`` answer → hits in rank order (``results`` is raw Typesense JSON, ref §4)."""
    row = _obj(wire, place)
    results = row.get("results")
    if isinstance(results, str):
        try:
            results = json.loads(results)
        except json.JSONDecodeError:
            raise _bad(f"{place}.results", "not JSON") from None
    if results is None:
        return []
    hits = _list(_obj(results, f"{place}.results").get("hits"), f"{place}.results.hits")
    out: list[SearchHit] = []
    for i, hit in enumerate(hits):
        where = f"{place}.results.hits[{i}].document"
        doc = _obj(_obj(hit, f"{place}.results.hits[{i}]").get("document"), where)
        raw_id = doc.get("id")
        try:
            book_id = int(str(raw_id))  # Typesense ids are strings
        except (TypeError, ValueError):
            raise _bad(f"{where}.id", f"not a book id: {raw_id!r}") from None
        image = doc.get("image")
        out.append(
            SearchHit(
                book_id=book_id,
                title=_str(doc, "title", where) or "",
                authors=_strings(doc.get("author_names"), f"{where}.author_names"),
                series=_strings(doc.get("series_names"), f"{where}.series_names"),
                alternative_titles=_strings(doc.get("alternative_titles"), f"{where}.alternative_titles"),
                isbns=_strings(doc.get("isbns"), f"{where}.isbns"),
                release_year=_int(doc, "release_year", where),
                audio_seconds=_int(doc, "audio_seconds", where),
                pages=_int(doc, "pages", where),
                users_count=_int(doc, "users_count", where) or 0,
                image_url=_str(image, "url", f"{where}.image") if isinstance(image, Mapping) else None,
            )
        )
    return out


def map_lists(rows: Any, place: str = "lists") -> list[HardcoverList]:
    """``lists`` rows with their ``list_books`` → ``HardcoverList``s (scrobble's lists and owned steps)."""
    found: list[HardcoverList] = []
    for i, wire in enumerate(_list(rows, place)):
        where = f"{place}[{i}]"
        row = _obj(wire, where)
        entries = tuple(
            ListEntry(
                id=_req_int(_obj(e, f"{where}.list_books[{j}]"), "id", f"{where}.list_books[{j}]"),
                book_id=_req_int(e, "book_id", f"{where}.list_books[{j}]"),
                edition_id=_int(e, "edition_id", f"{where}.list_books[{j}]"),
            )
            for j, e in enumerate(_list(row.get("list_books"), f"{where}.list_books"))
        )
        name = _str(row, "name", where)
        if name is None:
            raise _bad(f"{where}.name", "missing")
        found.append(HardcoverList(id=_req_int(row, "id", where), name=name, entries=entries))
    return found
