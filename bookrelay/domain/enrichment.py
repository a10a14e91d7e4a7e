"""Which identifiers an Audiobookshelf item lacks, and the values a Hardcover edition offers for them.

Pure: the enrich job (``sync/enrich.py``) fetches, this decides. A field holding a valid ISBN or ASIN
(either value in either field, as M3 reads them) is never proposed for overwriting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bookrelay.domain.identifiers import normalize_asin, normalize_isbn
from bookrelay.domain.models import Edition, MediaKind, ReadingFormat

FIELDS = ("isbn", "asin")


def holds_identifier(raw: str | None) -> bool:
    """True when the field's text is a valid ISBN (10 or 13, checksum right) or ASIN."""
    return bool(raw) and (normalize_isbn(raw) is not None or normalize_asin(raw) is not None)


def missing_fields(isbn: str | None, asin: str | None) -> tuple[str, ...]:
    """The fields of an item that are empty or hold no valid identifier (bad checksum, wrong length)."""
    return tuple(name for name, raw in (("isbn", isbn), ("asin", asin)) if not holds_identifier(raw))


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A proposed value for one field and the edition it comes from."""

    field: str
    value: str
    edition_id: int
    note: str


def _fits(edition: Edition, kind: MediaKind) -> bool:
    fmt = edition.reading_format
    if kind is MediaKind.AUDIO:
        return fmt in (ReadingFormat.AUDIO, ReadingFormat.BOTH)
    return fmt in (ReadingFormat.EBOOK, ReadingFormat.PHYSICAL, ReadingFormat.BOTH)


def propose_values(
    needs: Sequence[str], kind: MediaKind, chosen: Edition | None, editions: Sequence[Edition]
) -> list[FieldValue]:
    """Values for the ``needs`` fields: from the chosen edition first, then other editions of the item's
    format (most used first). An ISBN may come from another format (it still names the book, M3), an
    ASIN never does: a Kindle ASIN on an audiobook would point Audible look-ups at the wrong product."""
    ordered: list[Edition] = [chosen] if chosen is not None else []
    others = sorted(
        (e for e in editions if chosen is None or e.id != chosen.id), key=lambda e: -e.users_count
    )
    ordered += [e for e in others if _fits(e, kind)]
    other_formats = [e for e in others if not _fits(e, kind)]
    values: list[FieldValue] = []
    for name in needs:
        if name == "asin":
            pool = [e for e in ordered if e is chosen or _fits(e, kind)]
            found = next(((e, v) for e in pool if (v := normalize_asin(e.asin)) is not None), None)
        else:
            pool = ordered + other_formats
            found = next(
                ((e, v) for e in pool if (v := normalize_isbn(e.isbn_13 or e.isbn_10)) is not None), None
            )
        if found is None:
            continue
        edition, value = found
        note = "chosen edition" if edition is chosen else f"edition {edition.id} ({_format_name(edition)})"
        values.append(FieldValue(name, value, edition.id, note))
    return values


def _format_name(edition: Edition) -> str:
    if edition.reading_format is None:
        return "format unknown"
    return edition.reading_format.name.lower()
