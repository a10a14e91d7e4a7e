"""The words matching speaks in: where it leaves an item, how a link was made, what a lookup was for.

One enum per idea, owned here and used by the score, the pipeline, the jobs and the front ends alike;
the store maps them onto its columns with the same values (``store/models.py``).
"""

from __future__ import annotations

from enum import StrEnum


class MatchOutcome(StrEnum):
    """Where matching leaves a source item (M1-M5): the score's decision, the pipeline's resolution and
    the link's stored status."""

    LINKED = "linked"
    CONFLICT = "conflict"
    UNMATCHED = "unmatched"
    IGNORED = "ignored"  # the user dismissed the item's conflict: stored, never given by matching
    FAILED = (
        "failed"  # this run only: Hardcover's answer for the item's book was malformed (S3); never stored
    )


class LinkMethod(StrEnum):
    """How a source item got linked to its Hardcover book."""

    PIN = "pin"
    ASIN = "asin"
    ISBN = "isbn"
    FUZZY = "fuzzy"
    SHELF = "shelf"
    MANUAL = "manual"


class CacheKind(StrEnum):
    """What a lookup-cache key is."""

    ASIN = "asin"
    ISBN13 = "isbn13"
    ISBN10 = "isbn10"
    SEARCH = "search"
