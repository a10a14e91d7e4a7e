"""M4's second, cheaper try: when the title search found the item's author but not a strong match, the
author's books are fetched by name in one ``search`` (one per author and run, cached like a title search)
and scored locally with the first candidates. An item the first search settles, or whose author the
catalogue does not know, costs nothing more."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.domain.models import SourceItem
from bookrelay.matching.authors import split_authors
from bookrelay.matching.outcome import CacheKind, MatchOutcome
from bookrelay.matching.score import AUTHOR_MATCH, MatchDecision
from bookrelay.store.repositories import LookupCacheRepo

AUTHOR_BOOKS = 25  # one page of an author's books: enough for a long series
AUTHOR_TTL = timedelta(days=3)


CROWDED = 2  # this many of the author's books on the first page: theirs may go on past it


def author_to_fetch(item: SourceItem, decision: MatchDecision) -> str | None:
    """The author whose books are worth one more search: the first search left the item unmatched, and
    its page held several of that author's books (the catalogue knows them well; the book sought may
    have been crowded out). One book of a namesake is no reason to spend more."""
    if decision.kind is not MatchOutcome.UNMATCHED:
        return None
    names = split_authors(item.authors)
    if not names:
        return None
    theirs = 0
    for _, score in decision.candidates:
        part = score.part("author")
        theirs += part is not None and part.weight > 0 and part.value >= AUTHOR_MATCH
    return names[0] if theirs >= CROWDED else None


async def author_book_ids(
    api: HardcoverApi, cache: LookupCacheRepo, names: Iterable[str]
) -> dict[str, list[int]]:
    """Book ids per author name, one ``search`` per name not answered within the TTL."""
    found: dict[str, list[int]] = {}
    for name in sorted(set(names)):
        key = f"author:{name.casefold()}"
        cached = cache.get(CacheKind.SEARCH, key)
        if cached is not None:
            found[name] = list(cached.value or [])
            continue
        hits = await api.search_books(name, per_page=AUTHOR_BOOKS)
        found[name] = [h.book_id for h in hits[:AUTHOR_BOOKS]]
        if found[name]:
            cache.put(CacheKind.SEARCH, key, found[name], AUTHOR_TTL)
        else:
            cache.put_negative(CacheKind.SEARCH, key, AUTHOR_TTL)
    return found
