"""The domain objects every layer speaks: source items and their progress, Hardcover books,
editions, library entries and reads. Pure data; mappers in ``connectors/*/mapper.py`` build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum


class Status(IntEnum):
    """Hardcover ``user_books.status_id``."""

    WANT_TO_READ = 1
    READING = 2
    READ = 3
    PAUSED = 4
    DID_NOT_FINISH = 5
    IGNORED = 6


class ReadingFormat(IntEnum):
    """Hardcover ``editions.reading_format_id``."""

    PHYSICAL = 1
    AUDIO = 2
    BOTH = 3
    EBOOK = 4


class MediaKind(StrEnum):
    """What the source item is: decides the edition format (rule M5) and the progress unit (P2)."""

    AUDIO = "audio"
    EBOOK = "ebook"


class Source(StrEnum):
    """Where an item comes from."""

    AUDIOBOOKSHELF = "abs"
    AUDIBLE = "audible"
    IMPORT = "import"  # a row of a shelf file (scrobble's shelf import)


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """A series an item or book belongs to, with its position when known ("1", "2.5")."""

    name: str
    position: str | None = None


@dataclass(frozen=True, slots=True)
class SourceItem:
    """A book as a source (Audiobookshelf, Audible) describes it; identifiers are raw, not normalised."""

    source: Source
    item_id: str
    title: str
    authors: tuple[str, ...] = ()
    subtitle: str | None = None
    narrators: tuple[str, ...] = ()
    series: tuple[SeriesRef, ...] = ()
    published_year: int | None = None
    duration_seconds: float | None = None
    isbn: str | None = None
    asin: str | None = None
    media_kind: MediaKind = MediaKind.AUDIO
    library_id: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """A user's progress on one source item, as the source reports it (timestamps are aware, UTC)."""

    source: Source
    item_id: str
    progress: float = 0.0  # 0..1 as stored by the source, may be 0 when unknown (ABS quirk)
    current_time: float = 0.0  # seconds
    duration: float = 0.0  # seconds, 0 when the source did not store it
    ebook_progress: float = 0.0  # 0..1
    is_finished: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_update: datetime | None = None


@dataclass(frozen=True, slots=True)
class Edition:
    """A Hardcover edition; ``audio_seconds`` makes it able to show audio progress, ``pages`` text."""

    id: int
    book_id: int
    title: str | None = None
    subtitle: str | None = None
    isbn_13: str | None = None
    isbn_10: str | None = None
    asin: str | None = None
    pages: int | None = None
    audio_seconds: int | None = None
    reading_format: ReadingFormat | None = None
    edition_format: str | None = None
    users_count: int = 0
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Book:
    """A Hardcover book (a work) with what matching needs; ``editions`` may be partial."""

    id: int
    title: str
    authors: tuple[str, ...] = ()
    subtitle: str | None = None
    alternative_titles: tuple[str, ...] = ()
    series: tuple[SeriesRef, ...] = ()
    release_year: int | None = None
    audio_seconds: int | None = None
    editions: tuple[Edition, ...] = ()
    slug: str | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class Read:
    """One read-through of a Hardcover library entry (``user_book_reads``)."""

    id: int
    edition_id: int | None = None
    started_at: date | None = None
    finished_at: date | None = None
    paused_at: date | None = None
    progress_pages: int | None = None
    progress_seconds: int | None = None
    progress: float | None = None  # percent, computed by Hardcover


@dataclass(frozen=True, slots=True)
class UserBook:
    """A book on the user's Hardcover shelf (``user_books``) with its reads, newest first."""

    id: int
    book_id: int
    status: Status
    edition_id: int | None = None
    rating: float | None = None
    owned: bool = False
    reads: tuple[Read, ...] = ()
    book: Book | None = None
    edition: Edition | None = None
    date_added: date | None = None  # only when the query selected it (shelf export)


@dataclass(frozen=True, slots=True)
class HardcoverUser:
    """The token's owner, from ``me``."""

    id: int
    username: str
    name: str | None = None
    books_count: int = 0


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ``search`` result document, reduced to what scoring needs."""

    book_id: int
    title: str
    authors: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    alternative_titles: tuple[str, ...] = ()
    isbns: tuple[str, ...] = ()
    release_year: int | None = None
    audio_seconds: int | None = None
    pages: int | None = None
    users_count: int = 0
    image_url: str | None = None


@dataclass(slots=True)
class Budget:
    """What a Hardcover token has left, as the last answer's headers told."""

    minute_remaining: int | None = None
    daily_remaining: int | None = None
    daily_limit: int | None = None
    units_spent: int = 0
    requests_sent: int = 0
    notes: list[str] = field(default_factory=list)
