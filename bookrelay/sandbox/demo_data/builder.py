"""The fixture builder and its tables: the demo's credentials and plan limits, Hardcover's format and
status ids, deterministic identifiers (valid check digits, from counters) and :class:`FixtureBuilder`,
which benchmarks use to build their (much larger) fixtures the same way as the demo."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stdnum import ean as stdnum_ean
from stdnum import isbn as stdnum_isbn

DEMO_HARDCOVER_TOKEN = "hc_pat_demo"
DEMO_ABS_KEY = "abs-demo-key"
DEMO_ABS_USER = "demo"
DEMO_HARDCOVER_USER_ID = 1
FREE_PLAN_LIMITS = {"per_minute": 60, "burst": 10, "daily": 5000, "max_top_level": 5}

AUDIO, EBOOK, PRINT = 2, 4, 1  # Hardcover reading_format_id
WANT_TO_READ, READING, READ, PAUSED, DID_NOT_FINISH = 1, 2, 3, 4, 5  # Hardcover status_id
HOUR = 3600


def make_isbn13(n: int, prefix: str = "9781") -> str:
    """A valid ISBN-13 (correct check digit) numbered ``n``; distinct ``n`` give distinct ISBNs."""
    body = f"{prefix}{n:0{12 - len(prefix)}d}"
    return body + stdnum_ean.calc_check_digit(body)


def make_isbn10(isbn13: str) -> str:
    """The ISBN-10 form of a 978 ISBN-13."""
    return str(stdnum_isbn.to_isbn10(isbn13))


def make_asin(n: int, tag: str = "A") -> str:
    """An ASIN of Amazon's ``B0…`` form (10 upper-case characters); ``tag`` separates audio and Kindle ids."""
    return f"B0{tag}{n:0{7}d}"[:10]


def spoil_checksum(isbn13: str) -> str:
    """The same ISBN with a wrong check digit (a typo as taggers produce it)."""
    return isbn13[:-1] + str((int(isbn13[-1]) + 1) % 10)


def ms(day: str, hour: int = 12) -> int:
    """Epoch milliseconds of ``day`` (YYYY-MM-DD) at ``hour`` UTC, as ABS stores timestamps."""
    when = datetime.strptime(day, "%Y-%m-%d").replace(hour=hour, tzinfo=UTC)
    return int(when.timestamp() * 1000)


class FixtureBuilder:
    """Collects Hardcover books, editions and shelf entries and ABS items and progress into one fixture."""

    def __init__(self, *, hc_user: str = "demo", abs_user: str = DEMO_ABS_USER) -> None:
        self.hc_user, self.abs_user = hc_user, abs_user
        self.authors: dict[str, int] = {}
        self.series: dict[str, int] = {}
        self.books: list[dict[str, Any]] = []
        self.editions: list[dict[str, Any]] = []
        self.user_books: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.podcasts: list[dict[str, Any]] = []
        self.progress: list[dict[str, Any]] = []
        self._read_id = 7000
        self._book_by_id: dict[int, dict[str, Any]] = {}
        self._item_by_key: dict[str, dict[str, Any]] = {}  # by id when given, else by title

    def _author_ids(self, names: list[str]) -> list[int]:
        return [self.authors.setdefault(name, len(self.authors) + 1) for name in names]

    def book(
        self,
        title: str,
        authors: list[str],
        *,
        year: int | None = None,
        series: tuple[str, int] | None = None,
        alternative_titles: tuple[str, ...] = (),
        subtitle: str | None = None,
        users_count: int = 100,
    ) -> int:
        """Add a Hardcover book; returns its id."""
        book_id = 100 + len(self.books)
        row: dict[str, Any] = {
            "id": book_id,
            "title": title,
            "subtitle": subtitle,
            "author_ids": self._author_ids(authors),
            "release_year": year,
            "alternative_titles": list(alternative_titles),
            "users_count": users_count,
        }
        if series is not None:
            sid = self.series.setdefault(series[0], len(self.series) + 1)
            row["series"] = [{"series_id": sid, "position": series[1]}]
        self.books.append(row)
        self._book_by_id[book_id] = row
        return book_id

    def edition(
        self, book_id: int, fmt: int, *, title: str | None = None, users_count: int = 10, **ids: Any
    ) -> int:
        """Add an edition (``isbn_13``, ``isbn_10``, ``asin``, ``audio_seconds``, ``pages`` as keywords)."""
        edition_id = 1000 + len(self.editions)
        book = self._book_by_id[book_id]
        self.editions.append(
            {
                "id": edition_id,
                "book_id": book_id,
                "title": title or book["title"],
                "reading_format_id": fmt,
                "edition_format": {AUDIO: "Audible Audio", EBOOK: "Kindle Edition", PRINT: "Hardcover"}[fmt],
                "users_count": users_count,
                "language": "en",
                **ids,
            }
        )
        return edition_id

    def shelve(self, book_id: int, status: int, edition_id: int | None, *reads: dict[str, Any]) -> int:
        """Put a book on the Hardcover user's shelf with these reads (newest first); returns the entry id."""
        entry_id = 5000 + len(self.user_books)
        stored = []
        for read in reads:
            self._read_id += 1
            stored.append({"id": self._read_id, "edition_id": edition_id, **read})
        self.user_books.append(
            {
                "id": entry_id,
                "user_id": DEMO_HARDCOVER_USER_ID,
                "book_id": book_id,
                "edition_id": edition_id,
                "status_id": status,
                "date_added": "2026-01-05",
                "reads": stored,
            }
        )
        return entry_id

    def item(
        self,
        title: str,
        authors: list[str],
        *,
        duration: float = 0.0,
        item_id: str | None = None,
        **metadata: Any,
    ) -> str:
        """Add an ABS book item (``isbn``, ``asin``, ``subtitle``, ``series``, ``ebookFormat``: keywords)."""
        row: dict[str, Any] = {"title": title, "authors": authors, "duration": duration, **metadata}
        if item_id is not None:
            row["id"] = item_id
        self.items.append(row)
        self._item_by_key[item_id or title] = row
        return title

    def listen(
        self,
        title: str,
        fraction: float,
        *,
        started: str,
        updated: str | None = None,
        finished: str | None = None,
        item_id: str | None = None,
    ) -> None:
        """Record ABS progress on an item: ``fraction`` of its duration (or of the ebook when it has none)."""
        item = self._item_by_key[item_id or title]
        duration = float(item["duration"])
        done = finished is not None
        entry: dict[str, Any] = {
            "username": self.abs_user,
            "isFinished": done,
            "startedAt": ms(started),
            "lastUpdate": ms(updated or finished or started, 18),
            "finishedAt": ms(finished, 18) if finished else None,
        }
        entry.update({"libraryItemId": item_id} if item_id else {"title": title})
        if duration > 0:
            entry.update({"duration": duration, "currentTime": round(fraction * duration, 1)})
            entry["progress"] = 1.0 if done else round(fraction, 4)
        else:
            entry.update({"ebookProgress": 1.0 if done else round(fraction, 4), "progress": 0.0})
        self.progress.append(entry)

    def fixture(self, *, limits: dict[str, int] | None = None, abs_key: str = DEMO_ABS_KEY) -> dict[str, Any]:
        """The whole sandbox fixture (``hardcover`` and ``audiobookshelf`` sections)."""
        hardcover = {
            "limits": dict(limits or FREE_PLAN_LIMITS),
            "users": [
                {
                    "id": DEMO_HARDCOVER_USER_ID,
                    "username": self.hc_user,
                    "name": "Demo Reader",
                    "token": DEMO_HARDCOVER_TOKEN,
                    "scopes": ["all"],
                    "timezone": "UTC",
                }
            ],
            "authors": [{"id": i, "name": n} for n, i in self.authors.items()],
            "series": [{"id": i, "name": n} for n, i in self.series.items()],
            "books": self.books,
            "editions": self.editions,
            "user_books": self.user_books,
        }
        libraries: list[dict[str, Any]] = [{"name": "Audiobooks", "mediaType": "book", "items": self.items}]
        if self.podcasts:
            libraries.append({"name": "Podcasts", "mediaType": "podcast", "items": self.podcasts})
        audiobookshelf = {
            "users": [{"username": self.abs_user, "password": "demo-password", "type": "root"}],
            "api_keys": [{"name": "bookrelay", "key": abs_key, "username": self.abs_user, "isActive": True}],
            "libraries": libraries,
            "progress": self.progress,
        }
        return {"hardcover": hardcover, "audiobookshelf": audiobookshelf}
