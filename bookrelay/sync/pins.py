"""A pin or a settled conflict names a Hardcover book (and edition) by id; it is checked against
Hardcover before it is stored, so that a typo never becomes a link the next sync writes to (M1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bookrelay.domain.models import Book
from bookrelay.errors import ConfigError, NotFound

BookLookup = Callable[[Sequence[int]], Awaitable[Sequence[Book]]]


def _named(book: Book) -> str:
    authors = ", ".join(book.authors[:2])
    return f"“{book.title}”" + (f" by {authors}" if authors else "") + f" (book {book.id})"


async def check_pin(books: BookLookup, book_id: int, edition_id: int | None) -> Book:
    """The book a pin names, after one look-up (one unit): raises NotFound for a book Hardcover does not
    have, ConfigError (place ``edition_id``) for an edition that is not one of that book's."""
    found = next((b for b in await books([book_id]) if b.id == book_id), None)
    if found is None:
        raise NotFound(f"Hardcover has no book {book_id}: nothing was linked")
    if edition_id is not None and edition_id not in {e.id for e in found.editions}:
        raise ConfigError(
            f"edition {edition_id} is not an edition of {_named(found)} on Hardcover: nothing was linked",
            place="edition_id",
        )
    return found
