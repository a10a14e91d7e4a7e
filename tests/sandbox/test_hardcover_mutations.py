"""The fake Hardcover's mutation actions: happy and error paths, and the status side effects (P11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.hardcover.mutations import NOT_FOUND
from bookrelay.sandbox.hardcover.sample import FakeClock, sample_section

READS = (
    "user_book_reads(order_by: {id: asc}) { id started_at finished_at progress_pages progress_seconds "
    "edition_id }"
)


@pytest.fixture
def state() -> HardcoverState:
    return HardcoverState.from_fixture(sample_section(), clock=FakeClock())


@pytest.fixture
async def client(state: HardcoverState) -> AsyncIterator[httpx.AsyncClient]:
    state.limits.burst = state.limits.daily = 1000
    transport = httpx.ASGITransport(app=build_hardcover_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://hardcover.test") as http:
        yield http


async def run(
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
    assert response.status_code == 200 and "errors" not in body, body  # business errors stay in-band (N3)
    return body["data"]


async def reads_of(client: httpx.AsyncClient, user_book_id: int) -> list[dict[str, Any]]:
    result = await run(client, f"{{ user_books(where: {{id: {{_eq: {user_book_id}}}}}) {{ {READS} }} }}")
    return result["user_books"][0]["user_book_reads"] if result["user_books"] else []


# ---------------------------------------------------------------- insert_user_book and its side effects


async def test_P11_insert_with_status_read_creates_a_finished_read_dated_today(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    query = f"""mutation Add($object: UserBookCreateInput!) {{
      insert_user_book(object: $object) {{ id error user_book {{ id book_id status_id edition_id date_added
        {READS} }} }}
    }}"""
    result = await run(client, query, {"object": {"book_id": 102, "status_id": 3, "edition_id": 1020}})
    answer = result["insert_user_book"]
    assert answer["error"] is None and answer["id"] == answer["user_book"]["id"]
    assert answer["user_book"]["date_added"] == "2026-11-26"
    [read] = answer["user_book"]["user_book_reads"]
    assert read["finished_at"] == "2026-11-26"
    assert read["started_at"] is None
    assert read["progress_seconds"] == 12000  # the audio edition's full length
    assert read["edition_id"] == 1020
    assert state.stats()["writes"] == 1


async def test_P11_insert_with_want_to_read_creates_no_read(client: httpx.AsyncClient) -> None:
    query = (
        "mutation { insert_user_book(object: {book_id: 102, status_id: 1}) { id error user_book { "
        "status_id } } }"
    )
    answer = (await run(client, query))["insert_user_book"]
    assert answer["user_book"] == {"status_id": 1}
    assert await reads_of(client, answer["id"]) == []


async def test_P11_insert_with_reading_opens_a_read_started_today(client: httpx.AsyncClient) -> None:
    query = "mutation { insert_user_book(object: {book_id: 102, status_id: 2, edition_id: 1020}) { id } }"
    user_book_id = (await run(client, query))["insert_user_book"]["id"]
    [read] = await reads_of(client, user_book_id)
    assert (read["started_at"], read["finished_at"], read["edition_id"]) == ("2026-11-26", None, 1020)


async def test_insert_user_book_error_paths(client: httpx.AsyncClient, state: HardcoverState) -> None:
    query = (
        "mutation Add($o: UserBookCreateInput!) { insert_user_book(object: $o) { id error user_book { id } "
        "} }"
    )
    unknown = (await run(client, query, {"o": {"book_id": 999}}))["insert_user_book"]
    assert unknown == {"id": None, "error": NOT_FOUND, "user_book": None}
    twice = (await run(client, query, {"o": {"book_id": 100, "status_id": 1}}))["insert_user_book"]
    assert twice["id"] is None and twice["user_book"] is None
    assert "already in your library" in twice["error"] and "5000" in twice["error"]
    wrong_edition = (await run(client, query, {"o": {"book_id": 102, "edition_id": 1000}}))[
        "insert_user_book"
    ]
    assert "not an edition of book 102" in wrong_edition["error"]
    bad_rating = (await run(client, query, {"o": {"book_id": 102, "rating": 4.2}}))["insert_user_book"]
    assert "rating" in bad_rating["error"]
    assert state.stats()["writes"] == 0


async def test_insert_for_a_book_only_another_user_has_works(client: httpx.AsyncClient) -> None:
    query = (
        "mutation { insert_user_book(object: {book_id: 101}) { id error user_book { user_id "
        "privacy_setting_id } } }"
    )
    answer = (await run(client, query, token="hc_pat_bob"))["insert_user_book"]
    assert answer["error"] is None
    assert answer["user_book"] == {"user_id": 2, "privacy_setting_id": 3}  # bob's account default


# ---------------------------------------------------------------- update_user_book and its side effects


async def test_P11_status_read_adopts_the_open_read_instead_of_adding_one(client: httpx.AsyncClient) -> None:
    query = (
        f"mutation {{ update_user_book(id: 5000, object: {{status_id: 3}}) {{ id error user_book {{ "
        f"{READS} }} }} }}"
    )
    answer = (await run(client, query))["update_user_book"]
    assert answer["error"] is None
    assert answer["user_book"]["user_book_reads"] == [
        {
            "id": 7000,
            "started_at": "2026-01-02",
            "finished_at": "2026-11-26",
            "progress_pages": None,
            "progress_seconds": 58000,
            "edition_id": 1000,
        }
    ]


async def test_P11_read_finished_first_then_status_read_adds_nothing(client: httpx.AsyncClient) -> None:
    query = """mutation {
      read: update_user_book_read(id: 7000, object: {finished_at: "2026-11-20", progress_seconds: 58000}) {
        error }
      status: update_user_book(id: 5000, object: {status_id: 3}) { error }
    }"""
    result = await run(client, query)
    assert result == {"read": {"error": None}, "status": {"error": None}}
    reads = await reads_of(client, 5000)
    assert [(r["id"], r["finished_at"]) for r in reads] == [(7000, "2026-11-20")]


async def test_P9_status_reading_after_a_finished_read_opens_a_new_read(client: httpx.AsyncClient) -> None:
    query = "mutation { update_user_book(id: 5001, object: {status_id: 2}) { error } }"
    assert (await run(client, query))["update_user_book"]["error"] is None
    reads = await reads_of(client, 5001)
    assert [(r["id"], r["started_at"], r["finished_at"]) for r in reads] == [
        (7001, "2025-06-01", "2025-06-09"),
        (7002, "2026-11-26", None),
    ]
    assert reads[1]["edition_id"] == 1011


async def test_P11_status_reading_with_an_open_read_adds_nothing(client: httpx.AsyncClient) -> None:
    await run(client, "mutation { update_user_book(id: 5000, object: {status_id: 2}) { error } }")
    assert [r["id"] for r in await reads_of(client, 5000)] == [7000]


async def test_P11_status_want_to_read_touches_no_read(client: httpx.AsyncClient) -> None:
    await run(client, "mutation { update_user_book(id: 5000, object: {status_id: 1}) { error } }")
    assert [(r["id"], r["finished_at"]) for r in await reads_of(client, 5000)] == [(7000, None)]


async def test_update_user_book_changes_only_given_fields(client: httpx.AsyncClient) -> None:
    query = (
        "mutation { update_user_book(id: 5001, object: {rating: 3.5}) { id error user_book { rating "
        "status_id edition_id } } }"
    )
    answer = (await run(client, query))["update_user_book"]
    assert answer == {
        "id": 5001,
        "error": None,
        "user_book": {"rating": 3.5, "status_id": 3, "edition_id": 1011},
    }
    cleared = "mutation { update_user_book(id: 5001, object: {rating: null}) { user_book { rating } } }"
    assert (await run(client, cleared))["update_user_book"]["user_book"] == {"rating": None}


async def test_update_user_book_of_another_user_is_not_found(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    query = "mutation { update_user_book(id: 5100, object: {status_id: 3}) { id error user_book { id } } }"
    assert (await run(client, query))["update_user_book"] == {
        "id": None,
        "error": NOT_FOUND,
        "user_book": None,
    }
    assert state.rows("user_books")[5100]["status_id"] == 1
    bad = "mutation { update_user_book(id: 5000, object: {status_id: 9}) { error } }"
    assert "status_id" in (await run(client, bad))["update_user_book"]["error"]


async def test_delete_user_book_removes_entry_and_reads(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    query = "mutation { delete_user_book(id: 5000) { id book_id user_id } }"
    assert (await run(client, query))["delete_user_book"] == {"id": 5000, "book_id": 100, "user_id": 1}
    assert 5000 not in state.rows("user_books") and 7000 not in state.rows("user_book_reads")
    again = (await run(client, query))["delete_user_book"]
    assert again == {"id": None, "book_id": None, "user_id": None}


# ---------------------------------------------------------------- reads


async def test_insert_user_book_read_happy_path_and_progress(client: httpx.AsyncClient) -> None:
    query = """mutation Start($id: Int!, $read: DatesReadInput!) {
      insert_user_book_read(user_book_id: $id, user_book_read: $read) {
        id error user_book_read { id progress progress_pages started_at finished_at edition_id } } }"""
    read = {"progress_pages": 124, "edition_id": 1001, "started_at": "2026-11-01"}
    answer = (await run(client, query, {"id": 5000, "read": read}))["insert_user_book_read"]
    assert answer["error"] is None
    assert answer["user_book_read"] == {
        "id": answer["id"],
        "progress": 25.0,
        "progress_pages": 124,
        "started_at": "2026-11-01",
        "finished_at": None,
        "edition_id": 1001,
    }


async def test_insert_read_without_dates_or_edition_uses_entry_edition_and_no_start(
    client: httpx.AsyncClient,
) -> None:
    query = (
        "mutation { insert_user_book_read(user_book_id: 5000, user_book_read: {progress_seconds: 100}) { "
        "user_book_read { started_at edition_id } } }"
    )
    answer = (await run(client, query))["insert_user_book_read"]
    assert answer["user_book_read"] == {"started_at": None, "edition_id": 1000}


async def test_insert_user_book_read_error_paths(client: httpx.AsyncClient) -> None:
    query = (
        "mutation($id: Int!) { insert_user_book_read(user_book_id: $id, user_book_read: {progress_pages: "
        "1}) { id error user_book_read { id } } }"
    )
    for foreign in (5100, 999):
        answer = (await run(client, query, {"id": foreign}))["insert_user_book_read"]
        assert answer == {"id": None, "error": NOT_FOUND, "user_book_read": None}
    negative = (
        "mutation { insert_user_book_read(user_book_id: 5000, user_book_read: {progress_pages: -5}) { "
        "error } }"
    )
    assert "negative" in (await run(client, negative))["insert_user_book_read"]["error"]


async def test_update_user_book_read_keeps_omitted_fields_and_clears_explicit_nulls(
    client: httpx.AsyncClient,
) -> None:
    query = """mutation Upd($id: Int!, $s: Int, $started: date, $finished: date) {
      update_user_book_read(id: $id, object: {progress_seconds: $s, started_at: $started, finished_at:
        $finished}) {
        id error user_book_read { progress_seconds started_at finished_at } } }"""
    # $started and $finished are not given: like omitted fields they keep their value
    kept = (await run(client, query, {"id": 7000, "s": 30000}))["update_user_book_read"]
    assert kept["user_book_read"] == {
        "progress_seconds": 30000,
        "started_at": "2026-01-02",
        "finished_at": None,
    }
    cleared = (await run(client, query, {"id": 7000, "s": 30000, "started": None}))["update_user_book_read"]
    assert cleared["user_book_read"]["started_at"] is None


async def test_update_and_delete_read_of_another_user_are_not_found(client: httpx.AsyncClient) -> None:
    update = "mutation { update_user_book_read(id: 7000, object: {progress_seconds: 1}) { id error } }"
    assert (await run(client, update, token="hc_pat_bob"))["update_user_book_read"] == {
        "id": None,
        "error": NOT_FOUND,
    }
    delete = "mutation { delete_user_book_read(id: 7000) { id error } }"
    assert (await run(client, delete, token="hc_pat_bob"))["delete_user_book_read"] == {
        "id": None,
        "error": NOT_FOUND,
    }


async def test_delete_user_book_read_happy_path(client: httpx.AsyncClient) -> None:
    query = "mutation { delete_user_book_read(id: 7000) { id error } }"
    assert (await run(client, query))["delete_user_book_read"] == {"id": 7000, "error": None}
    assert await reads_of(client, 5000) == []


async def test_upsert_user_book_reads_updates_by_id_and_inserts_the_rest(client: httpx.AsyncClient) -> None:
    query = f"""mutation Up($id: Int!, $dates: [DatesReadInput]!) {{
      upsert_user_book_reads(user_book_id: $id, datesRead: $dates) {{ error user_book_id user_book {{
        {READS} }} }} }}"""
    dates = [{"id": 7001, "finished_at": "2025-06-10"}, {"started_at": "2026-11-01", "progress_pages": 10}]
    answer = (await run(client, query, {"id": 5001, "dates": dates}))["upsert_user_book_reads"]
    assert answer["error"] is None and answer["user_book_id"] == 5001
    reads = answer["user_book"]["user_book_reads"]
    assert [(r["id"], r["started_at"], r["finished_at"]) for r in reads] == [
        (7001, "2025-06-01", "2025-06-10"),
        (7002, "2026-11-01", None),
    ]


async def test_upsert_with_a_foreign_read_id_changes_nothing(client: httpx.AsyncClient) -> None:
    query = """mutation { upsert_user_book_reads(user_book_id: 5001,
        datesRead: [{started_at: "2026-01-01"}, {id: 7000, finished_at: "2026-01-02"}]) { error
          user_book_id } }"""
    assert (await run(client, query))["upsert_user_book_reads"] == {"error": NOT_FOUND, "user_book_id": None}
    assert [r["id"] for r in await reads_of(client, 5001)] == [7001]


# ---------------------------------------------------------------- owned and lists


async def test_edition_owned_toggles_the_owned_list_and_the_flag(client: httpx.AsyncClient) -> None:
    query = "mutation { edition_owned(id: 1000) { id list_book { book_id edition_id list { name } } } }"
    added = (await run(client, query))["edition_owned"]
    assert added["list_book"] == {"book_id": 100, "edition_id": 1000, "list": {"name": "Owned"}}
    owned = "{ user_books(where: {id: {_eq: 5000}}) { owned owned_copies } }"
    assert (await run(client, owned))["user_books"] == [{"owned": True, "owned_copies": 1}]
    removed = (await run(client, query))["edition_owned"]
    assert removed == {"id": added["id"], "list_book": None}
    assert (await run(client, owned))["user_books"] == [{"owned": False, "owned_copies": 0}]
    unknown = "mutation { edition_owned(id: 999) { id list_book { id } } }"
    assert (await run(client, unknown))["edition_owned"] == {"id": None, "list_book": None}


async def test_insert_list_and_list_books(client: httpx.AsyncClient) -> None:
    create = (
        'mutation { insert_list(object: {name: "To Buy", privacy_setting_id: 2}) { id errors list { id '
        "name slug } } }"
    )
    made = (await run(client, create))["insert_list"]
    assert made["errors"] is None and made["list"]["slug"] == "to-buy"
    duplicate = (await run(client, create))["insert_list"]
    assert duplicate["id"] is None and duplicate["errors"] == ["Name has already been taken"]
    blank = (await run(client, 'mutation { insert_list(object: {name: " "}) { id errors } }'))["insert_list"]
    assert blank == {"id": None, "errors": ["Name can't be blank"]}
    add = (
        "mutation($o: ListBookInput!) { insert_list_book(object: $o) { id list_book { list_id book_id "
        "position } } }"
    )
    entry = (await run(client, add, {"o": {"list_id": made["id"], "book_id": 101}}))["insert_list_book"]
    assert entry["list_book"] == {"list_id": made["id"], "book_id": 101, "position": 1}
    refused = (await run(client, add, {"o": {"list_id": 2, "book_id": 101}}))["insert_list_book"]
    assert refused == {"id": None, "list_book": None}  # list 2 is bob's
    delete = "mutation($id: Int!) { delete_list_book(id: $id) { id list_id } }"
    assert (await run(client, delete, {"id": entry["id"]}))["delete_list_book"] == {
        "id": entry["id"],
        "list_id": made["id"],
    }
    assert (await run(client, delete, {"id": entry["id"]}))["delete_list_book"] == {
        "id": None,
        "list_id": None,
    }


async def test_N5_five_writes_in_one_request_all_apply(
    client: httpx.AsyncClient, state: HardcoverState
) -> None:
    query = (
        "mutation { "
        + " ".join(
            f"r{i}: update_user_book_read(id: 7000, object: {{progress_seconds: {1000 * (i + 1)}}}) {{ "
            f"error }}"
            for i in range(5)
        )
        + " }"
    )
    result = await run(client, query)
    assert all(answer["error"] is None for answer in result.values())
    assert state.rows("user_book_reads")[7000]["progress_seconds"] == 5000
    assert state.stats()["writes"] == 5 and state.stats()["units"] == 5
