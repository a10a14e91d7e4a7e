"""Hardcover's custom mutation actions (ref/hardcover.md §5-6) against the fake's tables.

Business failures never raise: like the real actions they answer HTTP 200 with ``error`` set and a null
payload (types without an ``error`` field answer all-null). Status side effects (DESIGN P11, ref §6):
status 3 finishes the newest open read, or creates a finished read dated today when there is none
(a newest read that is already finished is adopted, nothing is added); status 2 opens a read dated
today unless the newest read is still open; other statuses touch no read.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from bookrelay.sandbox.hardcover.tables import Ctx, Row

NOT_FOUND = "Record not found. Was it deleted?"
ALREADY_ON_SHELF = "Book is already in your library (user_book {id}); use update_user_book"
_READ_FIELDS = (
    "edition_id",
    "started_at",
    "finished_at",
    "paused_at",
    "progress_pages",
    "progress_seconds",
    "finished_at_precision",
)
_USER_BOOK_FIELDS = (
    "edition_id",
    "status_id",
    "rating",
    "date_added",
    "privacy_setting_id",
    "private_notes",
    "first_started_reading_date",
    "last_read_date",
    "read_count",
)
_NOT_NULL = ("status_id", "date_added", "privacy_setting_id")


def context_of(info: GraphQLResolveInfo) -> Ctx:
    """The request's :class:`Ctx` (passed to graphql-core as ``context_value``)."""
    return info.context


def record_write(ctx: Ctx) -> None:
    """Count one successful write for the caller (rows change through the state's insert, update and
    delete, which keep its indexes current)."""
    ctx.state.count(ctx.caller, writes=1)


def _user_book_problem(ctx: Ctx, book_id: int, obj: dict[str, Any]) -> str | None:
    for key in _NOT_NULL:
        if key in obj and obj[key] is None:
            return f"{key} cannot be null"
    if obj.get("status_id") is not None and obj["status_id"] not in range(1, 7):
        return f"status_id must be 1..6, got {obj['status_id']}"
    rating = obj.get("rating")
    if rating is not None and not (0 <= rating <= 5 and float(rating * 2).is_integer()):
        return f"rating must be 0..5 in steps of 0.5, got {rating}"
    if obj.get("privacy_setting_id") is not None and obj["privacy_setting_id"] not in (1, 2, 3):
        return f"privacy_setting_id must be 1..3, got {obj['privacy_setting_id']}"
    edition = ctx.get("editions", obj.get("edition_id"))
    if obj.get("edition_id") is not None and (edition is None or edition["book_id"] != book_id):
        return f"edition {obj['edition_id']} is not an edition of book {book_id}"
    return None


def _read_problem(ctx: Ctx, obj: dict[str, Any]) -> str | None:
    for key in ("progress_pages", "progress_seconds"):
        if obj.get(key) is not None and obj[key] < 0:
            return f"{key} must not be negative"
    if obj.get("edition_id") is not None and obj["edition_id"] not in ctx.rows("editions"):
        return f"edition {obj['edition_id']} does not exist"
    return None


def _reads(ctx: Ctx, user_book: Row) -> list[Row]:
    return sorted(ctx.children("user_book_reads", "user_book_id", user_book["id"]), key=lambda r: r["id"])


def _full_progress(ctx: Ctx, edition_id: int | None) -> dict[str, Any]:
    edition = ctx.get("editions", edition_id)
    if edition is None:
        return {}
    if edition.get("audio_seconds"):
        return {"progress_seconds": edition["audio_seconds"]}
    if edition.get("pages"):
        return {"progress_pages": edition["pages"]}
    return {}


def _new_read(ctx: Ctx, user_book: Row, values: dict[str, Any]) -> Row:
    row: Row = {key: None for key in _READ_FIELDS}
    row["edition_id"] = user_book.get("edition_id")
    row.update({k: v for k, v in values.items() if k in _READ_FIELDS})
    row["user_book_id"] = user_book["id"]
    return ctx.state.insert("user_book_reads", row)


def apply_status_side_effects(ctx: Ctx, user_book: Row, status_id: int | None) -> None:
    """Create, finish or adopt reads the way Hardcover does when a status is set (see module docstring)."""
    reads = _reads(ctx, user_book)
    newest = reads[-1] if reads else None
    today = ctx.state.today()
    if status_id == 3:
        if newest is None:
            full = _full_progress(ctx, user_book.get("edition_id"))
            _new_read(ctx, user_book, {"finished_at": today, **full})
        elif newest["finished_at"] is None:
            full = _full_progress(ctx, newest["edition_id"] or user_book["edition_id"])
            ctx.state.update("user_book_reads", newest, {"finished_at": today, **full})
    elif status_id == 2 and (newest is None or newest["finished_at"] is not None):
        _new_read(ctx, user_book, {"started_at": today})


# ---------------------------------------------------------------- user_books


def insert_user_book(_: Any, info: GraphQLResolveInfo, object: dict[str, Any]) -> dict[str, Any]:
    """``insert_user_book(object)``: add a book to the caller's library."""
    ctx = context_of(info)
    book_id = object["book_id"]
    if book_id not in ctx.rows("books"):
        return {"id": None, "error": NOT_FOUND, "user_book": None}
    existing = [ub for ub in ctx.children("user_books", "book_id", book_id) if ub["user_id"] == ctx.user_id]
    if existing:
        return {"id": None, "error": ALREADY_ON_SHELF.format(id=existing[0]["id"]), "user_book": None}
    problem = _user_book_problem(ctx, book_id, object)
    if problem:
        return {"id": None, "error": problem, "user_book": None}
    user = ctx.rows("users")[ctx.user_id]
    row: Row = {key: object.get(key) for key in _USER_BOOK_FIELDS}
    row.update(
        {
            "user_id": ctx.user_id,
            "book_id": book_id,
            "status_id": object.get("status_id") or 1,
            "date_added": object.get("date_added") or ctx.state.today(),
            "privacy_setting_id": object.get("privacy_setting_id") or user["account_privacy_setting_id"],
            "owned": False,
            "owned_copies": 0,
            "created_at": ctx.state.now_iso(),
            "updated_at": ctx.state.now_iso(),
        }
    )
    ctx.state.insert("user_books", row)
    apply_status_side_effects(ctx, row, row["status_id"])
    record_write(ctx)
    return {"id": row["id"], "error": None, "user_book": row}


def update_user_book(_: Any, info: GraphQLResolveInfo, id: int, object: dict[str, Any]) -> dict[str, Any]:
    """``update_user_book(id, object)``: change fields of one of the caller's entries."""
    ctx = context_of(info)
    row = ctx.own_user_book(id)
    if row is None:
        return {"id": None, "error": NOT_FOUND, "user_book": None}
    problem = _user_book_problem(ctx, row["book_id"], object)
    if problem:
        return {"id": None, "error": problem, "user_book": None}
    changes = {k: v for k, v in object.items() if k in _USER_BOOK_FIELDS}
    ctx.state.update("user_books", row, {**changes, "updated_at": ctx.state.now_iso()})
    if "status_id" in object:
        apply_status_side_effects(ctx, row, object["status_id"])
    record_write(ctx)
    return {"id": row["id"], "error": None, "user_book": row}


def delete_user_book(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    """``delete_user_book(id)``: remove an entry and its reads (all-null answer when not the caller's)."""
    ctx = context_of(info)
    row = ctx.own_user_book(id)
    if row is None:
        return {"id": None, "book_id": None, "user_id": None, "user_book": None}
    for read in _reads(ctx, row):
        ctx.state.delete("user_book_reads", read["id"])
    ctx.state.delete("user_books", id)
    record_write(ctx)
    return {"id": id, "book_id": row["book_id"], "user_id": row["user_id"], "user_book": row}


# ---------------------------------------------------------------- user_book_reads


def _own_read(ctx: Ctx, read_id: int) -> Row | None:
    read = ctx.get("user_book_reads", read_id)
    return read if read is not None and ctx.own_user_book(read["user_book_id"]) else None


def insert_user_book_read(
    _: Any, info: GraphQLResolveInfo, user_book_id: int, user_book_read: dict[str, Any]
) -> dict[str, Any]:
    """``insert_user_book_read``: a new read-through; ``edition_id`` defaults to the entry's edition."""
    ctx = context_of(info)
    user_book = ctx.own_user_book(user_book_id)
    if user_book is None:
        return {"id": None, "error": NOT_FOUND, "user_book_read": None}
    problem = _read_problem(ctx, user_book_read)
    if problem:
        return {"id": None, "error": problem, "user_book_read": None}
    read = _new_read(ctx, user_book, user_book_read)
    record_write(ctx)
    return {"id": read["id"], "error": None, "user_book_read": read}


def update_user_book_read(
    _: Any, info: GraphQLResolveInfo, id: int, object: dict[str, Any]
) -> dict[str, Any]:
    """``update_user_book_read``: omitted fields keep their value, an explicit null clears (ref §6.3)."""
    ctx = context_of(info)
    read = _own_read(ctx, id)
    if read is None:
        return {"id": None, "error": NOT_FOUND, "user_book_read": None}
    problem = _read_problem(ctx, object)
    if problem:
        return {"id": None, "error": problem, "user_book_read": None}
    ctx.state.update("user_book_reads", read, {k: v for k, v in object.items() if k in _READ_FIELDS})
    record_write(ctx)
    return {"id": read["id"], "error": None, "user_book_read": read}


def delete_user_book_read(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    """``delete_user_book_read(id)``: remove one of the caller's reads."""
    ctx = context_of(info)
    read = _own_read(ctx, id)
    if read is None:
        return {"id": None, "error": NOT_FOUND, "user_book_read": None}
    ctx.state.delete("user_book_reads", id)
    record_write(ctx)
    return {"id": id, "error": None, "user_book_read": read}


def upsert_user_book_reads(
    _: Any,
    info: GraphQLResolveInfo,
    user_book_id: int,
    datesRead: list[dict[str, Any] | None],
) -> dict[str, Any]:
    """``upsert_user_book_reads``: entries with ``id`` update that read, others insert; all or nothing."""
    ctx = context_of(info)
    user_book = ctx.own_user_book(user_book_id)
    if user_book is None:
        return {"error": NOT_FOUND, "user_book_id": None, "user_book": None}
    entries = [entry for entry in datesRead if entry is not None]
    for entry in entries:
        target = ctx.get("user_book_reads", entry.get("id"))
        if entry.get("id") is not None and (target is None or target["user_book_id"] != user_book_id):
            return {"error": NOT_FOUND, "user_book_id": None, "user_book": None}
        problem = _read_problem(ctx, entry)
        if problem:
            return {"error": problem, "user_book_id": None, "user_book": None}
    for entry in entries:
        if entry.get("id") is None:
            _new_read(ctx, user_book, entry)
        else:
            ctx.state.update(
                "user_book_reads",
                ctx.rows("user_book_reads")[entry["id"]],
                {k: v for k, v in entry.items() if k in _READ_FIELDS},
            )
    record_write(ctx)
    return {"error": None, "user_book_id": user_book_id, "user_book": user_book}
