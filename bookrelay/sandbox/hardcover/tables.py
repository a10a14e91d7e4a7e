"""What each Hasura table of the fake looks like to a caller: visible rows, computed columns, relationships.

Stored rows are plain dicts (see fixture.py); anything Hardcover derives (``progress``, ``read_count``,
``books_count``, default editions, …) is computed here on read so it can never go stale. A caller only
ever sees their own ``user_books`` and ``user_book_reads``, and lists that are theirs or public.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bookrelay.sandbox.hardcover.state import Caller, HardcoverState

Row = dict[str, Any]
Getter = Callable[["Ctx", Row], Any]

READING_FORMATS: list[Row] = [
    {"id": 1, "format": "Physical"},
    {"id": 2, "format": "Audio"},
    {"id": 3, "format": "Both"},
    {"id": 4, "format": "Ebook"},
]
STATUSES = {
    1: ("Want to Read", "want-to-read"),
    2: ("Currently Reading", "currently-reading"),
    3: ("Read", "read"),
    4: ("Paused", "paused"),
    5: ("Did Not Finish", "did-not-finish"),
    6: ("Ignored", "ignored"),
}
PUBLIC = 1  # privacy_setting_id


@dataclass(frozen=True)
class Relation:
    """A Hasura relationship: the target table, whether it is an array, and how to fetch it."""

    target: str
    many: bool
    fetch: Callable[[Ctx, Row], Any]


@dataclass
class Table:
    """One table as the API shows it."""

    name: str
    visible: Callable[[Ctx], Iterable[Row]]
    computed: dict[str, Getter] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    citext: frozenset[str] = frozenset()

    def value(self, ctx: Ctx, row: Row, column: str) -> Any:
        """A column's value for ``row``: computed when the table derives it, else stored."""
        getter = self.computed.get(column)
        return getter(ctx, row) if getter else row.get(column)


@dataclass
class Ctx:
    """Everything a resolver needs: the state and the calling user."""

    state: HardcoverState
    caller: Caller

    @property
    def user_id(self) -> int:
        """The calling user's id."""
        return self.caller.user_id

    def table(self, name: str) -> Table:
        """The table definition by name."""
        return TABLES[name]

    def rows(self, name: str) -> dict[int, Row]:
        """Stored rows of a table by id."""
        return self.state.rows(name)

    def get(self, name: str, row_id: Any) -> Row | None:
        """The stored row of ``name`` with that id, or None (also for a null id)."""
        return self.state.rows(name).get(row_id) if isinstance(row_id, int) else None

    def children(self, name: str, column: str, value: Any) -> list[Row]:
        """Rows of ``name`` whose ``column`` equals ``value``."""
        return self.state.index(name, column).get(value, [])

    def own_user_book(self, user_book_id: Any) -> Row | None:
        """The caller's user_book with that id, or None (unknown or someone else's)."""
        row = self.get("user_books", user_book_id)
        return row if row is not None and row["user_id"] == self.user_id else None


# ---------------------------------------------------------------- helpers


def _one(target: str, column: str) -> Relation:
    return Relation(target, False, lambda ctx, row: ctx.get(target, row.get(column)))


def _many(target: str, column: str, key: str = "id") -> Relation:
    return Relation(target, True, lambda ctx, row: ctx.children(target, column, row.get(key)))


def _own_user_books(column: str) -> Relation:
    def fetch(ctx: Ctx, row: Row) -> list[Row]:
        return [ub for ub in ctx.children("user_books", column, row["id"]) if ub["user_id"] == ctx.user_id]

    return Relation("user_books", True, fetch)


def _image(row: Row) -> Row | None:
    url = row.get("image_url")
    return None if url is None else {"id": row["id"], "url": url, "width": None, "height": None}


def _cached_image(_: Ctx, row: Row) -> Row:
    url = row.get("image_url")
    return {} if url is None else {"id": row["id"], "url": url}


def _reads(ctx: Ctx, user_book: Row) -> list[Row]:
    return ctx.children("user_book_reads", "user_book_id", user_book["id"])


def _edition_of_read(ctx: Ctx, read: Row) -> Row | None:
    edition_id = read.get("edition_id")
    if edition_id is None:
        user_book = ctx.get("user_books", read["user_book_id"])
        edition_id = user_book.get("edition_id") if user_book else None
    return ctx.get("editions", edition_id)


def progress_percent(ctx: Ctx, read: Row) -> float | None:
    """Hardcover's computed ``progress``: seconds over audio_seconds, else pages over pages, in percent."""
    edition = _edition_of_read(ctx, read)
    if edition is None:
        return None
    if read.get("progress_seconds") is not None and edition.get("audio_seconds"):
        return round(read["progress_seconds"] / edition["audio_seconds"] * 100, 2)
    if read.get("progress_pages") is not None and edition.get("pages"):
        return round(read["progress_pages"] / edition["pages"] * 100, 2)
    return None


def _derived(column: str, pick: Callable[[list[Any]], Any], source: str) -> Getter:
    def get(ctx: Ctx, user_book: Row) -> Any:
        if user_book.get(column) is not None:
            return user_book[column]  # a value the client set explicitly wins
        values = [r[source] for r in _reads(ctx, user_book) if r.get(source) is not None]
        return pick(values) if values else None

    return get


def _read_count(ctx: Ctx, user_book: Row) -> int:
    if user_book.get("read_count") is not None:
        return int(user_book["read_count"])
    return sum(1 for r in _reads(ctx, user_book) if r.get("finished_at"))


def _created_at(_: Ctx, user_book: Row) -> str:
    return user_book.get("created_at") or f"{user_book['date_added']}T00:00:00+00:00"


def _status(_: Ctx, user_book: Row) -> Row:
    status, slug = STATUSES[user_book["status_id"]]
    return {"id": user_book["status_id"], "status": status, "slug": slug, "description": None}


def default_edition_id(ctx: Ctx, book: Row, formats: tuple[int, ...] | None) -> int | None:
    """The most popular edition of ``book`` in one of ``formats`` (any format when None)."""
    editions = ctx.children("editions", "book_id", book["id"])
    fitting = [e for e in editions if formats is None or e["reading_format_id"] in formats]
    if not fitting:
        return None
    return int(min(fitting, key=lambda e: (-e["users_count"], e["id"]))["id"])


def _default(formats: tuple[int, ...] | None) -> tuple[Getter, Relation]:
    def get(ctx: Ctx, book: Row) -> int | None:
        return default_edition_id(ctx, book, formats)

    return get, Relation("editions", False, lambda ctx, book: ctx.get("editions", get(ctx, book)))


def _visible_lists(ctx: Ctx) -> list[Row]:
    return [
        lst
        for lst in ctx.rows("lists").values()
        if lst["user_id"] == ctx.user_id or lst["privacy_setting_id"] == PUBLIC
    ]


def _list_books_visible(ctx: Ctx) -> list[Row]:
    ids = {lst["id"] for lst in _visible_lists(ctx)}
    return [lb for lb in ctx.rows("list_books").values() if lb["list_id"] in ids]


def _own_reads(ctx: Ctx) -> list[Row]:
    return [r for r in ctx.rows("user_book_reads").values() if ctx.own_user_book(r["user_book_id"])]


def _user_lists(ctx: Ctx, user: Row) -> list[Row]:
    return [lst for lst in _visible_lists(ctx) if lst["user_id"] == user["id"]]


# ---------------------------------------------------------------- the tables

_DEFAULTS = {
    "audio": _default((2,)),
    "ebook": _default((4,)),
    "physical": _default((1, 3)),
    "cover": _default(None),
}

TABLES: dict[str, Table] = {
    "users": Table(
        "users",
        lambda ctx: ctx.rows("users").values(),
        computed={"books_count": lambda ctx, u: len(ctx.children("user_books", "user_id", u["id"]))},
        relations={
            "user_books": _own_user_books("user_id"),
            "lists": Relation("lists", True, _user_lists),
        },
        citext=frozenset({"username"}),
    ),
    "authors": Table(
        "authors",
        lambda ctx: ctx.rows("authors").values(),
        computed={"books_count": lambda ctx, a: len(ctx.children("contributions", "author_id", a["id"]))},
        relations={"contributions": _many("contributions", "author_id")},
    ),
    "contributions": Table(
        "contributions",
        lambda ctx: ctx.rows("contributions").values(),
        relations={"author": _one("authors", "author_id"), "book": _one("books", "contributable_id")},
    ),
    "series": Table(
        "series",
        lambda ctx: ctx.rows("series").values(),
        computed={
            "books_count": lambda ctx, s: len(ctx.children("book_series", "series_id", s["id"])),
            "primary_books_count": lambda ctx, s: len(ctx.children("book_series", "series_id", s["id"])),
        },
        relations={"book_series": _many("book_series", "series_id")},
    ),
    "book_series": Table(
        "book_series",
        lambda ctx: ctx.rows("book_series").values(),
        relations={"book": _one("books", "book_id"), "series": _one("series", "series_id")},
    ),
    "books": Table(
        "books",
        lambda ctx: ctx.rows("books").values(),
        computed={
            "editions_count": lambda ctx, b: len(ctx.children("editions", "book_id", b["id"])),
            "cached_image": _cached_image,
            "image": lambda ctx, b: _image(b),
            **{f"default_{kind}_edition_id": getter for kind, (getter, _) in _DEFAULTS.items()},
        },
        relations={
            "book_series": _many("book_series", "book_id"),
            "canonical": _one("books", "canonical_id"),
            "contributions": _many("contributions", "contributable_id"),
            "editions": _many("editions", "book_id"),
            "user_books": _own_user_books("book_id"),
            **{f"default_{kind}_edition": rel for kind, (_, rel) in _DEFAULTS.items()},
        },
    ),
    "editions": Table(
        "editions",
        lambda ctx: ctx.rows("editions").values(),
        computed={
            "cached_image": _cached_image,
            "image": lambda ctx, e: _image(e),
            "release_year": lambda ctx, e: int(e["release_date"][:4]) if e.get("release_date") else None,
        },
        relations={
            "book": _one("books", "book_id"),
            "language": _one("languages", "language_id"),
            "reading_format": Relation(
                "reading_formats", False, lambda ctx, e: READING_FORMATS[e["reading_format_id"] - 1]
            ),
        },
    ),
    "reading_formats": Table("reading_formats", lambda ctx: READING_FORMATS),
    "languages": Table("languages", lambda ctx: ctx.rows("languages").values()),
    "user_books": Table(
        "user_books",
        lambda ctx: ctx.children("user_books", "user_id", ctx.user_id),
        computed={
            "read_count": _read_count,
            "first_started_reading_date": _derived("first_started_reading_date", min, "started_at"),
            "first_read_date": _derived("first_read_date", min, "finished_at"),
            "last_read_date": _derived("last_read_date", max, "finished_at"),
            "has_review": lambda ctx, ub: False,
            "created_at": _created_at,
            "updated_at": lambda ctx, ub: ub.get("updated_at") or _created_at(ctx, ub),
            "user_book_status": _status,
        },
        relations={
            "book": _one("books", "book_id"),
            "edition": _one("editions", "edition_id"),
            "user": _one("users", "user_id"),
            "user_book_reads": _many("user_book_reads", "user_book_id"),
        },
    ),
    "user_book_reads": Table(
        "user_book_reads",
        _own_reads,
        computed={"progress": progress_percent},
        relations={
            "edition": _one("editions", "edition_id"),
            "user_book": _one("user_books", "user_book_id"),
        },
    ),
    "lists": Table(
        "lists",
        _visible_lists,
        computed={
            "books_count": lambda ctx, lst: len(ctx.children("list_books", "list_id", lst["id"])),
            "public": lambda ctx, lst: lst["privacy_setting_id"] == PUBLIC,
        },
        relations={"list_books": _many("list_books", "list_id"), "user": _one("users", "user_id")},
    ),
    "list_books": Table(
        "list_books",
        _list_books_visible,
        relations={
            "book": _one("books", "book_id"),
            "edition": _one("editions", "edition_id"),
            "list": _one("lists", "list_id"),
        },
    ),
}
