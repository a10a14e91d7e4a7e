"""Hardcover lists ↔ Audiobookshelf collections of the same name (S17), a three-way merge per name.

Only books that have a linked Audiobookshelf item take part (a list's other books cannot be in a
collection, so they are never taken for removals). The base is the membership both sides had after the
last run (scrobble_state, feature ``lists``): a book added on one side since then is added to the other,
a book removed on one side is removed from the other; without a base nothing is removed. Lists and
collections are created when missing (a collection in the library of its first book) and never deleted.
The Owned list is the ``owned`` feature's, not this one's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.lists import HardcoverLists, ListWriteOp
from bookrelay.domain.directions import Directions, Feature
from bookrelay.domain.models import Source
from bookrelay.domain.shelves import HardcoverList
from bookrelay.errors import BookrelayError
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.repositories.scrobble import ScrobbleStateRepo

FEATURE = "lists"
OWNED_LIST = "Owned"


@dataclass
class ListChange:
    """The changes planned for one name."""

    name: str
    to_hardcover: set[int] = field(default_factory=set)
    off_hardcover: set[int] = field(default_factory=set)
    to_local: set[int] = field(default_factory=set)
    off_local: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        """Nothing to do for this name."""
        return not (self.to_hardcover or self.off_hardcover or self.to_local or self.off_local)


def merge(
    name: str, hardcover: set[int], local: set[int], base: set[int] | None, directions: Directions
) -> ListChange:
    """S17: the three-way merge of one list's membership (book ids)."""
    way = directions.of(Feature.LISTS)
    change = ListChange(name)
    known = base or set()
    if way.to_hardcover:
        change.to_hardcover = {b for b in local - hardcover if b not in known}
        change.off_hardcover = (known & hardcover) - local if base is not None else set()
    if way.from_hardcover:
        change.to_local = {b for b in hardcover - local if b not in known}
        change.off_local = (known & local) - hardcover if base is not None else set()
    return change


@dataclass
class ListsReport:
    """What the lists step planned and did."""

    changes: list[ListChange] = field(default_factory=list)
    written: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ListSync:
    """One user's lists ↔ collections step."""

    user_id: str
    hardcover: HardcoverApi
    lists: HardcoverLists
    audiobookshelf: AbsApi
    store: Store
    state: ScrobbleStateRepo
    directions: Directions

    async def run(self, *, dry_run: bool = False) -> ListsReport:
        """Merge every name present on either side; write unless ``dry_run``, then remember the result."""
        report = ListsReport()
        if self.directions.of(Feature.LISTS).value == "off":
            return report
        items_of: dict[int, list[str]] = defaultdict(list)  # book id → linked ABS items
        for link in self.store.links.list_for_user(self.user_id, MatchOutcome.LINKED):
            if link.source == Source.AUDIOBOOKSHELF.value and link.hardcover_book_id:
                items_of[link.hardcover_book_id].append(link.source_item_id)
        book_of = {item: book for book, items in items_of.items() for item in items}
        me = await self.hardcover.me()
        hc_lists = {
            lst.name.casefold(): lst for lst in await self.lists.lists(me.id) if lst.name != OWNED_LIST
        }
        collections = {c["name"].casefold(): c for c in await self.audiobookshelf.collections()}
        bases = self.state.all(self.user_id, FEATURE)
        for key in sorted(set(hc_lists) | set(collections)):
            hc_list, collection = hc_lists.get(key), collections.get(key)
            name = hc_list.name if hc_list else collection["name"] if collection else key
            on_hc = (hc_list.book_ids if hc_list else set()) & set(items_of)
            local = {book_of[b["id"]] for b in (collection or {}).get("books", []) if b.get("id") in book_of}
            base = set(bases[key]["books"]) if key in bases else None
            change = merge(name, on_hc, local, base, self.directions)
            if not change.empty:
                report.changes.append(change)
            if dry_run:
                continue
            try:
                await self._apply(me.id, change, hc_list, collection, items_of, report)
            except BookrelayError as exc:
                report.failed.append((name, str(exc)))
                continue
            result = (on_hc | change.to_hardcover | change.to_local) - change.off_hardcover - change.off_local
            self.state.put(self.user_id, FEATURE, key, {"name": name, "books": sorted(result)})
        return report

    async def _apply(
        self,
        me: int,
        change: ListChange,
        hc_list: HardcoverList | None,
        collection: dict[str, Any] | None,
        items_of: dict[int, list[str]],
        report: ListsReport,
    ) -> None:
        if change.to_hardcover or change.off_hardcover:
            list_id = (
                hc_list.id if hc_list else (await self.lists.one(ListWriteOp.insert_list(change.name))).id
            )
            assert list_id is not None
            entries = {e.book_id: e.id for e in hc_list.entries} if hc_list else {}
            ops = [ListWriteOp.insert_list_book(list_id, b) for b in sorted(change.to_hardcover)]
            ops += [
                ListWriteOp.delete_list_book(entries[b]) for b in sorted(change.off_hardcover) if b in entries
            ]
            results = await self.lists.run(ops)
            report.written += sum(1 for r in results if r.ok)
            report.failed += [(change.name, f"{r.op.kind}: {r.error}") for r in results if not r.ok]
        adds = [i for b in sorted(change.to_local) for i in items_of[b]]
        removes = [i for b in sorted(change.off_local) for i in items_of[b]]
        if adds and collection is None:
            library = await self._library_of(adds[0])
            await self.audiobookshelf.create_collection(library, change.name, adds)
            report.written += len(adds)
        elif collection is not None:
            if adds:
                await self.audiobookshelf.add_to_collection(collection["id"], adds)
                report.written += len(adds)
            if removes:
                await self.audiobookshelf.remove_from_collection(collection["id"], removes)
                report.written += len(removes)

    async def _library_of(self, item_id: str) -> str:
        item = await self.audiobookshelf.item(item_id, expanded=False)
        return str(item.get("libraryId"))
