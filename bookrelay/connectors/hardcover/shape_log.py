"""What the Hardcover mapper forgave or set aside in one run's answers (rule S3: one odd value must not
stop a whole sync).

Two kinds of oddities. A field used only for scoring or display (alternative titles, images,
contributors, series, subtitles, counts) in an unexpected shape is read as empty and *warned* about,
once per field per run. A row whose field a write needs (an id, a length, a status, a read's dates)
is malformed is *set aside*: the row is left out, and the items that need its book or its identifier
fail with the place and the problem, while the others are written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

_INDEX = re.compile(r"\[[^\]]*\]|\(offset=\d+\)")


def field_name(place: str) -> str:
    """The column a place names, without the path to it: ``books[b0][3].image`` → ``image``, so that
    one odd column is warned about once whichever query carried it."""
    return _INDEX.sub("", place).rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class SetAside:
    """A row left out of an answer: where, why, and what it can still be recognised by."""

    place: str
    problem: str
    book_id: int | None = None
    identifiers: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The problem (which names its place, ``books[b0][3].editions[1].pages: …``), as an item's failure
        shows it."""
        return f"hardcover: {self.problem}"


@dataclass
class ShapeLog:
    """Collects the run's forgiven fields (one warning each) and set-aside rows (by book and identifier)."""

    warned: dict[str, str] = field(default_factory=dict)  # field name → first place and problem
    set_aside: list[SetAside] = field(default_factory=list)
    _by_book: dict[int, SetAside] = field(default_factory=dict)
    _by_identifier: dict[str, SetAside] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget everything: a new run starts."""
        self.warned.clear()
        self.set_aside.clear()
        self._by_book.clear()
        self._by_identifier.clear()

    def warn(self, place: str, problem: str) -> None:
        """A scoring or display field read as empty; logged once per field per run."""
        name = field_name(place)
        if name in self.warned:
            return
        self.warned[name] = f"{place}: {problem}"
        log.warning("hardcover sent %s in an unexpected shape (%s): read as empty", name, problem)

    def put_aside(
        self, place: str, problem: str, *, book_id: int | None = None, identifiers: Iterable[str | None] = ()
    ) -> None:
        """A row left out because a field a write needs is malformed."""
        ids = tuple(sorted({i.upper() for i in identifiers if isinstance(i, str) and i}))
        row = SetAside(place, problem, book_id, ids)
        self.set_aside.append(row)
        if book_id is not None:
            self._by_book.setdefault(book_id, row)
        for value in ids:
            self._by_identifier.setdefault(value, row)
        log.warning("hardcover sent a malformed row, left out: %s", row.message)

    def for_book(self, book_id: int | None) -> SetAside | None:
        """The set-aside row of this book (its own row, an edition of it, or the user's entry), if any."""
        return self._by_book.get(book_id) if book_id is not None else None

    def for_identifier(self, value: str) -> SetAside | None:
        """The set-aside edition row that carries this ISBN or ASIN, if any."""
        return self._by_identifier.get(value.upper())

    def notes(self) -> list[str]:
        """One sentence per forgiven field and per set-aside row that no book or identifier names."""
        notes = [
            f"Hardcover sent {name} in an unexpected shape; read as empty ({first})"
            for name, first in sorted(self.warned.items())
        ]
        notes += [
            f"Hardcover sent a malformed row that names no book; left out ({row.message})"
            for row in self.set_aside
            if row.book_id is None and not row.identifiers
        ]
        return notes
