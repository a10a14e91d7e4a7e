"""Read models built from the store: what the front ends show (status, statistics, runs, conflicts with
their candidates), as values of :mod:`bookrelay.app.read_models` or small frozen dataclasses, never ORM
rows or store enums, so that a page or a table depends on this module and not on the store's schema.

For conflict details and search, Hardcover is asked through the look-ups the composition root gave the
context (:class:`ReadContext`: the web app's context is one).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bookrelay.app.read_models import (
    CandidateOut,
    ConflictDetail,
    ConflictOut,
    EditionOut,
    ItemOut,
    LinkOut,
    ScorePart,
    SearchHitOut,
)
from bookrelay.config import Config
from bookrelay.domain.models import Book, Edition, ReadingFormat, SearchHit
from bookrelay.errors import BookrelayError, ConfigError
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.models import Conflict, ConflictStatus, Link
from bookrelay.store.repositories import Label
from bookrelay.sync.pins import check_pin

HardcoverSearch = Callable[[str, str], Awaitable[Sequence[SearchHit]]]
HardcoverBooks = Callable[[str, Sequence[int]], Awaitable[Sequence[Book]]]


class ReadContext(Protocol):
    """What the read models need: the configuration, the store, Hardcover's look-ups (None when not
    wired), a cache of the books they fetched, the clock, and the schedule."""

    config: Config
    store: Store
    hardcover_search: HardcoverSearch | None
    hardcover_books: HardcoverBooks | None
    book_cache: dict[int, Book]

    def now(self) -> datetime:
        """The current time (UTC)."""
        ...

    def next_run(self, user_id: str, job: str) -> datetime | None:
        """When the job runs next for the user; None when it is not scheduled."""
        ...

    def enabled_jobs(self, user_id: str | None = None) -> list[str]:
        """The jobs that run for the user (for anyone when None)."""
        ...


_PART = re.compile(r"^(?P<name>[\w-]+) (?P<value>-?[\d.]+)x(?P<weight>-?[\d.]+)(?: \((?P<detail>.*)\))?$")
_SKIPPED = re.compile(r"^(?P<name>[\w-]+) skipped(?: \((?P<detail>.*)\))?$")


def score_parts(explanation: str) -> list[ScorePart]:
    """The named parts of a score from its explanation (``0.72 = title 0.90x0.50 (…) + author …``)."""
    _, _, body = explanation.partition(" = ")
    body = body.split("; capped: ", 1)[0]
    parts: list[ScorePart] = []
    for chunk in _split_top_level(body):
        if found := _PART.match(chunk):
            parts.append(
                ScorePart(
                    name=found["name"],
                    value=float(found["value"]),
                    weight=float(found["weight"]),
                    detail=found["detail"] or "",
                )
            )
        elif found := _SKIPPED.match(chunk):
            parts.append(ScorePart(name=found["name"], weight=0.0, detail=found["detail"] or "skipped"))
        elif chunk:
            parts.append(ScorePart(name="note", detail=chunk))
    return parts


def _stored_parts(entry: dict[str, Any]) -> list[ScorePart]:
    """The score parts the sync stored with a candidate (newer conflicts carry them)."""
    parts = entry.get("parts")
    if not isinstance(parts, list):
        return []
    return [
        ScorePart(
            name=str(p.get("name", "")),
            value=float(p.get("value") or 0.0),
            weight=float(p.get("weight") or 0.0),
            detail=str(p.get("detail") or ""),
        )
        for p in parts
        if isinstance(p, dict)
    ]


def _split_top_level(text: str) -> list[str]:
    # " + " inside a part's "(detail)" must not split it.
    chunks, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith(" + ", i):
            chunks.append(text[start:i].strip())
            start = i + 3
    chunks.append(text[start:].strip())
    return [c for c in chunks if c]


def conflict_out(conflict: Conflict) -> ConflictOut:
    """A conflict without its candidates."""
    return ConflictOut(
        id=conflict.id,
        user_id=conflict.user_id,
        source=conflict.source,
        source_item_id=conflict.source_item_id,
        title=conflict.title,
        reason=conflict.reason,
        status=conflict.status.value,
        resolution=conflict.resolution,
        created_at=conflict.created_at,
        updated_at=conflict.updated_at,
        candidate_count=len(conflict.candidates or []),
    )


async def conflict_detail(ctx: ReadContext, conflict_id: int) -> ConflictDetail:
    """A conflict with its candidates, their score parts, and their book details from Hardcover.

    Book details cost one Hardcover unit per uncached view; when Hardcover fails, the candidates are
    still shown, with ``details_error`` saying why."""
    conflict = ctx.store.conflicts.get(conflict_id)
    raw = [c for c in (conflict.candidates or []) if isinstance(c, dict) and "book_id" in c]
    books, error = await _books(ctx, conflict.user_id, [int(c["book_id"]) for c in raw])
    candidates = []
    for entry in raw:
        book = books.get(int(entry["book_id"]))
        explanation = str(entry.get("explanation") or "")
        candidates.append(
            CandidateOut(
                book_id=int(entry["book_id"]),
                title=str(entry.get("title") or (book.title if book else "")),
                score=float(entry.get("score") or 0.0),
                explanation=explanation,
                parts=_stored_parts(entry) or score_parts(explanation),
                authors=list(book.authors) if book else list(entry.get("authors") or []),
                image_url=book.image_url if book else entry.get("image_url"),
                release_year=book.release_year if book else None,
                editions=[_edition_out(e) for e in book.editions] if book else [],
            )
        )
    base = conflict_out(conflict).model_dump()
    key = (conflict.source, conflict.source_item_id)
    label = ctx.store.labels.for_items(conflict.user_id, [key]).get(key)
    item = (
        ItemOut(
            title=label.title,
            authors=list(label.authors),
            narrators=list(label.narrators),
            duration_seconds=label.duration_seconds,
            identifiers=dict(label.identifiers),
        )
        if label is not None
        else None
    )
    return ConflictDetail(**base, candidates=candidates, details_error=error, item=item)


async def checked_pin(ctx: ReadContext, user_id: str, book_id: int, edition_id: int | None) -> Book | None:
    """The book a pin or a settled conflict names, confirmed by Hardcover with the user's token (one unit;
    M1); None when no Hardcover look-up is wired. Raises NotFound or ConfigError as ``check_pin`` does."""
    if ctx.hardcover_books is None or user_id not in {u.id for u in ctx.config.users}:
        return None
    lookup = ctx.hardcover_books

    async def books(ids: Sequence[int]) -> Sequence[Book]:
        return await lookup(user_id, ids)

    book = await check_pin(books, book_id, edition_id)
    ctx.book_cache[book.id] = book
    return book


async def _books(ctx: ReadContext, user_id: str, ids: list[int]) -> tuple[dict[int, Book], str | None]:
    missing = [i for i in ids if i not in ctx.book_cache]
    error = None
    if missing and ctx.hardcover_books is not None and user_id in {u.id for u in ctx.config.users}:
        try:
            for book in await ctx.hardcover_books(user_id, missing):
                ctx.book_cache[book.id] = book
        except BookrelayError as exc:
            error = str(exc)
    elif missing:
        error = "book details need Hardcover, which is not available for this user"
    return {i: ctx.book_cache[i] for i in ids if i in ctx.book_cache}, error


def _edition_out(edition: Edition) -> EditionOut:
    fmt = edition.reading_format
    return EditionOut(
        id=edition.id,
        title=edition.title,
        format=edition.edition_format,
        reading_format=fmt.name.lower() if isinstance(fmt, ReadingFormat) else None,
        audio_seconds=edition.audio_seconds,
        pages=edition.pages,
        isbn_13=edition.isbn_13,
        asin=edition.asin,
    )


async def search_hardcover(ctx: ReadContext, user_id: str, query: str) -> list[SearchHitOut]:
    """Hardcover's search for a user (one unit); ConfigError when no Hardcover lookup is wired."""
    if ctx.hardcover_search is None or user_id not in {u.id for u in ctx.config.users}:
        raise ConfigError(f"Hardcover search is not available for user {user_id!r}", place="user_id")
    hits = await ctx.hardcover_search(user_id, query.strip())
    return [
        SearchHitOut(
            book_id=h.book_id,
            title=h.title,
            authors=list(h.authors),
            release_year=h.release_year,
            audio_seconds=h.audio_seconds,
            pages=h.pages,
            image_url=h.image_url,
            users_count=h.users_count,
        )
        for h in hits
    ]


def open_conflicts(store: Store, user_id: str | None = None) -> list[Conflict]:
    """The open conflicts (of one user, or everyone's), newest first."""
    return store.conflicts.list(ConflictStatus.OPEN, user_id=user_id)


# -- the API's and the pages' lists and actions, as read models ----------------------------------------


def conflicts(store: Store, status: ConflictStatus | None, user_id: str | None = None) -> list[ConflictOut]:
    """Conflicts of one status (every status when None), newest first."""
    return [conflict_out(c) for c in store.conflicts.list(status, user_id=user_id)]


async def settle_conflict(
    ctx: ReadContext, conflict_id: int, book_id: int, edition_id: int | None
) -> tuple[ConflictOut, Book | None]:
    """Settle a conflict for a book (and edition): a pinned link (M1), once Hardcover confirmed an open
    conflict's choice; the conflict and the confirmed book (None when Hardcover was not asked)."""
    conflict = ctx.store.conflicts.get(conflict_id)
    book = None
    if conflict.status is ConflictStatus.OPEN:
        book = await checked_pin(ctx, conflict.user_id, book_id, edition_id)
    return conflict_out(ctx.store.conflicts.resolve(conflict_id, book_id, edition_id)), book


def dismiss_conflict(store: Store, conflict_id: int) -> ConflictOut:
    """Ignore a conflict: the item is not synced."""
    return conflict_out(store.conflicts.ignore(conflict_id))


def links(store: Store, user_id: str, status: MatchOutcome | None = None) -> list[LinkOut]:
    """The user's links (of one status), with the title, authors and cover people know them by."""
    labels = store.labels.for_user(user_id)
    return [
        _link_out(k, labels.get((k.source, k.source_item_id)))
        for k in store.links.list_for_user(user_id, status)
    ]


def _link_out(link: Link, label: Label | None) -> LinkOut:
    out = LinkOut.model_validate(link)
    if label is None:
        return out
    return out.model_copy(
        update={
            "title": label.title,
            "authors": list(label.authors),
            "hardcover_title": label.hardcover_title,
            "hardcover_authors": list(label.hardcover_authors),
            "image_url": label.image_url,
        }
    )


async def pin_item(
    ctx: ReadContext, user_id: str, source: str, item_id: str, book_id: int, edition_id: int | None
) -> tuple[LinkOut, Book | None]:
    """Pin an item to a book (and edition), once Hardcover confirmed them (M1); the link, and the book
    Hardcover confirmed (None when no Hardcover look-up is wired)."""
    book = await checked_pin(ctx, user_id, book_id, edition_id)
    return LinkOut.model_validate(ctx.store.links.pin(user_id, source, item_id, book_id, edition_id)), book


def unpin_item(store: Store, user_id: str, source: str, item_id: str) -> LinkOut:
    """Release a pin: the next run matches the item again."""
    return LinkOut.model_validate(store.links.unpin(user_id, source, item_id))


def switch_item_sync(store: Store, user_id: str, source: str, item_id: str, enabled: bool) -> LinkOut:
    """Switch syncing of one item on or off (A1)."""
    return LinkOut.model_validate(store.links.set_sync_enabled(user_id, source, item_id, enabled))


def settled_conflicts(
    store: Store, user_id: str | None, limit: int = 20
) -> list[tuple[ConflictOut, str | None]]:
    """The newest settled or ignored conflicts, each with the title of the candidate it was linked to."""
    closed = [c for c in store.conflicts.list(None, user_id=user_id) if c.status != ConflictStatus.OPEN]
    return [(conflict_out(c), _chosen_title(c)) for c in closed[:limit]]


def name_settled_item(store: Store, conflict_id: int) -> str | None:
    """Name a settled conflict's item after the candidate it was linked to (its stored label), and return
    that candidate's title; None when the candidates do not name it."""
    conflict = store.conflicts.get(conflict_id)
    book_id = (conflict.resolution or {}).get("hardcover_book_id")
    if book_id is not None:
        store.labels.name_from_candidates(
            conflict.user_id,
            conflict.source,
            conflict.source_item_id,
            int(book_id),
            conflict.candidates or [],
        )
    return _chosen_title(conflict)


def _chosen_title(conflict: Conflict) -> str | None:
    """The title of the candidate a settled conflict was linked to, from its stored candidates."""
    chosen = (conflict.resolution or {}).get("hardcover_book_id")
    for candidate in conflict.candidates or []:
        if isinstance(candidate, dict) and candidate.get("book_id") == chosen:
            return str(candidate.get("title") or "") or None
    return None


def item_title(store: Store, user_id: str, source: str, item_id: str) -> str | None:
    """The title people know an item by (its stored label); None before the sync met it."""
    label = store.labels.for_items(user_id, [(source, item_id)]).get((source, item_id))
    return label.title if label else None
