"""Strict, typed reading of fixture objects: every problem becomes a ``ValueError`` naming ``place.key``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

KEYS = {
    "users": {
        "id",
        "username",
        "name",
        "token",
        "scopes",
        "account_privacy_setting_id",
        "timezone",
        "bio",
        "default_reading_format_id",
    },
    "authors": {"id", "name", "slug"},
    "series": {"id", "name", "slug"},
    "books": {
        "id",
        "title",
        "subtitle",
        "slug",
        "release_year",
        "release_date",
        "alternative_titles",
        "author_ids",
        "series",
        "users_count",
        "users_read_count",
        "image_url",
        "canonical_id",
        "description",
        "pages",
        "audio_seconds",
        "rating",
    },
    "editions": {
        "id",
        "book_id",
        "title",
        "subtitle",
        "isbn_13",
        "isbn_10",
        "asin",
        "pages",
        "audio_seconds",
        "reading_format_id",
        "edition_format",
        "physical_format",
        "users_count",
        "users_read_count",
        "release_date",
        "language",
        "image_url",
    },
    "user_books": {
        "id",
        "user_id",
        "book_id",
        "edition_id",
        "status_id",
        "rating",
        "owned",
        "owned_copies",
        "date_added",
        "privacy_setting_id",
        "private_notes",
        "reads",
        "first_started_reading_date",
        "last_read_date",
        "read_count",
    },
    "reads": {
        "id",
        "edition_id",
        "started_at",
        "finished_at",
        "paused_at",
        "progress_pages",
        "progress_seconds",
        "finished_at_precision",
    },
    "lists": {"id", "user_id", "name", "slug", "description", "privacy_setting_id", "ranked", "books"},
    "list_books": {"id", "book_id", "edition_id", "position", "reason"},
    "limits": {"per_minute", "burst", "daily", "max_top_level", "max_depth", "plan"},
}
SECTION_KEYS = {"limits", "today", "users", "authors", "series", "books", "editions", "user_books", "lists"}


def slugify(text: str) -> str:
    """Hardcover-style slug: lower case words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Reader:
    """Typed access to one fixture object of a known ``kind``; unknown keys and wrong types are errors."""

    def __init__(self, obj: Any, place: str, kind: str) -> None:
        if not isinstance(obj, dict):
            raise ValueError(f"{place}: expected an object, got {type(obj).__name__}")
        unknown = sorted(set(obj) - KEYS[kind])
        if unknown:
            raise ValueError(f"{place}.{unknown[0]}: unknown key")
        self.obj, self.place = obj, place

    def _get(self, key: str, types: tuple[type, ...], required: bool, what: str) -> Any:
        if key not in self.obj or self.obj[key] is None:
            if required:
                raise ValueError(f"{self.place}.{key}: required")
            return None
        value = self.obj[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise ValueError(f"{self.place}.{key}: expected {what}, got {value!r}")
        return value

    def integer(self, key: str, *, required: bool = False) -> Any:
        """An int (not a bool) or None."""
        return self._get(key, (int,), required, "an integer")

    def number(self, key: str) -> Any:
        """An int or float, or None."""
        return self._get(key, (int, float), False, "a number")

    def text(self, key: str, *, required: bool = False) -> Any:
        """A string or None."""
        return self._get(key, (str,), required, "a string")

    def flag(self, key: str) -> Any:
        """True, False or None."""
        return self._get(key, (bool,), False, "true or false")

    def items(self, key: str) -> list[Any]:
        """A list (empty when absent)."""
        value = self._get(key, (list,), False, "a list")
        return [] if value is None else value

    def day(self, key: str) -> Any:
        """A ``YYYY-MM-DD`` date string or None."""
        value = self.text(key)
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{self.place}.{key}: expected a date YYYY-MM-DD, got {value!r}") from None
        return value


def section_list(section: dict[str, Any], key: str, *, required: bool) -> list[Any]:
    """The list under ``hardcover.<key>`` (empty when absent and not required)."""
    value = section.get(key)
    if value is None:
        if required:
            raise ValueError(f"hardcover.{key}: required")
        return []
    if not isinstance(value, list):
        raise ValueError(f"hardcover.{key}: expected a list")
    return value
