"""Owned (S18): books present in Audiobookshelf or Audible marked owned on Hardcover, opt-in.

``edition_owned`` TOGGLES an edition on the Owned list (ref §4), so the list is read first and an
edition already on it (or any edition of a book already owned) is never sent again. The owned edition
is the one the link chose for the item (M5: the audio edition for an audiobook). With ``from_hardcover``
the step reports the books owned on Hardcover that no local item is linked to (nothing can be
written: Audiobookshelf cannot acquire a book).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.lists import HardcoverLists, ListWriteOp
from bookrelay.domain.directions import Directions, Feature
from bookrelay.domain.models import Source
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.repositories.scrobble import ScrobbleStateRepo

FEATURE = "owned"
OWNED_LIST = "Owned"


@dataclass
class OwnedReport:
    """What the owned step planned and did."""

    to_mark: list[tuple[int, int]] = field(default_factory=list)  # (book id, edition id)
    marked: int = 0
    missing_locally: list[int] = field(default_factory=list)  # owned on Hardcover, no local item
    no_edition: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class OwnedSync:
    """One user's owned step."""

    user_id: str
    hardcover: HardcoverApi
    lists: HardcoverLists
    store: Store
    state: ScrobbleStateRepo
    directions: Directions

    async def run(self, *, dry_run: bool = False) -> OwnedReport:
        """Plan, and unless ``dry_run`` write, the owned marks."""
        report = OwnedReport()
        way = self.directions.of(Feature.OWNED)
        if not (way.to_hardcover or way.from_hardcover):
            return report
        editions: dict[int, int | None] = {}
        for link in self.store.links.list_for_user(self.user_id, MatchOutcome.LINKED):
            if link.source in (Source.AUDIOBOOKSHELF.value, Source.AUDIBLE.value) and link.hardcover_book_id:
                editions.setdefault(link.hardcover_book_id, link.hardcover_edition_id)
        me = await self.hardcover.me()
        owned = next((lst for lst in await self.lists.lists(me.id) if lst.name == OWNED_LIST), None)
        owned_books = owned.book_ids if owned else set()
        if way.from_hardcover:
            report.missing_locally = sorted(owned_books - set(editions))
        if not way.to_hardcover:
            return report
        for book_id, edition_id in sorted(editions.items()):
            if book_id in owned_books:
                continue
            if edition_id is None:
                report.no_edition.append(book_id)  # owned is per edition: without one, nothing is sent
                continue
            report.to_mark.append((book_id, edition_id))
        if dry_run or not report.to_mark:
            return report
        results = await self.lists.run([ListWriteOp.edition_owned(e) for _, e in report.to_mark])
        for (book_id, edition_id), result in zip(report.to_mark, results, strict=True):
            if result.ok and result.present:
                report.marked += 1
                self.state.put(self.user_id, FEATURE, str(book_id), {"edition_id": edition_id})
            else:
                report.failed.append((book_id, result.error or "the edition is not on the Owned list"))
        return report
