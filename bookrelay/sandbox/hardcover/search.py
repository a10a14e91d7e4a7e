"""The ``search`` query: a tiny stand-in for Hardcover's Typesense book search (ref/hardcover.md §4).

Matching is by case-insensitive word tokens of the query against a book's title, alternative titles,
author names, series names and edition ISBNs; books rank by the share of query tokens they contain, then
by ``users_count``, then by id. ``*`` matches every book. Only ``query_type`` book(s) finds anything.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from bookrelay.sandbox.hardcover.tables import Ctx, Row, default_edition_id

_TOKEN = re.compile(r"\w+", re.UNICODE)
_BOOK_TYPES = {"book", "books"}


def _tokens(text: str) -> set[str]:
    return {t.casefold() for t in _TOKEN.findall(text)}


def book_document(ctx: Ctx, book: Row) -> dict[str, Any]:
    """The Typesense document Hardcover returns for a book (the fields a client reads)."""
    editions = ctx.children("editions", "book_id", book["id"])
    authors = [
        ctx.rows("authors")[c["author_id"]]["name"]
        for c in ctx.children("contributions", "contributable_id", book["id"])
        if c["author_id"] in ctx.rows("authors")
    ]
    series = [
        ctx.rows("series")[bs["series_id"]]["name"]
        for bs in ctx.children("book_series", "book_id", book["id"])
        if bs["series_id"] in ctx.rows("series")
    ]
    isbns = [e[k] for e in editions for k in ("isbn_13", "isbn_10") if e.get(k)]
    pages, audio = book.get("pages"), book.get("audio_seconds")
    if pages is None:
        text_id = default_edition_id(ctx, book, (1, 3, 4))
        pages = text_id and ctx.rows("editions")[text_id].get("pages")
    if audio is None:
        audio_id = default_edition_id(ctx, book, (2,))
        audio = audio_id and ctx.rows("editions")[audio_id].get("audio_seconds")
    return {
        "id": str(book["id"]),
        "title": book["title"],
        "slug": book["slug"],
        "subtitle": book.get("subtitle"),
        "author_names": authors,
        "isbns": isbns,
        "series_names": series,
        "alternative_titles": list(book.get("alternative_titles") or []),
        "release_year": book.get("release_year"),
        "users_count": book.get("users_count", 0),
        "pages": pages or None,
        "audio_seconds": audio or None,
        "has_audiobook": any(e["reading_format_id"] == 2 or e.get("audio_seconds") for e in editions),
        "has_ebook": any(e["reading_format_id"] == 4 for e in editions),
        "image": {"url": book.get("image_url")},
    }


def _haystack(document: dict[str, Any]) -> set[str]:
    parts = [
        document["title"] or "",
        *document["alternative_titles"],
        *document["author_names"],
        *document["series_names"],
        *document["isbns"],
    ]
    return set().union(*(_tokens(p) for p in parts))


# Every table a book's document reads: the catalogue is built once per version of these, not per search.
_DOCUMENT_TABLES = ("books", "editions", "contributions", "authors", "book_series", "series")


@dataclass(frozen=True)
class _Catalogue:
    """Each book's document in id order, and which books hold each token (an inverted index)."""

    documents: dict[int, dict[str, Any]]
    holders: dict[str, list[int]]


def _catalogue(ctx: Ctx) -> _Catalogue:
    def build() -> _Catalogue:
        documents: dict[int, dict[str, Any]] = {}
        holders: dict[str, list[int]] = defaultdict(list)
        for book in ctx.rows("books").values():
            document = book_document(ctx, book)
            documents[book["id"]] = document
            for token in _haystack(document):
                holders[token].append(book["id"])
        return _Catalogue(documents, dict(holders))

    return ctx.state.derived("search.catalogue", _DOCUMENT_TABLES, build)


def run_search(
    ctx: Ctx,
    *,
    query: str,
    query_type: str | None = None,
    per_page: int | None = None,
    page: int | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    """The ``SearchOutput`` of one search call (``sort``, ``fields``, ``weights``… are accepted, unused)."""
    per_page = 25 if per_page is None else max(1, min(per_page, 250))
    page = 1 if page is None else max(1, page)
    kind = (query_type or "book").casefold()
    catalogue = _catalogue(ctx)
    ranked: list[tuple[float, int, int, dict[str, Any]]] = []
    if kind in _BOOK_TYPES:
        wanted = _tokens(query)
        if query.strip() == "*":
            shares = dict.fromkeys(catalogue.documents, 1.0)
        else:
            # Only books holding at least one query token can have a share above 0.
            hits: Counter[int] = Counter()
            for token in wanted:
                hits.update(catalogue.holders.get(token, ()))
            shares = {book_id: count / len(wanted) for book_id, count in hits.items()}
        for book_id, share in shares.items():
            document = catalogue.documents[book_id]
            ranked.append((share, document["users_count"] or 0, book_id, document))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
    window = ranked[(page - 1) * per_page : page * per_page]
    results = {
        "found": len(ranked),
        "out_of": len(catalogue.documents),
        "page": page,
        "facet_counts": [],
        "search_time_ms": 0,
        "hits": [{"document": doc, "text_match": round(share * 100)} for share, _, _, doc in window],
    }
    return {
        "error": None,
        "ids": [book_id for _, _, book_id, _ in window],
        "page": page,
        "per_page": per_page,
        "query": query,
        "query_type": query_type or "book",
        "results": results,
    }
