"""Shelf files: a Hardcover shelf as Goodreads-compatible CSV (which StoryGraph and Hardcover import) or
JSON, and Goodreads or StoryGraph CSV read back into rows. Pure text in, text out.

Goodreads has three exclusive shelves; Hardcover's statuses 4-6 are written as the exclusive shelves
``paused``, ``did-not-finish`` and ``ignored`` (StoryGraph uses the first two as read statuses too).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from bookrelay.domain.models import Status
from bookrelay.errors import ConfigError

SHELF_OF_STATUS = {
    Status.WANT_TO_READ: "to-read",
    Status.READING: "currently-reading",
    Status.READ: "read",
    Status.PAUSED: "paused",
    Status.DID_NOT_FINISH: "did-not-finish",
    Status.IGNORED: "ignored",
}
STATUS_OF_SHELF = {
    **{shelf: status for status, shelf in SHELF_OF_STATUS.items()},
    "want-to-read": Status.WANT_TO_READ,
    "reading": Status.READING,
    "dnf": Status.DID_NOT_FINISH,
    "abandoned": Status.DID_NOT_FINISH,
}
# The Goodreads export's columns, in its order, plus bookrelay's "Date Started" (importers ignore it).
GOODREADS_COLUMNS = (
    "Book Id", "Title", "Author", "Author l-f", "Additional Authors", "ISBN", "ISBN13", "My Rating",
    "Average Rating", "Publisher", "Binding", "Number of Pages", "Year Published",
    "Original Publication Year", "Date Read", "Date Added", "Bookshelves", "Bookshelves with positions",
    "Exclusive Shelf", "My Review", "Spoiler", "Private Notes", "Read Count", "Owned Copies",
    "Date Started",
)  # fmt: skip
_ISBN_CELL = re.compile(r'^="?([0-9Xx-]*)"?$')
_DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y")
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class ListEntry:
    """A book on a Hardcover list (``list_books``)."""

    id: int
    book_id: int
    edition_id: int | None = None


@dataclass(frozen=True, slots=True)
class HardcoverList:
    """One of the user's Hardcover lists with its books."""

    id: int
    name: str
    entries: tuple[ListEntry, ...] = ()

    @property
    def book_ids(self) -> set[int]:
        """The ids of the books on the list."""
        return {e.book_id for e in self.entries}


@dataclass(frozen=True, slots=True)
class ShelfRow:
    """One book of a shelf file: what it names and what the reader recorded about it."""

    title: str
    authors: tuple[str, ...] = ()
    isbn: str | None = None
    isbn13: str | None = None
    status: Status | None = None
    rating: float | None = None
    date_added: date | None = None
    date_started: date | None = None
    date_read: date | None = None
    read_count: int = 0
    shelves: tuple[str, ...] = ()
    owned_copies: int = 0
    binding: str | None = None
    hardcover_book_id: int | None = None
    line: int = 0  # where it was in the file (1 = the first data row)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``Title — Author`` for messages."""
        return f"{self.title} — {self.authors[0]}" if self.authors else self.title


def check_rating(value: float | None, place: str = "--rating") -> float | None:
    """A Hardcover rating: 0.5..5 in half steps (None clears); ConfigError naming ``place`` otherwise."""
    if value is None:
        return None
    if not 0.5 <= value <= 5 or (value * 2) != int(value * 2):
        raise ConfigError(f"must be 0.5..5 in half steps, not {value}", place=place)
    return float(value)


def _fmt_date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _fmt_rating(value: float | None) -> str:
    if value is None:
        return "0"  # Goodreads writes 0 for "not rated"
    return str(int(value)) if value == int(value) else str(value)


def to_goodreads_csv(rows: Iterable[ShelfRow]) -> str:
    """The rows as a Goodreads export (ISBNs as ``="…"`` cells, dates ``YYYY/MM/DD``, rating 0 = none)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=GOODREADS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        author = row.authors[0] if row.authors else ""
        last_first = ", ".join(reversed(author.rsplit(" ", 1))) if " " in author else author
        shelf = SHELF_OF_STATUS.get(row.status, "") if row.status is not None else ""
        writer.writerow(
            {
                "Book Id": row.hardcover_book_id or "",
                "Title": row.title,
                "Author": author,
                "Author l-f": last_first,
                "Additional Authors": ", ".join(row.authors[1:]),
                "ISBN": f'="{row.isbn or ""}"',
                "ISBN13": f'="{row.isbn13 or ""}"',
                "My Rating": _fmt_rating(row.rating),
                "Binding": row.binding or "",
                "Date Read": _fmt_date(row.date_read),
                "Date Added": _fmt_date(row.date_added),
                "Bookshelves": ", ".join(row.shelves),
                "Bookshelves with positions": ", ".join(row.shelves),
                "Exclusive Shelf": shelf,
                "Read Count": str(row.read_count),
                "Owned Copies": str(row.owned_copies),
                "Date Started": _fmt_date(row.date_started),
            }
        )
    return out.getvalue()


def to_json(rows: Iterable[ShelfRow]) -> str:
    """The rows as a JSON list (dates ISO, status by name)."""

    def plain(row: ShelfRow) -> dict[str, Any]:
        data = asdict(row)
        data.pop("line")
        data["status"] = SHELF_OF_STATUS.get(row.status) if row.status is not None else None
        for key in ("date_added", "date_started", "date_read"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    return json.dumps([plain(r) for r in rows], indent=2, ensure_ascii=False) + "\n"


# -- reading -------------------------------------------------------------------------------------


def _parse_date(value: str, place: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ConfigError(f"{text!r} is not a date (YYYY/MM/DD)", place=place)


def _parse_isbn(value: str | None) -> str | None:
    text = (value or "").strip()
    match = _ISBN_CELL.match(text)
    digits = (match.group(1) if match else text).replace("-", "").upper()
    return digits or None


def _parse_rating(value: str, place: str) -> float | None:
    text = value.strip()
    if not text or text == "0":
        return None
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a rating", place=place) from None
    # StoryGraph allows quarter stars; Hardcover takes halves: round to the nearest half.
    return check_rating(max(0.5, round(number * 2) / 2), place)


def _status(value: str, place: str) -> Status | None:
    text = value.strip().lower()
    if not text:
        return None
    if text not in STATUS_OF_SHELF:
        raise ConfigError(f"unknown shelf or read status {value!r}", place=place)
    return STATUS_OF_SHELF[text]


def _int(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() else 0


def parse_shelf_csv(text: str, source: str = "file") -> list[ShelfRow]:
    """Rows of a Goodreads or StoryGraph CSV export (told apart by their headers).

    Raises ConfigError naming ``source``, the line and the column for anything it cannot read.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = set(reader.fieldnames or ())
    if {"Title", "Exclusive Shelf"} <= headers:
        parse = _goodreads_row
    elif {"Title", "Read Status"} <= headers:
        parse = _storygraph_row
    else:
        raise ConfigError(
            "not a Goodreads or StoryGraph CSV export (no Title/Exclusive Shelf header)", place=source
        )
    rows: list[ShelfRow] = []
    for number, raw in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise ConfigError(f"more than {MAX_ROWS} rows", place=source)
        place = f"{source}:{number + 1}"  # +1: the header is line 1
        title = (raw.get("Title") or "").strip()
        if not title:
            raise ConfigError("empty Title", place=place)
        rows.append(parse(raw, title, number, place))
    return rows


def _goodreads_row(raw: dict[str, str], title: str, line: int, place: str) -> ShelfRow:
    authors = [raw.get("Author", "").strip()] + [
        a.strip() for a in (raw.get("Additional Authors") or "").split(",") if a.strip()
    ]
    book_id = (raw.get("Book Id") or "").strip()
    return ShelfRow(
        title=title,
        authors=tuple(a for a in authors if a),
        isbn=_parse_isbn(raw.get("ISBN")),
        isbn13=_parse_isbn(raw.get("ISBN13")),
        status=_status(raw.get("Exclusive Shelf") or "", f"{place}: Exclusive Shelf"),
        rating=_parse_rating(raw.get("My Rating") or "", f"{place}: My Rating"),
        date_added=_parse_date(raw.get("Date Added") or "", f"{place}: Date Added"),
        date_started=_parse_date(raw.get("Date Started") or "", f"{place}: Date Started"),
        date_read=_parse_date(raw.get("Date Read") or "", f"{place}: Date Read"),
        read_count=_int(raw.get("Read Count")),
        shelves=tuple(s.strip() for s in (raw.get("Bookshelves") or "").split(",") if s.strip()),
        owned_copies=_int(raw.get("Owned Copies")),
        binding=(raw.get("Binding") or "").strip() or None,
        hardcover_book_id=int(book_id) if book_id.isdigit() else None,
        line=line,
    )


def _storygraph_row(raw: dict[str, str], title: str, line: int, place: str) -> ShelfRow:
    isbn = _parse_isbn(raw.get("ISBN/UID"))
    started = None
    dates = (raw.get("Dates Read") or "").split(",")[-1].strip()  # "2024/01/02-2024/02/03", newest last
    if "-" in dates and "/" in dates:
        started = _parse_date(dates.split("-", 1)[0], f"{place}: Dates Read")
    return ShelfRow(
        title=title,
        authors=tuple(a.strip() for a in (raw.get("Authors") or "").split(",") if a.strip()),
        isbn=isbn if isbn and len(isbn) == 10 else None,
        isbn13=isbn if isbn and len(isbn) == 13 else None,
        status=_status(raw.get("Read Status") or "", f"{place}: Read Status"),
        rating=_parse_rating(raw.get("Star Rating") or "", f"{place}: Star Rating"),
        date_added=_parse_date(raw.get("Date Added") or "", f"{place}: Date Added"),
        date_started=started,
        date_read=_parse_date(raw.get("Last Date Read") or "", f"{place}: Last Date Read"),
        read_count=_int(raw.get("Read Count")),
        shelves=tuple(s.strip() for s in (raw.get("Tags") or "").split(",") if s.strip()),
        owned_copies=1 if (raw.get("Owned?") or "").strip().lower() == "yes" else 0,
        binding=(raw.get("Format") or "").strip() or None,
        line=line,
    )


def is_audio_binding(binding: str | None) -> bool:
    """Whether a Binding/Format cell names an audiobook ("Audiobook", "Audible Audio", "audio")."""
    return bool(binding) and "audio" in (binding or "").lower()


def blank_features(row: ShelfRow, keep: Sequence[str]) -> ShelfRow:
    """The row with the features not in ``keep`` (status, rating, dates, owned) left out (S10)."""
    changes: dict[str, Any] = {}
    if "status" not in keep:
        changes["status"] = None
    if "rating" not in keep:
        changes["rating"] = None
    if "dates" not in keep:
        changes.update(date_added=None, date_started=None, date_read=None)
    if "owned" not in keep:
        changes["owned_copies"] = 0
    if "lists" not in keep:
        changes["shelves"] = ()
    return replace(row, **changes)
