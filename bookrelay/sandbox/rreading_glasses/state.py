"""The fake rreading-glasses' state: works keyed by Hardcover book id, their editions and authors.

Behaves like RRG in Hardcover mode (ref/bookshelf-rreading-glasses-audible.md Part B): ids are Hardcover
ids, a duplicate book id answers with its canonical work, a work fetched for the first time carries only
its best edition (the others are "attached" afterwards), PascalCase JSON. ``set_down(True)`` makes the
server unreachable both over HTTP (503) and for the fake Bookshelf that calls it in-process.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# RRG's pathToID rejects these ("OpenLibrary IDs are not supported").
MAX_ID = 1_000_000_000
_AUTHOR_ROLES = {"", "author", "author/narrator"}


class MetadataDown(Exception):
    """The metadata server is down (``set_down(True)``); Bookshelf turns this into a 503."""


@dataclass
class AuthorRec:
    """A Hardcover author as RRG serves it."""

    id: int
    name: str
    slug: str
    description: str = ""
    image_url: str = ""
    role: str = "Author"


@dataclass
class EditionRec:
    """A Hardcover edition (an RRG "book")."""

    id: int
    title: str
    isbn13: str = ""
    asin: str = ""
    format: str = "Hardcover"
    language: str = "eng"
    publisher: str = ""
    pages: int = 0
    release_date: str | None = None
    image_url: str = ""
    rating_count: int = 0
    average_rating: float = 0.0

    @property
    def is_ebook(self) -> bool:
        return self.format.lower() in {"ebook", "kindle edition"}


@dataclass
class WorkRec:
    """A Hardcover book (an RRG "work") with its editions and its authors, first author first."""

    id: int
    title: str
    slug: str
    subtitle: str | None = None
    description: str = ""
    release_date: str | None = None
    genres: list[str] = field(default_factory=list)
    image_url: str = ""
    duplicate_ids: list[int] = field(default_factory=list)
    authors: list[AuthorRec] = field(default_factory=list)
    editions: list[EditionRec] = field(default_factory=list)
    best_edition_id: int | None = None

    @property
    def best_edition(self) -> EditionRec:
        for edition in self.editions:
            if edition.id == self.best_edition_id:
                return edition
        return self.editions[0]


def _need(raw: dict[str, Any], key: str, kind: type, place: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ValueError(f"rreading_glasses fixture: {place}.{key} must be a {kind.__name__}")
    return value


def _parse_work(raw: Any, index: int) -> WorkRec:
    place = f"works[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(f"rreading_glasses fixture: {place} must be an object")
    authors = [
        AuthorRec(
            id=_need(a, "id", int, f"{place}.authors[{i}]"),
            name=_need(a, "name", str, f"{place}.authors[{i}]"),
            slug=str(a.get("slug") or a["id"]),
            description=str(a.get("description") or ""),
            image_url=str(a.get("image_url") or ""),
            role=str(a.get("role", "Author")),
        )
        for i, a in enumerate(raw.get("authors") or [])
    ]
    editions = [
        EditionRec(
            id=_need(e, "id", int, f"{place}.editions[{i}]"),
            title=str(e.get("title") or raw.get("title") or ""),
            isbn13=str(e.get("isbn13") or ""),
            asin=str(e.get("asin") or ""),
            format=str(e.get("format") or "Hardcover"),
            language=str(e.get("language") or "eng"),
            publisher=str(e.get("publisher") or ""),
            pages=int(e.get("pages") or 0),
            release_date=e.get("release_date"),
            image_url=str(e.get("image_url") or ""),
            rating_count=int(e.get("rating_count") or 0),
            average_rating=float(e.get("average_rating") or 0.0),
        )
        for i, e in enumerate(raw.get("editions") or [])
    ]
    if not editions:
        raise ValueError(f"rreading_glasses fixture: {place}.editions must not be empty")
    work = WorkRec(
        id=_need(raw, "id", int, place),
        title=_need(raw, "title", str, place),
        slug=str(raw.get("slug") or raw["id"]),
        subtitle=raw.get("subtitle"),
        description=str(raw.get("description") or ""),
        release_date=raw.get("release_date"),
        genres=[str(g) for g in raw.get("genres") or []],
        image_url=str(raw.get("image_url") or ""),
        duplicate_ids=[int(d) for d in raw.get("duplicate_ids") or []],
        authors=authors,
        editions=editions,
        best_edition_id=raw.get("best_edition_id"),
    )
    if work.best_edition_id is not None and all(e.id != work.best_edition_id for e in editions):
        raise ValueError(f"rreading_glasses fixture: {place}.best_edition_id is not one of its editions")
    return work


class RrgState:
    """Everything the fake metadata server knows; one instance per sandbox (or per test)."""

    def __init__(self, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> None:
        self._section = copy.deepcopy(section)
        self._clock = clock
        self._load()

    @classmethod
    def from_fixture(cls, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> RrgState:
        """Build the state from the ``rreading_glasses`` fixture section; ValueError names a bad key."""
        return cls(section, clock=clock)

    def _load(self) -> None:
        raw_works = self._section.get("works", [])
        if not isinstance(raw_works, list):
            raise ValueError("rreading_glasses fixture: works must be a list")
        self.works: dict[int, WorkRec] = {}
        self._canonical: dict[int, int] = {}
        for i, raw in enumerate(raw_works):
            work = _parse_work(raw, i)
            self.works[work.id] = work
            for alias in work.duplicate_ids:
                self._canonical[alias] = work.id
        self.authors: dict[int, AuthorRec] = {}
        self._edition_work: dict[int, int] = {}
        for work in self.works.values():
            for author in work.authors:
                self.authors.setdefault(author.id, author)
            for edition in work.editions:
                self._edition_work[edition.id] = work.id
        self._warmed: set[int] = set()
        self._failures: list[tuple[int, float | None]] = []
        self.down = False
        self.counters: Counter[str] = Counter()

    # -- test controls ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters: ``requests`` (HTTP), ``upstream_requests`` (from the fake Bookshelf), per route."""
        return {"requests": 0, "upstream_requests": 0, "writes": 0, **self.counters}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view: which works are known, which are warmed, and whether the server is down."""
        return {"works": sorted(self.works), "warmed": sorted(self._warmed), "down": self.down}

    def reset(self) -> None:
        """Back to the fixture as loaded: nothing warmed, up, no queued failures, counters zeroed."""
        self._load()

    def fail_next(self, status: int, count: int = 1, *, retry_after: float | None = None) -> None:
        """Answer the next ``count`` HTTP requests with ``status`` (a 429 carries ``Retry-After``, 30 s)."""
        if status == 429 and retry_after is None:
            retry_after = 30.0  # RRG's author throttle answers ≈30 s
        self._failures.extend([(status, retry_after)] * count)

    def take_failure(self) -> tuple[int, float | None] | None:
        """The next injected failure (status, retry-after), consumed; None when none is queued."""
        return self._failures.pop(0) if self._failures else None

    def set_down(self, down: bool) -> None:
        """Make the metadata server unreachable (True) or bring it back (False)."""
        self.down = down

    # -- lookups ---------------------------------------------------------------------------------

    def canonical_id(self, work_id: int) -> int | None:
        """The canonical Hardcover book id for ``work_id`` (itself when not a duplicate); None if unknown."""
        if work_id in self.works:
            return work_id
        return self._canonical.get(work_id)

    def work_of_edition(self, edition_id: int) -> int | None:
        """The work an edition belongs to, or None."""
        return self._edition_work.get(edition_id)

    def fetch_work(self, work_id: int, *, upstream: bool = False) -> dict[str, Any] | None:
        """``GET /work/{id}`` as RRG answers it (canonical id followed), None when unknown.

        ``upstream`` marks a call from the fake Bookshelf; it raises :class:`MetadataDown` when down.
        """
        self._count("work", upstream)
        canonical = self.canonical_id(work_id)
        if canonical is None:
            return None
        work = self.works[canonical]
        first = canonical not in self._warmed
        self._warmed.add(canonical)
        # A freshly fetched work has one Book (the best edition); the others are attached later.
        editions = [work.best_edition] if first else work.editions[:20]
        return self.work_resource(work, editions)

    def fetch_author(
        self, author_id: int, *, edition: int | None = None, upstream: bool = False
    ) -> dict[str, Any] | None:
        """``GET /author/{id}[?edition=N]``: the author with all their works, or only the edition's work."""
        self._count("author", upstream)
        author = self.authors.get(author_id)
        if author is None:
            return None
        works = [w for w in self.works.values() if w.authors and w.authors[0].id == author_id]
        if edition is not None:
            works = [w for w in works if any(e.id == edition for e in w.editions)]
        return self.author_resource(author, [self.work_resource(w, w.editions) for w in works])

    def works_by_author(self, author_id: int) -> list[WorkRec]:
        """Every work whose first author is ``author_id`` (what an author refresh brings in)."""
        return [w for w in self.works.values() if w.authors and w.authors[0].id == author_id]

    def search(self, query: str, *, upstream: bool = False) -> list[dict[str, Any]]:
        """``GET /search?q=``: ISBN-13 or ASIN hits an edition first, else a title/author text search."""
        self._count("search", upstream)
        q = query.strip()
        hits: list[tuple[WorkRec, EditionRec]] = []
        for work in self.works.values():
            for edition in work.editions:
                if q and q in {edition.isbn13, edition.asin}:
                    hits.append((work, edition))
        if not hits:
            words = q.lower().split()
            for work in self.works.values():
                text = " ".join([work.title, *(a.name for a in work.authors)]).lower()
                if words and all(w in text for w in words):
                    hits.append((work, work.best_edition))
        return [
            {"bookId": e.id, "workId": w.id, "author": {"id": w.authors[0].id if w.authors else 0}}
            for w, e in hits[:15]
        ]

    def _count(self, route: str, upstream: bool) -> None:
        if upstream:
            if self.down:
                raise MetadataDown("rreading-glasses is down")
            self.counters["upstream_requests"] += 1
        self.counters[route] += 1

    # -- wire shapes (internal/resources.go, PascalCase) ------------------------------------------

    def work_resource(self, work: WorkRec, editions: list[EditionRec]) -> dict[str, Any]:
        """A ``workResource`` carrying ``editions`` as its Books."""
        full = f"{work.title}: {work.subtitle}" if work.subtitle else work.title
        contributors = [
            {"ForeignId": a.id, "Role": a.role} for a in work.authors if a.role.lower() in _AUTHOR_ROLES
        ]
        books = [
            {
                "ForeignId": e.id,
                "Asin": e.asin,
                "Description": work.description or "N/A",
                "Isbn13": e.isbn13,
                "Title": e.title,
                "FullTitle": e.title,
                "ShortTitle": e.title,
                "Language": e.language,
                "Format": e.format,
                "EditionInformation": "",
                "Publisher": e.publisher,
                "ImageUrl": e.image_url or work.image_url,
                "IsEbook": e.is_ebook,
                "NumPages": e.pages,
                "RatingCount": e.rating_count,
                "AverageRating": e.average_rating,
                "Url": f"https://hardcover.app/books/{work.slug}",
                "ReleaseDate": e.release_date or work.release_date,
                "Contributors": contributors,
                "KCA": "",
                "RatingSum": round(e.rating_count * e.average_rating),
            }
            for e in editions
        ]
        ratings = sum(e.rating_count for e in work.editions)
        return {
            "ForeignId": work.id,
            "Title": work.title,
            "FullTitle": full,
            "ShortTitle": work.title,
            "Url": f"https://hardcover.app/books/{work.slug}",
            "ReleaseDate": work.release_date,
            "ReleaseDateRaw": work.release_date,
            "Genres": work.genres or ["none"],
            "RelatedWorks": [],
            "Books": books,
            "Series": [],
            "Authors": [self.author_resource(a, None) for a in work.authors[:1]],
            "KCA": "",
            "BestBookId": work.best_edition.id,
            "RatingCount": ratings,
            "AverageRating": work.best_edition.average_rating,
            "RatingSum": round(ratings * work.best_edition.average_rating),
        }

    @staticmethod
    def author_resource(author: AuthorRec, works: list[dict[str, Any]] | None) -> dict[str, Any]:
        """An ``AuthorResource``; ``works`` is None inside a work, a list on ``/author/{id}``."""
        return {
            "ForeignId": author.id,
            "Name": author.name,
            "Description": author.description or "N/A",
            "ImageUrl": author.image_url,
            "Url": f"https://hardcover.app/authors/{author.slug}",
            "RatingCount": 0,
            "AverageRating": 0,
            "Works": works,
            "Series": [],
            "KCA": "",
        }
