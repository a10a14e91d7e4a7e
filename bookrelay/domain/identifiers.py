"""Book identifiers, normalised (rule M3), and the hashes that tell when an item changed (M2, M4).

An ISBN is kept as its 13 digits (the ISBN-10 form is derived), an ASIN as 10 upper-case characters.
Either value may sit in either field of a source item: the form decides what it is. A string that
fails its checksum or its form is *not* an identifier and never links on its own (M3).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError

from bookrelay.domain.models import SourceItem

# Prefixes people and taggers put in front of the value ("ISBN-13: …", "urn:isbn:…", "ASIN: …").
_PREFIX = re.compile(r"^\s*(?:urn:)?(?:isbn|asin)(?:[\s-]*1[03])?\s*[:#]?\s*", re.IGNORECASE)
_SEPARATORS = re.compile(
    r"[\s\-\u2010\u2011\u2012\u2013\u2014.]"
)  # every dash a tagger may use, spaces, dots
_LIST_SPLIT = re.compile(r"[,;|/]")
_ASIN_FORM = re.compile(r"^B0[0-9A-Z]{8}$")
_ISBN10_FORM = re.compile(r"^\d{9}[\dX]$")
_ISBN13_FORM = re.compile(r"^97[89]\d{10}$")


@dataclass(frozen=True, slots=True)
class Identifiers:
    """The normalised identifiers of one source item, and the raw values that were not identifiers."""

    isbn13s: tuple[str, ...] = ()
    isbn10s: tuple[str, ...] = ()
    asins: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the item has no usable identifier at all."""
        return not (self.isbn13s or self.asins)


def _compact(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _PREFIX.sub("", text)
    return _SEPARATORS.sub("", text).upper()


def normalize_isbn(raw: str | None) -> str | None:
    """The ISBN-13 digits of an ISBN-10 or ISBN-13 in any usual spelling, or None if it is not one."""
    if not raw:
        return None
    value = _compact(raw)
    if not (_ISBN10_FORM.match(value) or _ISBN13_FORM.match(value)):
        return None
    try:
        checked = stdnum_isbn.validate(value)
    except ValidationError:
        return None
    return str(stdnum_isbn.to_isbn13(checked))


def isbn10_of(isbn13: str | None) -> str | None:
    """The ISBN-10 form of a valid ISBN (only 978 ISBNs have one), or None."""
    normalised = normalize_isbn(isbn13)
    if normalised is None or not normalised.startswith("978"):
        return None
    return str(stdnum_isbn.to_isbn10(normalised))


def normalize_asin(raw: str | None) -> str | None:
    """A 10-character upper-case ASIN (``B0…``, or a valid ISBN-10 as Amazon uses for books), or None."""
    if not raw:
        return None
    value = _compact(raw)
    if _ASIN_FORM.match(value):
        return value
    if _ISBN10_FORM.match(value) and normalize_isbn(value) is not None:
        return value
    return None


def _classify(raw: str) -> tuple[str, str] | None:
    """("isbn", isbn13) or ("asin", asin) by form, whatever field the value came from."""
    value = _compact(raw)
    if _ASIN_FORM.match(value):
        return ("asin", value)
    isbn13 = normalize_isbn(value)
    if isbn13 is not None:
        return ("isbn", isbn13)
    return None


def _raw_values(field_value: str | None) -> list[str]:
    if not field_value:
        return []
    return [part.strip() for part in _LIST_SPLIT.split(field_value) if part.strip()]


def identifiers_of(item: SourceItem) -> Identifiers:
    """Every identifier in the item's ISBN and ASIN fields, by form (either value in either field)."""
    isbn13s: list[str] = []
    asins: list[str] = []
    invalid: list[str] = []
    for raw in [*_raw_values(item.isbn), *_raw_values(item.asin)]:
        found = _classify(raw)
        if found is None:
            invalid.append(raw)
            continue
        kind, value = found
        target = asins if kind == "asin" else isbn13s
        if value not in target:
            target.append(value)
    isbn10s = [ten for ten in (isbn10_of(v) for v in isbn13s) if ten is not None]
    return Identifiers(
        isbn13s=tuple(isbn13s),
        isbn10s=tuple(isbn10s),
        asins=tuple(asins),
        invalid=tuple(dict.fromkeys(invalid)),
    )


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def identifiers_hash(item: SourceItem) -> str:
    """A stable hash of the item's normalised identifiers: unchanged means an earlier link is reused (M2)."""
    ids = identifiers_of(item)
    return _digest({"isbn13": sorted(ids.isbn13s), "asin": sorted(ids.asins)})


def _fold_text(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def metadata_hash(item: SourceItem) -> str:
    """A stable hash of title, subtitle, authors and duration: a change re-opens an unmatched item (M4)."""
    # Rounded to the minute: re-scanned audio files differ by fractions of a second.
    duration = round(item.duration_seconds / 60) if item.duration_seconds else None
    return _digest(
        {
            "title": _fold_text(item.title),
            "subtitle": _fold_text(item.subtitle),
            "authors": sorted(_fold_text(a) for a in item.authors),
            "minutes": duration,
        }
    )
