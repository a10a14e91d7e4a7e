"""The fake Hardcover's HTTP behaviour: auth, scopes, request limits, rate limits, faults, state controls."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.hardcover.sample import FakeClock, sample_section

URL = "/v1/graphql"
ME = "query { me { id } }"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> HardcoverState:
    return HardcoverState.from_fixture(sample_section(), clock=clock)


@pytest.fixture
async def client(state: HardcoverState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_hardcover_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://hardcover.test") as http:
        yield http


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = "hc_pat_alice",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post(URL, json={"query": query, "variables": variables or {}}, headers=headers)


def ratelimit(response: httpx.Response) -> tuple[int, int, int, int]:
    """(burst remaining, secs to full, daily remaining, secs to midnight) from the RateLimit header."""
    m = re.fullmatch(r'"Free";r=(\d+);t=(\d+), "daily";r=(\d+);t=(\d+)', response.headers["RateLimit"])
    assert m, response.headers["RateLimit"]
    return (int(m[1]), int(m[2]), int(m[3]), int(m[4]))


# ---------------------------------------------------------------- auth (N4)


async def test_N4_missing_authorization_is_401_malformed(client: httpx.AsyncClient) -> None:
    response = await post(client, ME, token=None)
    assert response.status_code == 401
    assert response.json() == {"error": "Malformed Authorization header"}


async def test_N4_bare_token_without_bearer_is_401_malformed(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json={"query": ME}, headers={"Authorization": "hc_pat_alice"})
    assert response.status_code == 401
    assert "Malformed" in response.json()["error"]


@pytest.mark.parametrize("token", ["hc_pat_nobody", "Bearer hc_pat_alice"])
async def test_N4_unknown_or_double_prefixed_token_is_401_invalid_token(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await post(client, ME, token=token)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": "Invalid or expired token"}


async def test_N4_bearer_prefix_is_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json={"query": ME}, headers={"Authorization": "bearer hc_pat_alice"})
    assert response.status_code == 200
    assert response.json() == {"data": {"me": [{"id": 1}]}}


@pytest.mark.parametrize(
    ("query", "scope"),
    [
        ("{ user_books { id } }", "read:library"),
        ("{ lists { id } }", "read:lists"),
        ("{ me { id } }", "read:me:content"),
        ("mutation { delete_user_book(id: 1) { id } }", "write:library"),
    ],
)
async def test_N4_missing_scope_is_403_naming_it(
    client: httpx.AsyncClient, state: HardcoverState, query: str, scope: str
) -> None:
    response = await post(client, query, token="hc_pat_carol")  # carol has read:catalog only
    assert response.status_code == 403
    assert response.json() == {"error": "insufficient_scope", "scope": scope}
    assert state.stats()["units"] == 0


async def test_scope_read_catalog_allows_books(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ books(where: {id: {_eq: 100}}) { title } }", token="hc_pat_carol")
    assert response.json() == {"data": {"books": [{"title": "Project Hail Mary"}]}}


# ---------------------------------------------------------------- request limits (N1)


async def test_N1_six_top_level_fields_are_403_and_cost_nothing(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    query = "{ " + " ".join(f"m{i}: me {{ id }}" for i in range(6)) + " }"
    response = await post(client, query)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "top_level_limit_exceeded"
    assert state.stats()["units"] == 0
    five = "{ " + " ".join(f"m{i}: me {{ id }}" for i in range(5)) + " }"
    assert (await post(client, five)).status_code == 200
    assert state.stats()["units"] == 5


async def test_N1_fragments_at_the_root_count_their_fields(client: httpx.AsyncClient) -> None:
    query = (
        "query { ...Root a: me { id } } fragment Root on query_root { b: me { id } c: me { id } d: books { "
        "id } e: editions { id } f: series { id } }"
    )
    response = await post(client, query)
    assert response.status_code == 403


async def test_N1_mutations_count_like_queries(client: httpx.AsyncClient) -> None:
    mutation = "mutation { " + " ".join(f"d{i}: delete_user_book(id: {i}) {{ id }}" for i in range(6)) + " }"
    response = await post(client, mutation)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "top_level_limit_exceeded"


async def test_N1_two_searches_in_one_request_are_403(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    query = '{ a: search(query: "mary") { ids } b: search(query: "red") { ids } }'
    response = await post(client, query)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "top_level_limit_exceeded"
    assert state.stats()["rejected"] == 1


@pytest.mark.parametrize("operator", ["_ilike", "_like", "_regex", "_iregex", "_similar"])
async def test_blocked_operator_in_the_query_is_403_naming_it(
    client: httpx.AsyncClient, state: HardcoverState, operator: str
) -> None:
    response = await post(client, f'{{ books(where: {{title: {{{operator}: "%Mary%"}}}}) {{ id }} }}')
    assert response.status_code == 403
    assert operator in response.json()["message"]
    assert state.stats()["units"] == 0


async def test_blocked_operator_hidden_in_variables_is_403(client: httpx.AsyncClient) -> None:
    query = "query Q($w: books_bool_exp) { books(where: $w) { id } }"
    response = await post(client, query, {"w": {"_or": [{"title": {"_ilike": "%mary%"}}]}})
    assert response.status_code == 403
    assert "_ilike" in response.json()["message"]


async def test_nilike_is_not_on_the_blocked_list_and_works(client: httpx.AsyncClient) -> None:
    response = await post(
        client, '{ books(where: {title: {_nilike: "%mary%"}}, order_by: {id: asc}) { id } }'
    )
    assert response.json() == {"data": {"books": [{"id": 101}, {"id": 102}, {"id": 103}]}}


# ---------------------------------------------------------------- rate and daily limits (N1, N2)


async def test_N1_burst_of_ten_then_429_with_retry_after(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    for expected_left in range(9, -1, -1):
        response = await post(client, ME)
        assert response.status_code == 200
        assert ratelimit(response)[0] == expected_left
    refused = await post(client, ME)
    assert refused.status_code == 429
    assert refused.json()["error"] == "Too Many Requests"
    assert int(refused.headers["Retry-After"]) == 1  # one unit refills in a second at 60/min
    assert refused.headers["RateLimit-Policy"] == '"Free";q=60;w=60;burst=10, "daily";q=5000;w=86400'
    assert ratelimit(refused)[:2] == (0, 10)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Daily-Remaining"] == "4990"
    assert state.stats()["rate_limited"] == 1
    assert state.stats()["units"] == 10


async def test_N1_bucket_refills_as_the_clock_advances(client: httpx.AsyncClient, clock: FakeClock) -> None:
    for _ in range(10):
        await post(client, ME)
    five = "{ " + " ".join(f"m{i}: me {{ id }}" for i in range(5)) + " }"
    refused = await post(client, five)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "5"
    clock.advance(4)
    assert (await post(client, five)).status_code == 429
    clock.advance(1)
    accepted = await post(client, five)
    assert accepted.status_code == 200
    assert ratelimit(accepted)[0] == 0


async def test_N1_daily_quota_runs_out_and_resets_at_midnight_utc(
    client: httpx.AsyncClient, state: HardcoverState, clock: FakeClock
) -> None:
    state.limits.daily = 3
    for _ in range(3):
        assert (await post(client, ME)).status_code == 200
    refused = await post(client, ME)
    assert refused.status_code == 429
    midnight = 12 * 3600  # SAMPLE_NOW is noon UTC
    assert int(refused.headers["Retry-After"]) == midnight
    assert ratelimit(refused)[2:] == (0, midnight)
    assert refused.headers["X-RateLimit-Daily-Remaining"] == "0"
    clock.advance(midnight)
    again = await post(client, ME)
    assert again.status_code == 200
    assert ratelimit(again)[2] == 2


async def test_N1_limits_are_per_token(client: httpx.AsyncClient, state: HardcoverState) -> None:
    state.limits.burst = 2
    state.limits.per_minute = 0
    for _ in range(2):
        await post(client, ME)
    assert (await post(client, ME)).status_code == 429
    assert (await post(client, ME, token="hc_pat_bob")).status_code == 200
    assert state.stats()["per_token"]["alice"]["rate_limited"] == 1
    assert state.stats()["per_token"]["bob"]["units"] == 1


async def test_every_answer_of_a_known_token_has_rate_headers(client: httpx.AsyncClient) -> None:
    refused = await post(client, '{ books(where: {title: {_like: "x"}}) { id } }')
    assert refused.status_code == 403
    assert ratelimit(refused) == (10, 0, 5000, 12 * 3600)
    for name in (
        "X-RateLimit-Limit",
        "X-RateLimit-Reset",
        "X-RateLimit-Daily-Limit",
        "X-RateLimit-Daily-Reset",
    ):
        assert name in refused.headers


# ---------------------------------------------------------------- faults, HTTP shape


async def test_N2_fail_next_answers_the_injected_status_then_recovers(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    state.fail_next(503, count=2)
    assert [(await post(client, ME)).status_code for _ in range(3)] == [503, 503, 200]
    assert state.stats()["requests"] == 3
    assert state.stats()["units"] == 1


async def test_N2_injected_429_carries_retry_after(client: httpx.AsyncClient, state: HardcoverState) -> None:
    state.fail_next(429, retry_after=7)
    response = await post(client, ME)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


async def test_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, headers={"Authorization": "Bearer hc_pat_alice"})
    assert response.status_code == 405


async def test_malformed_json_body_is_400(client: httpx.AsyncClient, state: HardcoverState) -> None:
    response = await client.post(
        URL,
        content=b"{not json",
        headers={"Authorization": "Bearer hc_pat_alice", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "invalid-json"
    assert state.stats()["rejected"] == 1


async def test_N3_validation_errors_are_http_200_with_errors(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ me { no_such_field } }")
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "validation-failed"
    assert "no_such_field" in body["errors"][0]["message"]


async def test_syntax_error_is_http_200_with_errors(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ me { id }")
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "validation-failed"


async def test_bad_date_variable_is_a_graphql_error(client: httpx.AsyncClient) -> None:
    query = "query Q($d: date) { user_books(where: {date_added: {_gt: $d}}) { id } }"
    response = await post(client, query, {"d": "01/02/2026"})
    assert response.status_code == 200
    assert "invalid date" in response.json()["errors"][0]["message"]


async def test_variables_fragments_aliases_typename_and_operation_name(client: httpx.AsyncClient) -> None:
    query = """
    query Other { me { id } }
    query Lookup($isbns: [String!]!) {
      found: editions(where: {isbn_13: {_in: $isbns}}) { ...Ed __typename book { ... on books { title } } }
    }
    fragment Ed on editions { id pages }
    """
    response = await client.post(
        URL,
        json={"query": query, "variables": {"isbns": ["9780593135204"]}, "operationName": "Lookup"},
        headers={"Authorization": "Bearer hc_pat_alice"},
    )
    assert response.json() == {
        "data": {
            "found": [
                {"id": 1001, "pages": 496, "__typename": "editions", "book": {"title": "Project Hail Mary"}}
            ]
        }
    }


# ---------------------------------------------------------------- state controls


async def test_stats_count_requests_units_writes_and_rejections(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    await post(client, "{ a: me { id } b: books(limit: 1) { id } }")
    await post(client, "mutation { update_user_book(id: 5000, object: {rating: 4}) { id error } }")
    await post(client, ME, token="hc_pat_nobody")
    stats = state.stats()
    assert {k: stats[k] for k in ("requests", "units", "writes", "rate_limited", "rejected")} == {
        "requests": 3,
        "units": 3,
        "writes": 1,
        "rate_limited": 0,
        "rejected": 1,
    }
    assert stats["per_token"]["alice"] == {
        "requests": 2,
        "units": 3,
        "writes": 1,
        "rate_limited": 0,
        "rejected": 0,
        "depth_refused": 0,
    }
    json.dumps(stats)  # JSON-able
    assert "hc_pat_alice" not in json.dumps(stats)


async def test_reset_restores_the_fixture_and_zeroes_counters(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    before = state.snapshot()
    state.limits.burst = 1
    state.fail_next(500, count=5)
    await post(client, ME)
    state.reset()
    await post(client, "mutation { delete_user_book(id: 5000) { id } }")
    assert state.snapshot() != before
    state.reset()
    assert state.snapshot() == before
    assert state.stats()["requests"] == 0
    assert state.limits.burst == 10
    assert (await post(client, ME)).status_code == 200  # the injected faults are gone too


def test_snapshot_is_in_fixture_format_and_loads_back(state: HardcoverState) -> None:
    snap = state.snapshot()
    json.dumps(snap)
    alice_reading = next(ub for ub in snap["user_books"] if ub["id"] == 5000)
    assert alice_reading["reads"] == [
        {
            "id": 7000,
            "edition_id": 1000,
            "started_at": "2026-01-02",
            "finished_at": None,
            "paused_at": None,
            "progress_pages": None,
            "progress_seconds": 29000,
            "finished_at_precision": None,
        }
    ]
    assert next(b for b in snap["books"] if b["id"] == 101)["series"] == [{"series_id": 5, "position": 1}]
    assert HardcoverState.from_fixture(copy.deepcopy(snap)).snapshot() == snap


@pytest.mark.parametrize(
    ("mutate", "place"),
    [
        (lambda s: s.pop("users"), "hardcover.users"),
        (lambda s: s["users"][0].pop("token"), "hardcover.users[0].token"),
        (lambda s: s["books"][1].update(author_ids=[99]), "hardcover.books[1].author_ids[0]"),
        (lambda s: s["editions"][0].update(book_id=999), "hardcover.editions[0].book_id"),
        (lambda s: s["editions"][0].update(pages="many"), "hardcover.editions[0].pages"),
        (
            lambda s: s["user_books"][0]["reads"][0].update(started_at="yesterday"),
            "hardcover.user_books[0].reads[0].started_at",
        ),
        (lambda s: s["user_books"][0].update(colour="red"), "hardcover.user_books[0].colour"),
        (lambda s: s["limits"].update(burst=-1), "hardcover.limits.burst"),
        (lambda s: s.update(today="soon"), "hardcover.today"),
    ],
)
def test_S3_malformed_fixture_names_the_bad_key(mutate: Any, place: str) -> None:
    section = sample_section()
    mutate(section)
    with pytest.raises(ValueError, match=re.escape(place)):
        HardcoverState.from_fixture(section)


def test_today_defaults_to_the_clock_utc_date(clock: FakeClock) -> None:
    section = sample_section()
    section.pop("today")
    state = HardcoverState.from_fixture(section, clock=clock)
    assert state.today() == "2026-11-26"
    clock.advance(12 * 3600)
    assert state.today() == "2026-11-27"
