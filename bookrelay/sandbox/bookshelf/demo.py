"""Generated fixture sections for the wanted job: a Want to Read shelf, the metadata server and Bookshelf.

:func:`wanted_sections` builds consistent ``hardcover``, ``rreading_glasses`` and ``bookshelf`` sections
for ``count`` books: some unknown to the metadata server, some already in Bookshelf, some shelved under a
duplicate Hardcover id whose canonical work is another, and authors with books that are not on the shelf.
Used by the demo, the benchmarks and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEMO_TOKEN = "hc_pat_sandbox_reader"
DEMO_API_KEY = "bookshelf-sandbox-key"
FIRST_BOOK_ID = 10_001
CANONICAL_OFFSET = 50_000  # a duplicate shelf id N has the canonical work N + this
BOOKS_PER_AUTHOR = 3


@dataclass
class WantedScenario:
    """The three sections and which shelf ids play which part."""

    hardcover: dict[str, Any]
    rreading_glasses: dict[str, Any]
    bookshelf: dict[str, Any]
    shelf: list[int] = field(default_factory=list)
    unknown: set[int] = field(default_factory=set)
    in_library: set[int] = field(default_factory=set)
    duplicates: dict[int, int] = field(default_factory=dict)  # shelf id → canonical id
    off_shelf: set[int] = field(default_factory=set)  # works by shelf authors that are not on the shelf

    def sections(self) -> dict[str, Any]:
        """The fixture sections keyed as the sandbox expects them."""
        return {
            "hardcover": self.hardcover,
            "rreading_glasses": self.rreading_glasses,
            "bookshelf": self.bookshelf,
        }


def _work(work_id: int, author_id: int, *, duplicates: list[int] | None = None) -> dict[str, Any]:
    editions = [
        {
            "id": work_id * 10 + 1,
            "title": f"Book {work_id}",
            "isbn13": f"978{work_id:010d}",
            "format": "Hardcover",
            "pages": 300,
            "image_url": f"https://assets.hardcover.app/edition/{work_id * 10 + 1}.jpg",
        },
        {
            "id": work_id * 10 + 2,
            "title": f"Book {work_id}",
            "asin": f"B0{work_id:08d}",
            "format": "Audiobook",
            "image_url": f"https://assets.hardcover.app/edition/{work_id * 10 + 2}.jpg",
        },
        {"id": work_id * 10 + 3, "title": f"Book {work_id}", "format": "ebook", "pages": 280},
    ]
    return {
        "id": work_id,
        "title": f"Book {work_id}",
        "slug": f"book-{work_id}",
        "description": f"The story of book {work_id}.",
        "release_date": "2020-05-01",
        "genres": ["Fiction"],
        "image_url": f"https://assets.hardcover.app/book/{work_id}.jpg",
        "duplicate_ids": duplicates or [],
        "authors": [{"id": author_id, "name": f"Author {author_id}", "slug": f"author-{author_id}"}],
        "editions": editions,
        "best_edition_id": work_id * 10 + 1,
    }


def wanted_sections(
    count: int,
    *,
    unknown_every: int = 25,
    library_every: int = 10,
    duplicate_every: int = 40,
    extra_works_per_author: int = 1,
) -> WantedScenario:
    """A shelf of ``count`` books; every ``unknown_every``-th is unknown to the metadata server, every
    ``library_every``-th is in Bookshelf already, every ``duplicate_every``-th is a duplicate id."""
    scenario = WantedScenario({}, {}, {})
    works: list[dict[str, Any]] = []
    hc_books: list[dict[str, Any]] = []
    author_ids: set[int] = set()
    library: list[dict[str, Any]] = []
    for n in range(count):
        book_id = FIRST_BOOK_ID + n
        author_id = 1 + n // BOOKS_PER_AUTHOR
        author_ids.add(author_id)
        scenario.shelf.append(book_id)
        hc_books.append({"id": book_id, "title": f"Book {book_id}", "author_ids": [author_id]})
        if unknown_every and n % unknown_every == unknown_every - 1:
            scenario.unknown.add(book_id)
            continue
        if duplicate_every and n % duplicate_every == duplicate_every - 2:
            canonical = book_id + CANONICAL_OFFSET
            scenario.duplicates[book_id] = canonical
            hc_books[-1]["canonical_id"] = canonical
            hc_books.append({"id": canonical, "title": f"Book {canonical}", "author_ids": [author_id]})
            works.append(_work(canonical, author_id, duplicates=[book_id]))
        else:
            works.append(_work(book_id, author_id))
        if library_every and n % library_every == library_every - 3:
            scenario.in_library.add(book_id)
            library.append({"work_id": book_id, "monitored": True})
    for author_id in sorted(author_ids):
        for k in range(extra_works_per_author):
            extra = 90_000 + author_id * 10 + k
            scenario.off_shelf.add(extra)
            works.append(_work(extra, author_id))
    scenario.hardcover = {
        "users": [{"id": 1, "username": "reader", "token": DEMO_TOKEN}],
        "authors": [{"id": a, "name": f"Author {a}"} for a in sorted(author_ids)],
        "books": hc_books,
        "editions": [
            {"id": b["id"] * 10 + 1, "book_id": b["id"], "title": b["title"], "pages": 300} for b in hc_books
        ],
        "user_books": [
            {"id": i + 1, "user_id": 1, "book_id": book_id, "status_id": 1}
            for i, book_id in enumerate(scenario.shelf)
        ],
    }
    scenario.rreading_glasses = {"works": works}
    scenario.bookshelf = {
        "api_key": DEMO_API_KEY,
        "root_folders": [
            {
                "id": 1,
                "name": "Books",
                "path": "/books",
                "default_quality_profile_id": 1,
                "default_metadata_profile_id": 1,
            }
        ],
        "quality_profiles": [{"id": 1, "name": "eBook"}, {"id": 2, "name": "Spoken"}],
        "metadata_profiles": [{"id": 1, "name": "Standard"}],
        "library": library,
    }
    return scenario


WANTED_USER = "reader"
WANTED_SHELF = 25
_READER_ID = 2
_AUTHOR_OFFSET = 80_000
_USER_BOOK_OFFSET = 90_000


def with_wanted_shelf(fixture: dict[str, Any], count: int = WANTED_SHELF) -> dict[str, Any]:
    """The demo fixture plus a second Hardcover reader whose Want to Read shelf feeds Bookshelf.

    The wanted scenario's Hardcover rows are renumbered so that they sit beside the demo's own.
    """
    scenario = wanted_sections(count)
    hardcover = fixture.setdefault("hardcover", {})
    extra = scenario.hardcover
    reader = {**extra["users"][0], "id": _READER_ID, "username": WANTED_USER, "scopes": ["all"]}
    hardcover.setdefault("users", []).append(reader)
    hardcover.setdefault("authors", []).extend(
        {**a, "id": a["id"] + _AUTHOR_OFFSET} for a in extra["authors"]
    )
    hardcover.setdefault("books", []).extend(
        {**b, "author_ids": [a + _AUTHOR_OFFSET for a in b.get("author_ids", [])]} for b in extra["books"]
    )
    hardcover.setdefault("editions", []).extend(extra["editions"])
    hardcover.setdefault("user_books", []).extend(
        {**ub, "id": ub["id"] + _USER_BOOK_OFFSET, "user_id": _READER_ID} for ub in extra["user_books"]
    )
    fixture["rreading_glasses"] = scenario.rreading_glasses
    fixture["bookshelf"] = scenario.bookshelf
    return fixture
