"""Rule S3 in the Hardcover mapper: one odd value never stops the whole answer.

A scoring or display field in any JSON shape is read as empty (one warning per field); a row whose
write-needed field is malformed is set aside under its book and identifiers, and the other rows map.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookrelay.connectors.hardcover.mapper import (
    map_books,
    map_editions_with_books,
    map_search,
    map_user_books,
)
from bookrelay.connectors.hardcover.shape_log import ShapeLog

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _is_integer(value: Any) -> bool:
    return not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    )


NOT_AN_INTEGER = JSON.filter(lambda v: v is not None and not _is_integer(v))


def edition_row(edition_id: int, book_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": edition_id,
        "book_id": book_id,
        "title": "Dune",
        "asin": f"B0ED{edition_id:06d}",
        "isbn_13": None,
        "isbn_10": None,
        "pages": None,
        "audio_seconds": 75_000,
        "reading_format_id": 2,
        "users_count": 4,
        **extra,
    }


def book_row(book_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": book_id,
        "title": f"Book {book_id}",
        "subtitle": None,
        "alternative_titles": ["Der Wüstenplanet"],
        "release_year": 1965,
        "image": {"url": "https://example.test/dune.jpg"},
        "contributions": [{"contribution": None, "author": {"name": "Frank Herbert"}}],
        "book_series": [{"position": 1, "series": {"name": "Dune"}}],
        "editions": [edition_row(book_id * 10, book_id)],
        **extra,
    }


SOFT_BOOK_FIELDS = [
    "alternative_titles",
    "image",
    "contributions",
    "book_series",
    "subtitle",
    "title",
    "release_year",
    "slug",
    "audio_seconds",
]


@pytest.mark.parametrize("column", SOFT_BOOK_FIELDS)
@settings(max_examples=40, deadline=None)
@given(odd=JSON)
def test_S3_a_scoring_or_display_field_in_any_shape_is_read_as_empty(column: str, odd: Any) -> None:
    shapes = ShapeLog()
    books = map_books([book_row(1, **{column: odd}), book_row(2)], "books", shapes)
    assert [b.id for b in books] == [1, 2]  # both books, whatever the odd column held
    assert not shapes.set_aside
    assert books[1].authors == ("Frank Herbert",) and books[1].alternative_titles == ("Der Wüstenplanet",)
    assert all(isinstance(t, str) for t in books[0].alternative_titles)
    assert all(isinstance(a, str) for a in books[0].authors)
    assert set(shapes.warned) <= {column, "contributions", "book_series", "image", "series", "author"}


def test_S3_one_warning_per_field_per_run_whichever_query_carried_it() -> None:
    shapes = ShapeLog()
    odd = {"alternative_titles": {"en": []}}
    map_books([book_row(1, **odd), book_row(2, **odd)], "books[b0]", shapes)
    map_editions_with_books([{**edition_row(30, 3), "book": book_row(3, **odd)}], "editions[b0]", shapes)
    assert list(shapes.warned) == ["alternative_titles"]
    assert shapes.warned["alternative_titles"].startswith("books[b0][0].alternative_titles: expected a list")
    [note] = shapes.notes()
    assert "alternative_titles" in note and "read as empty" in note
    shapes.reset()
    assert shapes.warned == {} and shapes.notes() == []


@pytest.mark.parametrize("column", ["audio_seconds", "pages", "reading_format_id", "id"])
@settings(max_examples=40, deadline=None)
@given(odd=NOT_AN_INTEGER)
def test_S3_a_malformed_length_or_id_sets_its_book_aside_and_the_others_map(column: str, odd: Any) -> None:
    shapes = ShapeLog()
    broken = book_row(1, editions=[edition_row(10, 1, **{column: odd}), edition_row(11, 1)])
    books = map_books([broken, book_row(2)], "books[b0]", shapes)
    assert [b.id for b in books] == [1, 2]
    row = shapes.for_book(1)
    assert row is not None and f"books[b0][0].editions[0].{column}" in row.message
    assert shapes.for_book(2) is None
    assert [e.id for e in books[0].editions] == [11]  # the malformed edition is never a choice


@settings(max_examples=40, deadline=None)
@given(odd=NOT_AN_INTEGER)
def test_S3_an_edition_found_by_identifier_with_a_malformed_field_is_set_aside_under_its_identifier(
    odd: Any,
) -> None:
    shapes = ShapeLog()
    rows = [
        {**edition_row(10, 1, audio_seconds=odd), "book": book_row(1)},
        {**edition_row(20, 2), "book": book_row(2)},
    ]
    editions, books = map_editions_with_books(rows, "editions[b0]", shapes)
    assert [e.id for e in editions] == [20] and [b.id for b in books] == [2]
    row = shapes.for_identifier("b0ed000010")  # identifiers compare case-insensitively
    assert row is not None and "editions[b0][0].audio_seconds" in row.message
    assert shapes.for_book(1) is row


@pytest.mark.parametrize("column", ["status_id", "id"])
@settings(max_examples=40, deadline=None)
@given(odd=NOT_AN_INTEGER)
def test_S3_a_malformed_shelf_entry_is_set_aside_under_its_book(column: str, odd: Any) -> None:
    def entry(user_book_id: int, book_id: int, **extra: Any) -> dict[str, Any]:
        return {"id": user_book_id, "book_id": book_id, "status_id": 2, "user_book_reads": [], **extra}

    shapes = ShapeLog()
    entries = map_user_books([entry(1, 100, **{column: odd}), entry(2, 200)], "user_books", shapes)
    assert [e.book_id for e in entries] == [200]
    row = shapes.for_book(100)
    assert row is not None and f"user_books[0].{column}" in row.message


@settings(max_examples=40, deadline=None)
@given(odd=JSON)
def test_S3_search_hits_keep_their_candidates_whatever_a_scoring_field_holds(odd: Any) -> None:
    shapes = ShapeLog()
    documents = [
        {"id": "7", "title": "Dune", "author_names": odd, "alternative_titles": odd, "image": odd},
        {"id": odd if not _is_integer(odd) and not isinstance(odd, str) else None, "title": "X"},
        {"id": "8", "title": "Dune Messiah", "author_names": ["Frank Herbert"]},
    ]
    hits = map_search({"results": {"hits": [{"document": d} for d in documents]}}, shapes=shapes)
    assert [h.book_id for h in hits] == [7, 8]
    assert hits[1].authors == ("Frank Herbert",)
    [row] = shapes.set_aside
    assert "hits[1].document.id" in row.message and row.book_id is None
    assert any("names no book" in note for note in shapes.notes())


@pytest.mark.parametrize("odd", [float("inf"), float("-inf"), float("nan")])
def test_S3_non_finite_numbers_are_malformed_not_a_crash(odd: float) -> None:
    shapes = ShapeLog()
    books = map_books(
        [book_row(1, release_year=odd), book_row(2, editions=[edition_row(20, 2, pages=odd)])],
        "books",
        shapes,
    )
    assert [b.id for b in books] == [1, 2] and books[0].release_year is None
    row = shapes.for_book(2)
    assert row is not None and "books[1].editions[0].pages" in row.message
