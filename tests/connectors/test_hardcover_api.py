"""HardcoverApi: the documents it sends, the variables, batching (N5) and the mapping of real wire shapes.

The handler answers like Hardcover does (ref/hardcover.md §4, §5, §7: ``me`` is a list, mutations answer
``{id error <row>}`` with HTTP 200, search ``results`` is raw Typesense JSON with string ids).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.documents import analyse_document
from bookrelay.connectors.hardcover.mapper import map_user_books
from bookrelay.connectors.hardcover.session import HardcoverSession, UnreadableWriteAnswer
from bookrelay.connectors.hardcover.writes import WriteOp
from bookrelay.domain.models import ReadingFormat, SeriesRef, Status
from bookrelay.errors import BadResponse

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]


class Hardcover:
    """Answers each request from ``answer(operation_label, variables)``; records what was sent."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.sent.append((body["query"], body["variables"]))
        return httpx.Response(200, json=self.answer(body["query"], body["variables"]))

    @property
    def units(self) -> int:
        return sum(analyse_document(query).units for query, _ in self.sent)


async def _no_sleep(seconds: float) -> None:
    return None


def api_for(server: Hardcover) -> tuple[HardcoverApi, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    session = HardcoverSession(http, "hc_pat_apitest", sleep=_no_sleep, rng=random.Random(1), burst=1000)
    return HardcoverApi(session), http


def read_row(read_id: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": read_id,
        "edition_id": 1000,
        "started_at": None,
        "finished_at": None,
        "paused_at": None,
        "progress": None,
        "progress_pages": None,
        "progress_seconds": None,
    }
    row.update(fields)
    return row


BOOK = {
    "id": 100,
    "title": "Project Hail Mary",
    "subtitle": None,
    "slug": "project-hail-mary",
    "release_year": 2021,
    "alternative_titles": ["Der Astronaut"],
    "audio_seconds": 58000,
    "image": {"url": "https://assets.hardcover.app/phm.jpg"},
    "contributions": [
        {"contribution": None, "author": {"name": "Andy Weir"}},
        {"contribution": "Narrator", "author": {"name": "Ray Porter"}},
    ],
    "book_series": [{"position": 1.0, "series": {"name": "Standalone"}}],
}
EDITION = {
    "id": 1000,
    "book_id": 100,
    "title": "Project Hail Mary",
    "subtitle": None,
    "isbn_13": "9780593135204",
    "isbn_10": None,
    "asin": "B08G9PRS1K",
    "pages": None,
    "audio_seconds": 58000,
    "reading_format_id": 2,
    "edition_format": "Audiobook",
    "users_count": 50,
    "language": {"code2": "en"},
}


def entry(
    entry_id: int, book_id: int = 100, status_id: int = 2, reads: list[dict[str, Any]] | None = None
) -> dict:
    return {
        "id": entry_id,
        "book_id": book_id,
        "edition_id": 1000,
        "status_id": status_id,
        "rating": "4.5",
        "owned": False,
        "user_book_reads": reads or [],
        "book": {**BOOK, "id": book_id},
        "edition": {**EDITION, "book_id": book_id},
    }


async def test_me_reads_the_first_element_of_the_list() -> None:
    server = Hardcover(
        lambda q, v: {"data": {"me": [{"id": 31899, "username": "alice", "name": None, "books_count": 3}]}}
    )
    api, http = api_for(server)
    async with http:
        user = await api.me()
    assert (user.id, user.username, user.name, user.books_count) == (31899, "alice", None, 3)


async def test_me_empty_list_is_bad_response() -> None:
    server = Hardcover(lambda q, v: {"data": {"me": []}})
    api, http = api_for(server)
    async with http:
        with pytest.raises(BadResponse, match="me"):
            await api.me()


async def test_W1_shelf_pages_by_offset_and_maps_entries() -> None:
    rows = [
        entry(5000, reads=[read_row(7000, started_at="2026-01-01", progress_seconds=1200), read_row(7005)]),
        entry(5001, book_id=101, status_id=3),
        entry(5002, book_id=102, status_id=1),
    ]

    def answer(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        start = variables["offset"]
        return {"data": {"user_books": rows[start : start + variables["limit"]]}}

    server = Hardcover(answer)
    api, http = api_for(server)
    async with http:
        shelf = await api.shelf(1, page_size=2)
    assert [v["offset"] for _, v in server.sent] == [0, 2]
    assert all(v["userId"] == 1 and "statuses" not in v for _, v in server.sent)
    assert [e.id for e in shelf] == [5000, 5001, 5002]
    first = shelf[0]
    assert first.status is Status.READING
    assert first.rating == 4.5
    assert [r.id for r in first.reads] == [7005, 7000]  # newest first
    assert first.reads[1].started_at == date(2026, 1, 1)
    assert first.reads[1].progress_seconds == 1200
    assert first.book is not None and first.book.authors == ("Andy Weir",)  # narrator left out
    assert first.book.series == (SeriesRef("Standalone", "1"),)
    assert first.book.alternative_titles == ("Der Astronaut",)
    assert first.book.image_url == "https://assets.hardcover.app/phm.jpg"
    assert first.edition is not None and first.edition.reading_format is ReadingFormat.AUDIO
    assert first.edition.language == "en"


async def test_W1_want_to_read_filters_status_one() -> None:
    server = Hardcover(lambda q, v: {"data": {"user_books": [entry(5002, status_id=1)]}})
    api, http = api_for(server)
    async with http:
        wanted = await api.want_to_read(7)
    query, variables = server.sent[0]
    assert variables["statuses"] == [1]
    assert "status_id: {_in: $statuses}" in query
    assert [e.status for e in wanted] == [Status.WANT_TO_READ]


async def test_P10_dates_are_calendar_dates_and_bad_ones_name_the_place() -> None:
    bad = entry(5000, reads=[read_row(7000, started_at="2026-01-01T23:00:00Z")])
    server = Hardcover(lambda q, v: {"data": {"user_books": [bad]}})
    api, http = api_for(server)
    async with http:
        # S3: the run's log sets the malformed row aside (its items fail), naming the place.
        assert await api.shelf(1) == []
    [row] = api.shapes.set_aside
    assert row.book_id == bad["book_id"]
    assert "user_book_reads[0].started_at" in row.message
    with pytest.raises(BadResponse, match=r"user_book_reads\[0\]\.started_at"):
        map_user_books([bad], "user_books")  # without a log the mapper refuses the answer


async def test_N5_user_books_for_books_is_one_in_query_per_batch() -> None:
    server = Hardcover(
        lambda q, v: {"data": {"user_books": [entry(9000 + b, book_id=b) for b in v["bookIds"]]}}
    )
    api, http = api_for(server)
    async with http:
        found = await api.user_books_for_books(1, [*range(1, 151), 5, 5], batch=100)
        assert await api.user_books_for_books(1, []) == []
    assert [len(v["bookIds"]) for _, v in server.sent] == [100, 50]
    assert len(found) == 150


async def test_N5_editions_by_identifiers_packs_batches_five_to_a_request() -> None:
    def answer(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key in {k.split("_")[0] for k in variables}:
            isbns = variables[f"{key}_isbn13"]
            data[key] = [{**EDITION, "id": int(isbn[-6:]), "isbn_13": isbn, "book": BOOK} for isbn in isbns]
        return {"data": data}

    isbns = [f"978{n:010d}" for n in range(700)]
    server = Hardcover(answer)
    api, http = api_for(server)
    async with http:
        hits = await api.editions_by_identifiers(isbns, [], ["B08G9PRS1K"], batch=100)
    assert len(server.sent) == 2  # 7 batches: 5 + 2
    assert server.units == 7
    first_vars = server.sent[0][1]
    assert first_vars["b0_asin"] == ["B08G9PRS1K"] and first_vars["b1_asin"] == []
    assert len(first_vars["b0_isbn13"]) == 100
    assert len(hits.editions) == 700
    assert hits.book_for(hits.editions[0]) is not None
    assert hits.books[100].title == "Project Hail Mary"


async def test_editions_by_identifiers_without_identifiers_sends_nothing() -> None:
    server = Hardcover(lambda q, v: {"data": {}})
    api, http = api_for(server)
    async with http:
        hits = await api.editions_by_identifiers([], [], [])
    assert server.sent == [] and hits.editions == []


async def test_M2_books_by_ids_keeps_the_asked_order_and_leaves_out_vanished_books() -> None:
    def answer(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        ids = variables["b0_ids"]
        return {
            "data": {
                "b0": [
                    {**BOOK, "id": i, "editions": [{**EDITION, "book_id": i}]} for i in sorted(ids) if i != 2
                ]
            }
        }

    server = Hardcover(answer)
    api, http = api_for(server)
    async with http:
        books = await api.books_by_ids([3, 2, 1])
    assert [b.id for b in books] == [3, 1]
    assert books[0].editions[0].audio_seconds == 58000


async def test_M4_search_maps_typesense_hits_in_rank_order() -> None:
    results = {
        "found": 2,
        "hits": [
            {
                "document": {
                    "id": "312460",
                    "title": "Dune",
                    "author_names": ["Frank Herbert"],
                    "isbns": ["0441013597"],
                    "series_names": ["Dune"],
                    "release_year": 1965,
                    "users_count": 14663,
                    "pages": 704,
                    "image": {"url": "https://x/dune.jpg"},
                    "alternative_titles": ["Duna"],
                }
            },
            {"document": {"id": "987286", "title": "Dune Messiah", "author_names": [], "users_count": 10}},
        ],
    }
    server = Hardcover(
        lambda q, v: {"data": {"search": {"ids": [312460, 987286], "results": results, "error": None}}}
    )
    api, http = api_for(server)
    async with http:
        hits = await api.search_books("dune frank herbert", per_page=5)
    assert server.sent[0][1] == {"query": "dune frank herbert", "perPage": 5}
    assert [h.book_id for h in hits] == [312460, 987286]
    assert hits[0].authors == ("Frank Herbert",) and hits[0].release_year == 1965
    assert hits[0].alternative_titles == ("Duna",) and hits[0].pages == 704


async def test_N3_search_error_field_is_bad_response() -> None:
    server = Hardcover(
        lambda q, v: {"data": {"search": {"ids": None, "results": None, "error": "search timed out"}}}
    )
    api, http = api_for(server)
    async with http:
        with pytest.raises(BadResponse, match="search timed out"):
            await api.search_books("dune")


async def test_P11_insert_user_book_adopts_the_read_hardcover_created() -> None:
    created = {
        "id": 5000, "book_id": 100, "edition_id": 1000, "status_id": 2, "rating": None, "owned": False,
        "user_book_reads": [read_row(7001, started_at="2026-11-26")],
    }  # fmt: skip
    server = Hardcover(lambda q, v: {"data": {"w0": {"id": 5000, "error": None, "user_book": created}}})
    api, http = api_for(server)
    async with http:
        user_book = await api.insert_user_book(100, Status.READING, edition_id=1000, privacy_setting_id=1)
    query, variables = server.sent[0]
    assert variables == {
        "w0_object": {"book_id": 100, "status_id": 2, "privacy_setting_id": 1, "edition_id": 1000}
    }
    assert "user_book_reads(order_by: {id: desc})" in query
    assert user_book.reads[0].id == 7001 and user_book.reads[0].started_at == date(2026, 11, 26)


async def test_N3_update_user_book_error_is_a_failure() -> None:
    answer = {
        "data": {"w0": {"id": 999999999, "error": "Record not found. Was it deleted?", "user_book": None}}
    }
    server = Hardcover(lambda q, v: answer)
    api, http = api_for(server)
    async with http:
        with pytest.raises(BadResponse, match="Record not found"):
            await api.update_user_book(999999999, status=Status.READ)
    assert server.sent[0][1] == {"w0_id": 999999999, "w0_object": {"status_id": 3}}


async def test_update_user_book_read_sends_dates_as_calendar_strings_and_explicit_nulls() -> None:
    server = Hardcover(
        lambda q, v: {
            "data": {
                "w0": {"id": 7000, "error": None, "user_book_read": read_row(7000, finished_at="2026-11-20")}
            }
        }
    )
    api, http = api_for(server)
    async with http:
        read = await api.update_user_book_read(
            7000, {"finished_at": date(2026, 11, 20), "progress_pages": None}
        )
    assert server.sent[0][1]["w0_object"] == {"finished_at": "2026-11-20", "progress_pages": None}
    assert read.finished_at == date(2026, 11, 20)


@pytest.mark.parametrize(
    "fields",
    [{"started_at": datetime(2026, 1, 1, 23, 30)}, {"paused_at": date(2026, 1, 1)}, {}],
    ids=["datetime", "not-an-input-field", "empty"],
)
def test_read_fields_are_checked_before_sending(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        WriteOp.update_user_book_read(7000, fields)


async def test_N5_run_writes_packs_five_a_request_and_isolates_each_error() -> None:
    def answer(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for alias in sorted({k.split("_")[0] for k in variables}):
            read_id = variables[f"{alias}_id"]
            if read_id == 7001:
                data[alias] = {
                    "id": None,
                    "error": "Record not found. Was it deleted?",
                    "user_book_read": None,
                }
            else:
                data[alias] = {
                    "id": read_id,
                    "error": None,
                    "user_book_read": read_row(read_id, progress_seconds=read_id),
                }
        return {"data": data}

    server = Hardcover(answer)
    api, http = api_for(server)
    ops = [WriteOp.update_user_book_read(7000 + i, {"progress_seconds": 7000 + i}) for i in range(7)]
    async with http:
        results = await api.run_writes(ops)
    assert len(server.sent) == 2
    assert server.units == 7
    assert [analyse_document(q).units for q, _ in server.sent] == [5, 2]
    assert [r.ok for r in results] == [True, False, True, True, True, True, True]
    assert results[1].error == "Record not found. Was it deleted?"
    assert results[6].read is not None and results[6].read.progress_seconds == 7006
    assert all(r.op is op for r, op in zip(results, ops, strict=True))


async def test_P11_unreadable_write_result_is_flagged_outcome_unknown() -> None:
    server = Hardcover(
        lambda q, v: {"data": {"w0": {"id": 7000, "error": None, "user_book_read": {"id": "x"}}}}
    )
    api, http = api_for(server)
    async with http:
        results = await api.run_writes([WriteOp.update_user_book_read(7000, {"progress_seconds": 1})])
        with pytest.raises(UnreadableWriteAnswer):
            await api.update_user_book_read(7000, {"progress_seconds": 1})
    assert not results[0].ok and results[0].outcome_unknown
