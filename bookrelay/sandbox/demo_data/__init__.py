"""The bundled demo fixture: one Hardcover user and one Audiobookshelf user whose ~40 books show every
matching and progress rule (DESIGN M1-M5, P1-P11) once, so ``bookrelay demo`` and ``sandbox serve``
have something worth looking at.

Everything is deterministic: identifiers are generated from counters with valid check digits, dates are
fixed. :class:`FixtureBuilder` (in :mod:`.builder`) is public so that benchmarks build their (much larger)
fixtures the same way; the items are added by one function per kind of case (:mod:`.matching_cases`,
:mod:`.progress_cases`), in a fixed order.
"""

from __future__ import annotations

from typing import Any

from bookrelay.sandbox.demo_data import matching_cases, progress_cases
from bookrelay.sandbox.demo_data.builder import (
    AUDIO,
    DEMO_ABS_KEY,
    DEMO_ABS_USER,
    DEMO_HARDCOVER_TOKEN,
    DEMO_HARDCOVER_USER_ID,
    DID_NOT_FINISH,
    EBOOK,
    FREE_PLAN_LIMITS,
    HOUR,
    PAUSED,
    PRINT,
    READ,
    READING,
    WANT_TO_READ,
    FixtureBuilder,
    make_asin,
    make_isbn10,
    make_isbn13,
    ms,
    spoil_checksum,
)
from bookrelay.sandbox.demo_data.cases import DemoBook, DemoCase

# The order is part of the data: it numbers books, editions and generated identifiers.
_KINDS = (
    matching_cases.identifier_forms,
    matching_cases.identifier_traps,
    matching_cases.titles_and_series,
    matching_cases.subtitles_and_suffixes,
    matching_cases.translations_and_spelling,
    matching_cases.search_limits,
    matching_cases.editions_by_length_and_shelf,
    matching_cases.editions_with_pages,
    progress_cases.finishes,
    progress_cases.rereads,
    progress_cases.holds,
    progress_cases.progress_writes,
    progress_cases.podcast,
)


def build_demo() -> tuple[FixtureBuilder, dict[str, DemoCase]]:
    """A new builder holding the whole demo, and what each of its items shows, by title."""
    demo = DemoBook()
    for add in _KINDS:
        add(demo)
    return demo.builder, demo.cases


DEMO_EXPECTED = build_demo()[1]
DEMO_CASES: dict[str, str] = {title: c.rule for title, c in DEMO_EXPECTED.items()}


def demo_fixture() -> dict[str, Any]:
    """A fresh, complete sandbox fixture for the demo (every call builds an independent copy)."""
    return build_demo()[0].fixture()


__all__ = [
    "AUDIO",
    "DEMO_ABS_KEY",
    "DEMO_ABS_USER",
    "DEMO_CASES",
    "DEMO_EXPECTED",
    "DEMO_HARDCOVER_TOKEN",
    "DEMO_HARDCOVER_USER_ID",
    "DID_NOT_FINISH",
    "EBOOK",
    "FREE_PLAN_LIMITS",
    "HOUR",
    "PAUSED",
    "PRINT",
    "READ",
    "READING",
    "WANT_TO_READ",
    "DemoCase",
    "FixtureBuilder",
    "build_demo",
    "demo_fixture",
    "make_asin",
    "make_isbn10",
    "make_isbn13",
    "ms",
    "spoil_checksum",
]
