"""List mutations of the fake Hardcover: ``insert_list``, ``insert_list_book``, ``delete_list_book`` and
``edition_owned`` (which toggles an edition on the caller's "Owned" list and keeps ``user_books.owned``
in step). Their answer types have no ``error`` field, so a refusal answers ``id: null``.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from bookrelay.sandbox.hardcover.fixture import slugify
from bookrelay.sandbox.hardcover.mutations import context_of, record_write
from bookrelay.sandbox.hardcover.tables import Ctx, Row

OWNED_LIST = "Owned"


def _own_list(ctx: Ctx, list_id: Any) -> Row | None:
    row = ctx.get("lists", list_id)
    return row if row is not None and row["user_id"] == ctx.user_id else None


def _add_list_book(ctx: Ctx, lst: Row, book_id: int, edition_id: int | None, position: int | None) -> Row:
    entries = ctx.children("list_books", "list_id", lst["id"])
    if position is None:
        position = max((e["position"] or 0 for e in entries), default=0) + 1
    row = {
        "list_id": lst["id"],
        "book_id": book_id,
        "edition_id": edition_id,
        "position": position,
        "reason": None,
        "date_added": ctx.state.now_iso(),
    }
    return ctx.state.insert("list_books", row)


def insert_list(_: Any, info: GraphQLResolveInfo, object: dict[str, Any]) -> dict[str, Any]:
    """``insert_list(object)``: a new list of the caller; ``errors`` lists what was wrong."""
    ctx = context_of(info)
    name = (object.get("name") or "").strip()
    if not name:
        return {"id": None, "errors": ["Name can't be blank"], "list": None}
    if any(lst["name"] == name for lst in ctx.children("lists", "user_id", ctx.user_id)):
        return {"id": None, "errors": ["Name has already been taken"], "list": None}
    privacy = object.get("privacy_setting_id") or 1
    if privacy not in (1, 2, 3):
        return {"id": None, "errors": [f"privacy_setting_id must be 1..3, got {privacy}"], "list": None}
    row = {
        "user_id": ctx.user_id,
        "name": name,
        "slug": slugify(name),
        "description": object.get("description"),
        "privacy_setting_id": privacy,
        "ranked": bool(object.get("ranked")),
        "default_view": object.get("default_view") or "card",
        "featured_profile": bool(object.get("featured_profile")),
        "url": object.get("url"),
    }
    ctx.state.insert("lists", row)
    record_write(ctx)
    return {"id": row["id"], "errors": None, "list": row}


def insert_list_book(_: Any, info: GraphQLResolveInfo, object: dict[str, Any]) -> dict[str, Any]:
    """``insert_list_book(object)``: put a book on one of the caller's lists (``id: null`` when refused)."""
    ctx = context_of(info)
    refused: dict[str, Any] = {"id": None, "list_book": None}
    lst = _own_list(ctx, object["list_id"])
    book_id, edition_id = object["book_id"], object.get("edition_id")
    edition = ctx.get("editions", edition_id)
    if lst is None or book_id not in ctx.rows("books"):
        return refused
    if edition_id is not None and (edition is None or edition["book_id"] != book_id):
        return refused
    if any(e["book_id"] == book_id for e in ctx.children("list_books", "list_id", lst["id"])):
        return refused
    row = _add_list_book(ctx, lst, book_id, edition_id, object.get("position"))
    record_write(ctx)
    return {"id": row["id"], "list_book": row}


def delete_list_book(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    """``delete_list_book(id)``: take an entry off one of the caller's lists (all-null when refused)."""
    ctx = context_of(info)
    entry = ctx.get("list_books", id)
    lst = entry and _own_list(ctx, entry["list_id"])
    if entry is None or lst is None:
        return {"id": None, "list_id": None, "list": None}
    ctx.state.delete("list_books", id)
    _sync_owned(ctx, entry["book_id"])
    record_write(ctx)
    return {"id": id, "list_id": lst["id"], "list": lst}


def _owned_list(ctx: Ctx) -> Row:
    for lst in ctx.children("lists", "user_id", ctx.user_id):
        if lst["name"] == OWNED_LIST:
            return lst
    row = {
        "user_id": ctx.user_id,
        "name": OWNED_LIST,
        "slug": slugify(OWNED_LIST),
        "description": None,
        "privacy_setting_id": 1,
        "ranked": False,
        "default_view": "card",
        "featured_profile": False,
        "url": None,
    }
    return ctx.state.insert("lists", row)


def _sync_owned(ctx: Ctx, book_id: int) -> None:
    owned_ids = {
        lst["id"] for lst in ctx.children("lists", "user_id", ctx.user_id) if lst["name"] == OWNED_LIST
    }
    copies = sum(1 for lb in ctx.children("list_books", "book_id", book_id) if lb["list_id"] in owned_ids)
    for user_book in ctx.children("user_books", "book_id", book_id):
        if user_book["user_id"] == ctx.user_id:
            ctx.state.update("user_books", user_book, {"owned": copies > 0, "owned_copies": copies})


def edition_owned(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    """``edition_owned(id)``: toggle an edition on the "Owned" list; ``list_book`` is null after removal."""
    ctx = context_of(info)
    edition = ctx.get("editions", id)
    if edition is None:
        return {"id": None, "list_book": None}
    lst = _owned_list(ctx)
    present = [e for e in ctx.children("list_books", "list_id", lst["id"]) if e["edition_id"] == id]
    if present:
        ctx.state.delete("list_books", present[0]["id"])
        result: dict[str, Any] = {"id": present[0]["id"], "list_book": None}
    else:
        row = _add_list_book(ctx, lst, edition["book_id"], id, None)
        result = {"id": row["id"], "list_book": row}
    _sync_owned(ctx, edition["book_id"])
    record_write(ctx)
    return result
