"""What the catalogue is asked for an item that has no identifier hit (M4): the exact titles it may be
held under, and the ``search`` text."""

from __future__ import annotations

import re

from bookrelay.domain.authors import split_authors
from bookrelay.domain.titles import (
    is_placeholder,
    strip_author_prefix,
    strip_edition_words,
    strip_track_number,
    title_forms,
)
from bookrelay.sync.sources import SourceEntry

_SERIES_PREFIX = re.compile(
    r"^.{1,80}?\b(?:book|vol\.?|volume|#)?\s*\d+(?:\.\d+)?\s*[:\-\u2013]\s+", re.IGNORECASE
)
_TRAILING_NOTE = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")


def title_variants(entry: SourceEntry) -> list[str]:
    """Exact titles a catalogue may hold the item under: as given, without subtitle, series prefix or a
    trailing note in brackets, and with its subtitle joined."""
    item = entry.item
    title = item.title.strip()
    variants = [title]
    if item.subtitle:
        variants.append(f"{title}: {item.subtitle.strip()}")
    head, sep, tail = title.partition(":")
    if sep:
        variants.extend([head.strip(), tail.strip()])
    variants.append(_TRAILING_NOTE.sub("", title))
    variants.append(strip_edition_words(title))
    variants.append(_SERIES_PREFIX.sub("", title))
    variants.append(strip_track_number(title))
    variants.append(strip_author_prefix(title, split_authors(item.authors)) or title)
    return [v for v in dict.fromkeys(variants) if len(v) >= 2]


def search_query(entry: SourceEntry) -> str:
    """The ``search`` text for an item: its title without subtitle and series noise, and its first author."""
    item = entry.item
    authors = split_authors(item.authors)
    # A folder name "Author - Title" searches for the title; a track number is no title.
    written = strip_author_prefix(item.title, authors) or item.title
    series = [s.name for s in item.series]
    forms = [
        f.main
        for f in title_forms(written, item.subtitle, series, spelled=False)
        if f.main and not is_placeholder(f.main)
    ]
    title = min(forms, key=len) if forms else written
    author = authors[0] if authors else ""
    return f"{title} {author}".strip()
