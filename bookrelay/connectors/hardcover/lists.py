"""Hardcover lists, "owned" and the shelf export: one method per operation, over a HardcoverSession.

Reference: ref/hardcover.md §4 "Lists", §5 (``insert_list``, ``insert_list_book``, ``delete_list_book``,
``edition_owned``), §7 "Lists". Their answer types carry no ``error`` field: a refusal answers ``id: null``
(``ListIdType`` has ``errors``), so every result is judged here (N3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bookrelay.connectors.hardcover import documents as docs
from bookrelay.connectors.hardcover import flat_documents as flat_docs
from bookrelay.connectors.hardcover import mapper
from bookrelay.connectors.hardcover.depth import SERVERS, DepthMemory
from bookrelay.connectors.hardcover.documents import ListWriteKind
from bookrelay.connectors.hardcover.flat_reads import read_entry_pages
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.domain.models import UserBook
from bookrelay.domain.shelves import HardcoverList
from bookrelay.errors import BadResponse

SERVICE = "hardcover"


@dataclass(frozen=True, slots=True)
class ListWriteOp:
    """One list mutation; build it with the class methods."""

    kind: ListWriteKind
    arguments: Mapping[str, Any]

    @classmethod
    def insert_list(cls, name: str, privacy_setting_id: int | None = None) -> ListWriteOp:
        """Create a list named ``name``."""
        obj: dict[str, Any] = {"name": name}
        if privacy_setting_id is not None:
            obj["privacy_setting_id"] = privacy_setting_id
        return cls("insert_list", {"object": obj})

    @classmethod
    def insert_list_book(cls, list_id: int, book_id: int, edition_id: int | None = None) -> ListWriteOp:
        """Put a book on a list."""
        obj: dict[str, Any] = {"list_id": list_id, "book_id": book_id}
        if edition_id is not None:
            obj["edition_id"] = edition_id
        return cls("insert_list_book", {"object": obj})

    @classmethod
    def delete_list_book(cls, list_book_id: int) -> ListWriteOp:
        """Take an entry (``list_books.id``) off its list."""
        return cls("delete_list_book", {"id": list_book_id})

    @classmethod
    def edition_owned(cls, edition_id: int) -> ListWriteOp:
        """TOGGLE an edition on the Owned list: check the list first, or it un-owns (ref §4)."""
        return cls("edition_owned", {"id": edition_id})


@dataclass(frozen=True, slots=True)
class ListWriteResult:
    """The outcome of one list write: ``ok`` with the new row's id, or why not."""

    op: ListWriteOp
    ok: bool
    id: int | None = None
    error: str | None = None
    present: bool | None = None  # edition_owned: whether the edition is on the Owned list afterwards


class HardcoverLists:
    """List, owned and export operations returning domain objects."""

    def __init__(self, session: HardcoverSession, depth: DepthMemory | None = None) -> None:
        self.session = session
        self.depth = SERVERS if depth is None else depth  # servers that limit query depth (depth.py)

    async def lists(self, user_id: int) -> list[HardcoverList]:
        """The user's own lists with their books, the Owned list included (ref §7 "Lists")."""
        data = await self.session.execute(docs.MY_LISTS, {"userId": user_id})
        return mapper.map_lists(data["lists"])

    async def export_shelf(self, user_id: int, *, page_size: int = 100) -> list[UserBook]:
        """Every library entry with book, edition, reads and ``date_added``, paged by id."""
        documents = (docs.EXPORT_SHELF, flat_docs.flat_shelf_document(False, with_date_added=True))
        variables = {"userId": user_id}
        return await read_entry_pages(self.session, self.depth, None, documents, variables, page_size)

    async def run(self, ops: Sequence[ListWriteOp]) -> list[ListWriteResult]:
        """Send ``ops`` packed ``max_top_level`` a request (N5); each result judged on its own (N3)."""
        results: list[ListWriteResult] = []
        size = self.session.max_top_level
        for start in range(0, len(ops), size):
            group = list(ops[start : start + size])
            variables: dict[str, Any] = {}
            for i, op in enumerate(group):
                variables.update({docs.write_variable(i, k): v for k, v in op.arguments.items()})
            document = docs.list_write_document([op.kind for op in group])
            data = await self.session.execute(document, variables, write=True, partial=True)
            results.extend(_result(op, data.get(docs.write_alias(i))) for i, op in enumerate(group))
        return results

    async def one(self, op: ListWriteOp) -> ListWriteResult:
        """Send one write; BadResponse when Hardcover refused it."""
        result = (await self.run([op]))[0]
        if not result.ok:
            raise BadResponse(f"{op.kind} failed: {result.error}", service=SERVICE)
        return result


def _result(op: ListWriteOp, wire: Any) -> ListWriteResult:
    if not isinstance(wire, Mapping):
        return ListWriteResult(op, ok=False, error="no result in the answer")
    errors = wire.get("errors")
    if errors:
        return ListWriteResult(op, ok=False, error="; ".join(str(e) for e in errors))
    raw_id = wire.get("id")
    if not isinstance(raw_id, int) or isinstance(raw_id, bool):
        return ListWriteResult(op, ok=False, error="refused (id is null)")
    present = None
    if op.kind == "edition_owned":
        present = wire.get("list_book") is not None
    return ListWriteResult(op, ok=True, id=raw_id, present=present)
