"""Item labels: what a person reads to know a book (title, authors, cover), stored as the sync meets it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bookrelay.store.models import ItemLabel
from bookrelay.store.repositories._base import Repo, ensure_user

# SQLite keeps at most 999 bound values in one statement on old builds: ask for keys in slices.
_KEYS_PER_QUERY = 400
_KEY = ("user_id", "source", "source_item_id")


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """A source item as the user knows it (the store does not speak the domain's types)."""

    source: str
    item_id: str
    title: str
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    duration_seconds: float | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    metadata_hash: str | None = None


@dataclass(frozen=True, slots=True)
class BookFacts:
    """The Hardcover book an item went to, as a person knows it."""

    book_id: int
    title: str
    authors: tuple[str, ...] = ()
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """What the front ends show for an item: a plain row, not an ORM object."""

    source: str
    source_item_id: str
    title: str
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    duration_seconds: float | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    hardcover_book_id: int | None = None
    hardcover_title: str | None = None
    hardcover_authors: tuple[str, ...] = ()
    image_url: str | None = None

    @property
    def byline(self) -> str:
        """ "Title — Author" as a person says it, the Hardcover book's names when the item has none."""
        authors = self.authors or self.hardcover_authors
        return f"{self.title} — {', '.join(authors)}" if authors else self.title


def _label(row: ItemLabel) -> Label:
    return Label(
        row.source,
        row.source_item_id,
        row.title,
        tuple(row.authors or ()),
        tuple(row.narrators or ()),
        row.duration_seconds,
        dict(row.identifiers or {}),
        row.hardcover_book_id,
        row.hardcover_title,
        tuple(row.hardcover_authors or ()),
        row.image_url,
    )


class ItemLabelRepo(Repo):
    """One label per (user, source, source item); written when the item's metadata changes or it is linked."""

    def remember(self, user_id: str, items: Iterable[ItemFacts]) -> int:
        """Store the items whose label is missing or whose metadata changed; the number written.

        One read per slice tells which rows are current, so an unchanged library writes nothing."""
        wanted = {(i.source, i.item_id): i for i in items}
        if not wanted:
            return 0
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            current = self._hashes(session, user_id, list(wanted))
            rows = [
                {
                    "user_id": user_id,
                    "source": facts.source,
                    "source_item_id": facts.item_id,
                    "title": facts.title,
                    "authors": list(facts.authors),
                    "narrators": list(facts.narrators),
                    "duration_seconds": facts.duration_seconds,
                    "identifiers": dict(facts.identifiers),
                    "metadata_hash": facts.metadata_hash,
                    "updated_at": now,
                }
                for key, facts in wanted.items()
                if key not in current or current[key] != facts.metadata_hash
            ]
            # Many rows per statement rather than one statement per item: a first sync of a large
            # library meets every item at once (1,000 labels: 1.7 s one by one).
            if rows:
                _upsert_many(session, rows)
        return len(rows)

    def set_book(self, user_id: str, source: str, item_id: str, book: BookFacts | None) -> None:
        """Name the Hardcover book an item is linked to (None: not linked any more); no row, no change."""
        with self._db.transaction() as session:
            row = session.scalar(
                select(ItemLabel).where(
                    ItemLabel.user_id == user_id,
                    ItemLabel.source == source,
                    ItemLabel.source_item_id == item_id,
                )
            )
            if row is None:
                return
            row.hardcover_book_id = book.book_id if book else None
            row.hardcover_title = book.title if book else None
            row.hardcover_authors = list(book.authors) if book else None
            row.image_url = book.image_url if book else None
            row.updated_at = self._now()
            session.flush()

    def name_from_candidates(
        self, user_id: str, source: str, item_id: str, book_id: int, candidates: Iterable[object]
    ) -> None:
        """Name the book a conflict was settled for from its stored candidate, before any sync ran."""
        for c in candidates:
            if isinstance(c, dict) and c.get("book_id") == book_id:
                facts = BookFacts(
                    book_id, str(c.get("title") or ""), tuple(c.get("authors") or ()), c.get("image_url")
                )
                self.set_book(user_id, source, item_id, facts)
                return

    def for_items(self, user_id: str, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], Label]:
        """The labels of these (source, item id) pairs that are known."""
        found: dict[tuple[str, str], Label] = {}
        listed = list(dict.fromkeys(keys))
        with self._db.reading() as session:
            for start in range(0, len(listed), _KEYS_PER_QUERY):
                chunk = listed[start : start + _KEYS_PER_QUERY]
                rows = session.scalars(
                    select(ItemLabel).where(
                        ItemLabel.user_id == user_id,
                        tuple_(ItemLabel.source, ItemLabel.source_item_id).in_(chunk),
                    )
                )
                found.update(((r.source, r.source_item_id), _label(r)) for r in rows)
        return found

    def for_user(self, user_id: str) -> dict[tuple[str, str], Label]:
        """Every label of a user, by (source, item id)."""
        with self._db.reading() as session:
            rows = session.scalars(select(ItemLabel).where(ItemLabel.user_id == user_id))
            return {(r.source, r.source_item_id): _label(r) for r in rows}

    @staticmethod
    def _hashes(
        session: Session, user_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str | None]:
        hashes: dict[tuple[str, str], str | None] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[start : start + _KEYS_PER_QUERY]
            rows = session.execute(
                select(ItemLabel.source, ItemLabel.source_item_id, ItemLabel.metadata_hash).where(
                    ItemLabel.user_id == user_id,
                    tuple_(ItemLabel.source, ItemLabel.source_item_id).in_(chunk),
                )
            )
            hashes.update(((s, i), h) for s, i, h in rows)
        return hashes


def _upsert_many(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    """Insert the rows; a row whose (user, source, item) exists replaces that row's item columns."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ItemLabel)
    changed = {c: statement.excluded[c] for c in rows[0] if c not in _KEY}
    # One compiled statement run for many rows (executemany): a multi-VALUES statement would be compiled
    # anew for every slice, which costs more than the inserts themselves.
    session.execute(statement.on_conflict_do_update(index_elements=list(_KEY), set_=changed), list(rows))
