"""The matching pipeline (M1-M5): pinned link → earlier link → the user's shelf → the catalogue by
identifiers in batches → exact titles → ``search`` scored locally; then the edition by the item's format
(:mod:`bookrelay.matching.settle`).

Every Hardcover request here is a batch: one shelf fetch, one ``_in`` query per hundred identifiers,
one ``books`` query per hundred books, and one ``search`` per item that has nothing better. The
Hardcover API and the lookup cache are passed in by the composition root (``app/matching.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bookrelay.connectors.hardcover.api import CatalogueHits, HardcoverApi
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.identifiers import Identifiers, identifiers_hash, identifiers_of, metadata_hash
from bookrelay.domain.models import Book, Edition, ReadingFormat, SearchHit
from bookrelay.matching.author_books import author_book_ids, author_to_fetch
from bookrelay.matching.editions import NoAudioEdition
from bookrelay.matching.outcome import CacheKind, LinkMethod, MatchOutcome
from bookrelay.matching.resolution import Resolution, Shelf
from bookrelay.matching.score import (
    MatchDecision,
    MatchThresholds,
    MatchWeights,
    decide,
    identifier_hit_agrees,
    score_candidate,
)
from bookrelay.matching.settle import Linker
from bookrelay.matching.titles import search_query, title_variants
from bookrelay.store.repositories import LinkState, LookupCacheRepo

IDENTIFIER_MISS_TTL = timedelta(days=7)
SEARCH_TTL = timedelta(days=3)
SEARCH_CANDIDATES = 5


def _identifier_order(ids: Identifiers) -> list[tuple[LinkMethod, str]]:
    """ASIN first, then ISBN-13, then ISBN-10 (M3)."""
    return (
        [(LinkMethod.ASIN, a) for a in ids.asins]
        + [(LinkMethod.ISBN, i) for i in ids.isbn13s]
        + [(LinkMethod.ISBN, i) for i in ids.isbn10s]
    )


class Resolver(Linker):
    """Runs the matching pipeline for one user's run; all Hardcover reads are batched."""

    def __init__(
        self,
        api: HardcoverApi,
        cache: LookupCacheRepo,
        *,
        weights: MatchWeights | None = None,
        thresholds: MatchThresholds | None = None,
        unmatched_ttl: timedelta = timedelta(hours=168),
        no_audio_edition: NoAudioEdition = "pages",
        now: Callable[[], datetime],
    ) -> None:
        self.api = api
        self.cache = cache
        self.weights = weights or MatchWeights()
        self.thresholds = thresholds or MatchThresholds()
        self.unmatched_ttl = unmatched_ttl
        self.no_audio_edition = no_audio_edition
        self.now = now
        self.pointed = {}
        # M4: the exact-title candidates of items that go on to search are scored with its hits.
        self.fetched: dict[str, list[Book]] = {}

    async def resolve(
        self, entries: Sequence[SourceEntry], links: Mapping[str, LinkState], shelf: Shelf
    ) -> list[Resolution]:
        """A resolution for every entry, in the order given."""
        done: dict[str, Resolution] = {}
        known_books: dict[int, Book] = {}
        linked_ids: dict[str, tuple[LinkMethod, int, int | None, float | None]] = {}
        to_match: list[SourceEntry] = []
        for entry in entries:
            link = links.get(entry.item.item_id)
            if link is not None and link.hardcover_book_id is not None and link.status == MatchOutcome.LINKED:
                same_ids = link.identifiers_hash == identifiers_hash(entry.item)
                if link.pinned or same_ids:  # M1, M2
                    method = LinkMethod.PIN if link.pinned else (link.method or LinkMethod.MANUAL)
                    linked_ids[entry.item.item_id] = (
                        method,
                        link.hardcover_book_id,
                        link.hardcover_edition_id,
                        link.score,
                    )
                    continue
            if link is not None and self._still_unmatched(entry, link):
                done[entry.item.item_id] = Resolution(
                    entry,
                    MatchOutcome.UNMATCHED,
                    reason="nothing matched earlier",
                    retry_after=link.unmatched_until,
                )
                continue
            to_match.append(entry)

        # M2: a link whose book vanished is re-resolved; books off the shelf are checked in one batch.
        missing = {book_id for _, book_id, _, _ in linked_ids.values() if book_id not in shelf.by_book}
        if missing:
            known_books.update({b.id: b for b in await self.api.books_by_ids(sorted(missing))})
        for entry in entries:
            found = linked_ids.get(entry.item.item_id)
            if found is None:
                continue
            method, book_id, edition_id, score = found
            if (odd := self._set_aside(entry, book_id)) is not None:
                done[entry.item.item_id] = odd
                continue
            on_shelf = shelf.by_book.get(book_id)
            book = known_books.get(book_id) or (on_shelf.book if on_shelf else None)
            if on_shelf is None and book_id not in known_books:
                to_match.append(entry)  # vanished: match again, write nothing to the old book
                continue
            done[entry.item.item_id] = self._linked(
                entry, method, book, book_id, None, on_shelf, pinned_edition=edition_id, score=None
            )
            if score is not None:
                done[entry.item.item_id] = replace(done[entry.item.item_id], reason=f"score {score:.2f}")

        if to_match:
            await self._match(to_match, shelf, done)
        return [done[e.item.item_id] for e in entries]

    def _still_unmatched(self, entry: SourceEntry, link: LinkState) -> bool:
        if link.status != MatchOutcome.UNMATCHED or link.unmatched_until is None:
            return False
        return link.unmatched_until > self.now() and link.metadata_hash == metadata_hash(entry.item)

    async def _match(self, entries: list[SourceEntry], shelf: Shelf, done: dict[str, Resolution]) -> None:
        self.pointed, self.fetched = {}, {}
        remaining: list[SourceEntry] = []
        for entry in entries:  # the user's own shelf first (M3)
            resolution = self._match_shelf_identifiers(entry, shelf)
            if resolution is None:
                remaining.append(entry)
            else:
                done[entry.item.item_id] = resolution

        hits = await self._catalogue(remaining)
        by_identifier: dict[str, list[Edition]] = {}
        for edition in hits.editions:
            for value in {(x or "").upper() for x in _ids(edition)} - {""}:
                by_identifier.setdefault(value, []).append(edition)
        after_catalogue: list[SourceEntry] = []
        for entry in remaining:
            resolution = self._match_catalogue(entry, hits, by_identifier, shelf)
            if resolution is None:
                after_catalogue.append(entry)
            else:
                done[entry.item.item_id] = resolution

        to_search: list[SourceEntry] = []
        for entry in after_catalogue:
            decision = decide(
                entry.item,
                [
                    (b.book, score_candidate(entry.item, b.book, self.weights))
                    for b in shelf.entries
                    if b.book
                ],
                self.thresholds,
            )
            if decision.kind is MatchOutcome.LINKED and decision.book is not None:
                on_shelf = shelf.by_book[decision.book.id]
                done[entry.item.item_id] = self._elsewhere(
                    entry,
                    self._linked(
                        entry,
                        LinkMethod.SHELF,
                        on_shelf.book,
                        decision.book.id,
                        None,
                        on_shelf,
                        score=decision.score,
                    ),
                )
            else:
                to_search.append(entry)
        to_search = await self._match_titles(to_search, shelf, done)
        await self._search(to_search, shelf, done)

    async def _match_titles(
        self, entries: list[SourceEntry], shelf: Shelf, done: dict[str, Resolution]
    ) -> list[SourceEntry]:
        """Exact-title candidates for many items in one request, scored like search hits (M4).

        Only a strong, unambiguous link is taken here; everything else goes on to ``search``.
        """
        if not entries:
            return []
        variants = {entry.item.item_id: title_variants(entry.item) for entry in entries}
        books = await self.api.books_by_titles(sorted({t for ts in variants.values() for t in ts}))
        by_title: dict[str, list[Book]] = {}
        for book in books:
            by_title.setdefault(book.title, []).append(book)
        remaining: list[SourceEntry] = []
        for entry in entries:
            candidates = {b.id: b for t in variants[entry.item.item_id] for b in by_title.get(t, [])}
            linked = self._fuzzy_link(entry, list(candidates.values()), shelf)
            if isinstance(linked, Resolution):
                done[entry.item.item_id] = self._elsewhere(entry, linked)
            else:
                self.fetched[entry.item.item_id] = list(candidates.values())
                remaining.append(entry)
        return remaining

    def _match_shelf_identifiers(self, entry: SourceEntry, shelf: Shelf) -> Resolution | None:
        for method, value in _identifier_order(identifiers_of(entry.item)):
            on_shelf = shelf.by_identifier.get(value.upper())
            if on_shelf is None or on_shelf.book is None:
                continue
            agreement = identifier_hit_agrees(entry.item, on_shelf.book, self.weights)
            if not agreement:
                self.pointed.setdefault(
                    entry.item.item_id, (on_shelf.book, agreement.score, agreement.reason)
                )
                continue
            return self._linked(
                entry,
                method,
                on_shelf.book,
                on_shelf.book_id,
                on_shelf.edition,
                on_shelf,
                score=agreement.score,
            )
        return None

    async def _catalogue(self, entries: list[SourceEntry]) -> CatalogueHits:
        wanted: dict[CacheKind, set[str]] = {
            CacheKind.ASIN: set(),
            CacheKind.ISBN13: set(),
            CacheKind.ISBN10: set(),
        }
        for entry in entries:
            ids = identifiers_of(entry.item)
            wanted[CacheKind.ASIN].update(ids.asins)
            wanted[CacheKind.ISBN13].update(ids.isbn13s)
            wanted[CacheKind.ISBN10].update(ids.isbn10s)
        for kind, values in wanted.items():
            # A miss remembered from an earlier run is not asked again before its TTL ends.
            wanted[kind] = {v for v in values if (c := self.cache.get(kind, v)) is None or not c.negative}
        if not any(wanted.values()):
            return CatalogueHits()
        hits = await self.api.editions_by_identifiers(
            sorted(wanted[CacheKind.ISBN13]), sorted(wanted[CacheKind.ISBN10]), sorted(wanted[CacheKind.ASIN])
        )
        found = {v.upper() for e in hits.editions for v in (e.asin, e.isbn_13, e.isbn_10) if v}
        for kind, values in wanted.items():
            for value in values - found:
                self.cache.put_negative(kind, value, IDENTIFIER_MISS_TTL)
        return hits

    def _match_catalogue(
        self, entry: SourceEntry, hits: CatalogueHits, by_identifier: dict[str, list[Edition]], shelf: Shelf
    ) -> Resolution | None:
        for method, value in _identifier_order(identifiers_of(entry.item)):
            matching = list(by_identifier.get(value.upper(), ()))
            if not matching:
                if (odd := self._set_aside(entry, None, value)) is not None:
                    return odd  # the identifier named a row Hardcover sent malformed
                continue
            # ASIN is one column for Kindle and Audible ids: an audio edition first.
            matching.sort(key=lambda e: (e.reading_format is not ReadingFormat.AUDIO, -e.users_count))
            edition = matching[0]
            book = hits.book_for(edition)
            if book is None:
                continue
            agreement = identifier_hit_agrees(entry.item, book, self.weights)
            if not agreement:
                self.pointed.setdefault(entry.item.item_id, (book, agreement.score, agreement.reason))
                continue
            return self._linked(
                entry, method, book, book.id, edition, shelf.by_book.get(book.id), score=agreement.score
            )
        return None

    async def _search(self, entries: list[SourceEntry], shelf: Shelf, done: dict[str, Resolution]) -> None:
        candidate_ids: dict[str, list[int]] = {}
        for entry in entries:
            query = search_query(entry.item)
            cached = self.cache.get(CacheKind.SEARCH, query.casefold())
            if cached is not None:
                candidate_ids[entry.item.item_id] = list(cached.value or [])
                continue
            hits: list[SearchHit] = await self.api.search_books(query, per_page=SEARCH_CANDIDATES)
            ids = [h.book_id for h in hits[:SEARCH_CANDIDATES]]
            candidate_ids[entry.item.item_id] = ids
            if ids:
                self.cache.put(CacheKind.SEARCH, query.casefold(), ids, SEARCH_TTL)
            else:
                self.cache.put_negative(CacheKind.SEARCH, query.casefold(), SEARCH_TTL)
        all_ids = sorted({i for ids in candidate_ids.values() for i in ids})
        books = {b.id: b for b in await self.api.books_by_ids(all_ids)} if all_ids else {}
        decisions: dict[str, Resolution | MatchDecision] = {}
        for entry in entries:
            odd = next(
                (r for i in candidate_ids.get(entry.item.item_id, []) if (r := self._set_aside(entry, i))),
                None,
            )
            if odd is not None:  # a candidate we could not read might be the right book: never guess past it
                decisions[entry.item.item_id] = odd
                continue
            candidates = [books[i] for i in candidate_ids.get(entry.item.item_id, []) if i in books]
            candidates += self.fetched.get(entry.item.item_id, [])
            decisions[entry.item.item_id] = self._fuzzy_link(entry, candidates, shelf)
        await self._second_try(entries, decisions, candidate_ids, books, shelf)
        for entry in entries:
            done[entry.item.item_id] = self._settle(entry, decisions[entry.item.item_id])

    async def _second_try(
        self,
        entries: list[SourceEntry],
        decisions: dict[str, Resolution | MatchDecision],
        candidate_ids: dict[str, list[int]],
        books: dict[int, Book],
        shelf: Shelf,
    ) -> None:
        """The author's books for items the search left unmatched with their author found (M4)."""
        wanted: dict[str, str] = {}
        for entry in entries:
            decision = decisions[entry.item.item_id]
            if isinstance(decision, MatchDecision) and (name := author_to_fetch(entry.item, decision)):
                wanted[entry.item.item_id] = name
        if not wanted:
            return
        by_author = await author_book_ids(self.api, self.cache, wanted.values())
        new_ids = sorted({i for ids in by_author.values() for i in ids} - set(books))
        if new_ids:
            books.update({b.id: b for b in await self.api.books_by_ids(new_ids)})
        for entry in entries:
            name = wanted.get(entry.item.item_id)
            if name is None:
                continue
            ids = dict.fromkeys([*candidate_ids.get(entry.item.item_id, []), *by_author.get(name, [])])
            if any(self._set_aside(entry, i) for i in ids):
                continue  # the first decision stands: an unreadable book is never guessed past
            candidates = [books[i] for i in ids if i in books] + self.fetched.get(entry.item.item_id, [])
            decisions[entry.item.item_id] = self._fuzzy_link(entry, candidates, shelf)


def _ids(edition: Edition) -> tuple[str | None, ...]:
    return (edition.asin, edition.isbn_13, edition.isbn_10)
