"""A small ready-made ``"hardcover"`` fixture section and a settable clock, for tests, demos, benchmarks."""

from __future__ import annotations

import copy
from typing import Any

# 2026-11-26 12:00:00 UTC
SAMPLE_NOW = 1_795_694_400.0

_SAMPLE: dict[str, Any] = {
    "limits": {"per_minute": 60, "burst": 10, "daily": 5000, "max_top_level": 5},
    "today": "2026-11-26",
    "users": [
        {
            "id": 1,
            "username": "alice",
            "name": "Alice",
            "token": "hc_pat_alice",
            "scopes": ["all"],
            "account_privacy_setting_id": 1,
            "timezone": "Europe/Berlin",
        },
        {
            "id": 2,
            "username": "bob",
            "name": "Bob",
            "token": "hc_pat_bob",
            "scopes": ["read:catalog", "read:library", "write:library", "read:me:content", "read:lists"],
            "account_privacy_setting_id": 3,
            "timezone": "America/New_York",
        },
        {"id": 3, "username": "carol", "name": "Carol", "token": "hc_pat_carol", "scopes": ["read:catalog"]},
    ],
    "authors": [{"id": 10, "name": "Andy Weir"}, {"id": 11, "name": "Martha Wells"}],
    "series": [{"id": 5, "name": "Murderbot Diaries"}],
    "books": [
        {
            "id": 100,
            "title": "Project Hail Mary",
            "slug": "project-hail-mary",
            "release_year": 2021,
            "author_ids": [10],
            "users_count": 900,
        },
        {
            "id": 101,
            "title": "All Systems Red",
            "release_year": 2017,
            "author_ids": [11],
            "series": [{"series_id": 5, "position": 1}],
            "users_count": 500,
            "image_url": "https://img.test/asr.jpg",
        },
        {
            "id": 102,
            "title": "Artificial Condition",
            "release_year": 2018,
            "author_ids": [11],
            "series": [{"series_id": 5, "position": 2}],
            "users_count": 300,
        },
        {
            "id": 103,
            "title": "The Martian",
            "release_year": 2011,
            "author_ids": [10],
            "alternative_titles": ["Der Marsianer"],
            "users_count": 1200,
        },
    ],
    "editions": [
        {
            "id": 1000,
            "book_id": 100,
            "title": "Project Hail Mary",
            "asin": "B08G9PRS1K",
            "audio_seconds": 58000,
            "reading_format_id": 2,
            "edition_format": "Audiobook",
            "users_count": 50,
            "release_date": "2021-05-04",
            "language": "en",
        },
        {
            "id": 1001,
            "book_id": 100,
            "title": "Project Hail Mary",
            "isbn_13": "9780593135204",
            "isbn_10": "0593135202",
            "pages": 496,
            "reading_format_id": 1,
            "edition_format": "Hardcover",
            "users_count": 80,
            "language": "en",
        },
        {
            "id": 1010,
            "book_id": 101,
            "asin": "B06XKWD7CP",
            "audio_seconds": 11400,
            "reading_format_id": 2,
            "users_count": 20,
            "language": "en",
        },
        {
            "id": 1011,
            "book_id": 101,
            "isbn_13": "9780765397539",
            "pages": 160,
            "reading_format_id": 4,
            "edition_format": "Kindle",
            "users_count": 30,
            "language": "en",
        },
        {"id": 1020, "book_id": 102, "audio_seconds": 12000, "reading_format_id": 2, "users_count": 10},
        {
            "id": 1030,
            "book_id": 103,
            "isbn_13": "9780553418026",
            "pages": 387,
            "reading_format_id": 1,
            "users_count": 400,
            "language": "de",
        },
    ],
    "user_books": [
        {
            "id": 5000,
            "user_id": 1,
            "book_id": 100,
            "edition_id": 1000,
            "status_id": 2,
            "date_added": "2026-01-01",
            "reads": [
                {"id": 7000, "edition_id": 1000, "started_at": "2026-01-02", "progress_seconds": 29000}
            ],
        },
        {
            "id": 5001,
            "user_id": 1,
            "book_id": 101,
            "edition_id": 1011,
            "status_id": 3,
            "rating": 4.5,
            "date_added": "2025-06-01",
            "reads": [
                {
                    "id": 7001,
                    "edition_id": 1011,
                    "started_at": "2025-06-01",
                    "finished_at": "2025-06-09",
                    "progress_pages": 160,
                }
            ],
        },
        {
            "id": 5002,
            "user_id": 1,
            "book_id": 103,
            "edition_id": None,
            "status_id": 1,
            "date_added": "2026-03-01",
        },
        {
            "id": 5100,
            "user_id": 2,
            "book_id": 100,
            "edition_id": 1001,
            "status_id": 1,
            "date_added": "2026-02-01",
        },
    ],
    "lists": [
        {"id": 1, "user_id": 1, "name": "Favourites", "privacy_setting_id": 3, "books": [{"book_id": 100}]},
        {
            "id": 2,
            "user_id": 2,
            "name": "Space",
            "privacy_setting_id": 1,
            "books": [{"book_id": 100, "edition_id": 1001}, {"book_id": 103}],
        },
        {"id": 3, "user_id": 2, "name": "Secret", "privacy_setting_id": 3, "books": []},
    ],
}


def sample_section() -> dict[str, Any]:
    """A fresh copy of the sample section: users alice, bob, carol with tokens ``hc_pat_<name>``."""
    return copy.deepcopy(_SAMPLE)


class FakeClock:
    """A clock for the injected ``clock=`` parameter: call it for the time, ``advance`` to move it."""

    def __init__(self, now: float = SAMPLE_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds
