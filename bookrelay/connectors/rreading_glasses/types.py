"""Wire shapes of rreading-glasses (``internal/resources.go``, PascalCase), the fields bookrelay reads."""

from __future__ import annotations

from typing import TypedDict


class ContributorWire(TypedDict, total=False):
    """A book's contributor."""

    ForeignId: int
    Role: str


class BookWire(TypedDict, total=False):
    """``bookResource``: a Hardcover edition."""

    ForeignId: int
    Asin: str
    Isbn13: str
    Title: str
    Format: str
    ImageUrl: str
    NumPages: int
    Contributors: list[ContributorWire]


class AuthorWire(TypedDict, total=False):
    """``AuthorResource``."""

    ForeignId: int
    Name: str
    Works: list[WorkWire] | None


class WorkWire(TypedDict, total=False):
    """``workResource``: a Hardcover book (``ForeignId`` is canonical)."""

    ForeignId: int
    Title: str
    FullTitle: str
    Url: str
    Books: list[BookWire]
    Authors: list[AuthorWire]
    BestBookId: int
