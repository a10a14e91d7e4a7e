"""The fake Hardcover's reads: where, order_by, limit, offset, nesting, scoping, derived fields, search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.hardcover.sample import FakeClock, sample_section


@pytest.fixture
def state() -> HardcoverState:
    return HardcoverState.from_fixture(sample_section(), clock=FakeClock())


@pytest.fixture
async def client(state: HardcoverState) -> AsyncIterator[httpx.AsyncClient]:
    state.limits.burst = state.limits.daily = 1000  # these tests are about answers, not budgets
    transport = httpx.ASGITransport(app=build_hardcover_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://hardcover.test") as http:
        yield http


async def data(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str = "hc_pat_alice",
) -> Any:
    response = await client.post(
        "/v1/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


async def book_ids(client: httpx.AsyncClient, where: str, extra: str = "") -> list[int]:
    result = await data(client, f"{{ books(where: {where}, order_by: {{id: asc}}{extra}) {{ id }} }}")
    return [b["id"] for b in result["books"]]


# ---------------------------------------------------------------- where


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{id: {_eq: 101}}", [101]),
        ("{id: {_neq: 101}}", [100, 102, 103]),
        ("{id: {_in: [100, 103, 999]}}", [100, 103]),
        ("{id: {_nin: [100, 103]}}", [101, 102]),
        ("{release_year: {_gt: 2017}}", [100, 102]),
        ("{release_year: {_gte: 2017}}", [100, 101, 102]),
        ("{release_year: {_lt: 2017}}", [103]),
        ("{release_year: {_lte: 2017}}", [101, 103]),
        ('{title: {_eq: "The Martian"}}', [103]),
        ("{_and: [{users_count: {_gt: 400}}, {release_year: {_lt: 2020}}]}", [101, 103]),
        ("{_or: [{id: {_eq: 100}}, {id: {_eq: 102}}]}", [100, 102]),
        ("{_not: {id: {_in: [100, 101]}}}", [102, 103]),
        ("{_and: []}", [100, 101, 102, 103]),
        ("{_or: []}", []),
        ("{id: {_eq: null}}", [100, 101, 102, 103]),  # Hasura v2 ignores a null comparison value
    ],
)
async def test_where_operators(client: httpx.AsyncClient, where: str, expected: list[int]) -> None:
    assert await book_ids(client, where) == expected


async def test_where_is_null_on_columns(client: httpx.AsyncClient) -> None:
    result = await data(client, "{ editions(where: {pages: {_is_null: true}}, order_by: {id: asc}) { id } }")
    assert [e["id"] for e in result["editions"]] == [1000, 1010, 1020]
    result = await data(
        client, "{ editions(where: {isbn_13: {_is_null: false}}, order_by: {id: asc}) { id } }"
    )
    assert [e["id"] for e in result["editions"]] == [1001, 1011, 1030]


async def test_comparisons_against_null_columns_are_false(client: httpx.AsyncClient) -> None:
    result = await data(client, "{ editions(where: {pages: {_neq: 496}}, order_by: {id: asc}) { id } }")
    assert [e["id"] for e in result["editions"]] == [1011, 1030]  # editions without pages do not match


async def test_nested_relationship_filters(client: httpx.AsyncClient) -> None:
    by_author = '{contributions: {author: {name: {_eq: "Martha Wells"}}}}'
    assert await book_ids(client, by_author) == [101, 102]
    by_series = '{book_series: {series: {name: {_eq: "Murderbot Diaries"}}, position: {_gt: 1}}}'
    assert await book_ids(client, by_series) == [102]
    result = await data(client, '{ editions(where: {book: {title: {_eq: "All Systems Red"}}}) { id } }')
    assert sorted(e["id"] for e in result["editions"]) == [1010, 1011]
    result = await data(client, "{ editions(where: {reading_format: {id: {_eq: 2}}}) { id } }")
    assert sorted(e["id"] for e in result["editions"]) == [1000, 1010, 1020]


async def test_batch_identifier_lookup_with_or_and_in(client: httpx.AsyncClient) -> None:
    query = """query Ids($isbns: [String!]!, $asins: [String!]!) {
      editions(where: {_or: [{isbn_13: {_in: $isbns}}, {isbn_10: {_in: $isbns}}, {asin: {_in: $asins}}]},
               order_by: {users_count: desc_nulls_last}) { id book_id }
    }"""
    result = await data(client, query, {"isbns": ["0593135202", "9780553418026"], "asins": ["B06XKWD7CP"]})
    assert result["editions"] == [
        {"id": 1030, "book_id": 103},
        {"id": 1001, "book_id": 100},
        {"id": 1010, "book_id": 101},
    ]


async def test_citext_username_compares_case_insensitively(client: httpx.AsyncClient) -> None:
    result = await data(client, '{ users(where: {username: {_eq: "ALICE"}}) { id } }')
    assert result["users"] == [{"id": 1}]


# ---------------------------------------------------------------- order_by, limit, offset


async def test_order_by_desc_and_nulls_placement(client: httpx.AsyncClient) -> None:
    query = "{ editions(order_by: [{pages: %s}, {id: asc}]) { id } }"
    asc = [e["id"] for e in (await data(client, query % "asc"))["editions"]]
    assert asc == [1011, 1030, 1001, 1000, 1010, 1020]  # NULLs last when ascending
    desc = [e["id"] for e in (await data(client, query % "desc"))["editions"]]
    assert desc == [1000, 1010, 1020, 1001, 1030, 1011]  # NULLs first when descending
    desc_last = [e["id"] for e in (await data(client, query % "desc_nulls_last"))["editions"]]
    assert desc_last == [1001, 1030, 1011, 1000, 1010, 1020]
    asc_first = [e["id"] for e in (await data(client, query % "asc_nulls_first"))["editions"]]
    assert asc_first == [1000, 1010, 1020, 1011, 1030, 1001]


async def test_order_by_a_nested_object(client: httpx.AsyncClient) -> None:
    result = await data(
        client, "{ editions(where: {pages: {_is_null: false}}, order_by: {book: {title: asc}}) { id } }"
    )
    assert [e["id"] for e in result["editions"]] == [
        1011,
        1001,
        1030,
    ]  # All Systems Red, Project…, The Martian


async def test_limit_and_offset_page_through_results(client: httpx.AsyncClient) -> None:
    assert await book_ids(client, "{}", ", limit: 2") == [100, 101]
    assert await book_ids(client, "{}", ", limit: 2, offset: 2") == [102, 103]
    assert await book_ids(client, "{}", ", offset: 3") == [103]


# ---------------------------------------------------------------- nesting, scoping, derived values


async def test_me_is_a_list_with_nested_user_books(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        """{ me { id username name books_count account_privacy_setting_id timezone
                 user_books(where: {status_id: {_eq: 1}}) { id book_id } } }""",
    )
    assert result["me"] == [
        {
            "id": 1,
            "username": "alice",
            "name": "Alice",
            "books_count": 3,
            "account_privacy_setting_id": 1,
            "timezone": "Europe/Berlin",
            "user_books": [{"id": 5002, "book_id": 103}],
        }
    ]


async def test_user_books_table_shows_only_the_callers_rows(client: httpx.AsyncClient) -> None:
    everything = "{ user_books(order_by: {id: asc}) { id user_id } user_book_reads { id } }"
    alice = await data(client, everything)
    assert [ub["id"] for ub in alice["user_books"]] == [5000, 5001, 5002]
    assert {r["id"] for r in alice["user_book_reads"]} == {7000, 7001}
    bob = await data(client, everything, token="hc_pat_bob")
    assert bob["user_books"] == [{"id": 5100, "user_id": 2}]
    assert bob["user_book_reads"] == []
    explicit = await data(client, "{ user_books(where: {user_id: {_eq: 2}}) { id } }")
    assert explicit["user_books"] == []  # alice asking for bob's rows sees nothing
    nested = await data(
        client, "{ books(where: {id: {_eq: 100}}) { user_books { user_id } } }", token="hc_pat_bob"
    )
    assert nested["books"][0]["user_books"] == [{"user_id": 2}]


async def test_lists_show_own_and_public_lists(client: httpx.AsyncClient) -> None:
    query = (
        "{ lists(order_by: {id: asc}) { id name books_count public list_books(order_by: {position: asc}) { "
        "book_id } } }"
    )
    alice = await data(client, query)
    assert [(lst["id"], lst["books_count"]) for lst in alice["lists"]] == [
        (1, 1),
        (2, 2),
    ]  # not bob's "Secret"
    assert alice["lists"][1]["list_books"] == [{"book_id": 100}, {"book_id": 103}]
    bob = await data(client, query, token="hc_pat_bob")
    assert [lst["id"] for lst in bob["lists"]] == [2, 3]


async def test_nested_selections_with_their_own_arguments(client: httpx.AsyncClient) -> None:
    query = """{
      user_books(where: {book_id: {_eq: 100}}) {
        user_book_reads(order_by: {id: desc}) { id progress progress_seconds started_at }
        book { title contributions { author { name } } }
        edition { id audio_seconds reading_format { id format } language { code2 language } }
      }
      books(where: {id: {_eq: 101}}) {
        editions(where: {reading_format_id: {_eq: 4}}) { id pages }
        book_series { position series { name } }
        default_audio_edition { id } default_ebook_edition_id cached_image image { url }
      }
    }"""
    result = await data(client, query)
    assert result["user_books"] == [
        {
            "user_book_reads": [
                {"id": 7000, "progress": 50.0, "progress_seconds": 29000, "started_at": "2026-01-02"}
            ],
            "book": {"title": "Project Hail Mary", "contributions": [{"author": {"name": "Andy Weir"}}]},
            "edition": {
                "id": 1000,
                "audio_seconds": 58000,
                "reading_format": {"id": 2, "format": "Audio"},
                "language": {"code2": "en", "language": "English"},
            },
        }
    ]
    assert result["books"] == [
        {
            "editions": [{"id": 1011, "pages": 160}],
            "book_series": [{"position": 1, "series": {"name": "Murderbot Diaries"}}],
            "default_audio_edition": {"id": 1010},
            "default_ebook_edition_id": 1011,
            "cached_image": {"id": 101, "url": "https://img.test/asr.jpg"},
            "image": {"url": "https://img.test/asr.jpg"},
        }
    ]


async def test_progress_is_computed_from_pages_of_the_reads_edition(client: httpx.AsyncClient) -> None:
    result = await data(client, "{ user_book_reads(where: {id: {_eq: 7001}}) { progress progress_pages } }")
    assert result["user_book_reads"] == [{"progress": 100.0, "progress_pages": 160}]


async def test_user_book_dates_and_read_count_are_derived_from_reads(client: httpx.AsyncClient) -> None:
    query = """{ user_books(order_by: {id: asc}, limit: 2) {
        id read_count first_started_reading_date first_read_date last_read_date user_book_status { status }
          } }"""
    result = await data(client, query)
    assert result["user_books"] == [
        {
            "id": 5000,
            "read_count": 0,
            "first_started_reading_date": "2026-01-02",
            "first_read_date": None,
            "last_read_date": None,
            "user_book_status": {"status": "Currently Reading"},
        },
        {
            "id": 5001,
            "read_count": 1,
            "first_started_reading_date": "2025-06-01",
            "first_read_date": "2025-06-09",
            "last_read_date": "2025-06-09",
            "user_book_status": {"status": "Read"},
        },
    ]


async def test_filters_on_derived_columns(client: httpx.AsyncClient) -> None:
    result = await data(client, "{ user_books(where: {read_count: {_gte: 1}}) { id } }")
    assert result["user_books"] == [{"id": 5001}]
    result = await data(client, "{ user_book_reads(where: {progress: {_gte: 60}}) { id } }")
    assert result["user_book_reads"] == [{"id": 7001}]


async def test_alternative_titles_is_json(client: httpx.AsyncClient) -> None:
    result = await data(client, "{ books(where: {id: {_eq: 103}}) { alternative_titles } }")
    assert result["books"] == [{"alternative_titles": ["Der Marsianer"]}]


# ---------------------------------------------------------------- search


async def test_search_shape_and_ranking(client: httpx.AsyncClient) -> None:
    query = (
        'query S($q: String!) { search(query: $q, query_type: "Book", per_page: 10, page: 1) { error ids '
        "page per_page query query_type results } }"
    )
    result = (await data(client, query, {"q": "martha wells red"}))["search"]
    assert result["error"] is None
    # All Systems Red matches all three tokens; Artificial Condition only the author's two
    assert result["ids"] == [101, 102]
    assert (result["page"], result["per_page"], result["query"], result["query_type"]) == (
        1,
        10,
        "martha wells red",
        "Book",
    )
    assert result["results"]["found"] == 2
    assert result["results"]["out_of"] == 4
    document = result["results"]["hits"][0]["document"]
    assert document == {
        "id": "101",
        "title": "All Systems Red",
        "slug": "all-systems-red",
        "subtitle": None,
        "author_names": ["Martha Wells"],
        "isbns": ["9780765397539"],
        "series_names": ["Murderbot Diaries"],
        "alternative_titles": [],
        "release_year": 2017,
        "users_count": 500,
        "pages": 160,
        "audio_seconds": 11400,
        "has_audiobook": True,
        "has_ebook": True,
        "image": {"url": "https://img.test/asr.jpg"},
    }


async def test_search_ties_rank_by_users_count_and_pages(client: httpx.AsyncClient) -> None:
    first = (await data(client, '{ search(query: "weir", per_page: 1) { ids results } }'))["search"]
    assert first["ids"] == [103]  # The Martian has more users than Project Hail Mary
    assert first["results"]["found"] == 2
    second = (await data(client, '{ search(query: "weir", per_page: 1, page: 2) { ids } }'))["search"]
    assert second["ids"] == [100]


async def test_search_matches_isbns_and_alternative_titles(client: httpx.AsyncClient) -> None:
    assert (await data(client, '{ search(query: "9780593135204") { ids } }'))["search"]["ids"] == [100]
    assert (await data(client, '{ search(query: "der marsianer") { ids } }'))["search"]["ids"] == [103]
    assert (await data(client, '{ search(query: "nothing here") { ids } }'))["search"]["ids"] == []


async def test_search_defaults_to_25_per_page_and_other_types_are_empty(client: httpx.AsyncClient) -> None:
    result = (await data(client, '{ search(query: "*") { ids per_page } }'))["search"]
    assert result == {"ids": [103, 100, 101, 102], "per_page": 25}
    authors = (await data(client, '{ search(query: "wells", query_type: "author") { ids results } }'))[
        "search"
    ]
    assert authors["ids"] == [] and authors["results"]["found"] == 0
