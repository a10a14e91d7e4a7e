"""HardcoverSession: auth header, pacing and budget (N1), retries (N2), error mapping (N3, N4), secrets (S1).

Answers use the wire shapes of ref/hardcover.md §2 and §3 through ``httpx.MockTransport``; a fake clock and a
recording ``sleep`` replace real time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bookrelay.connectors.hardcover.session import (
    AmbiguousWrite,
    HardcoverSession,
    UnreadableWriteAnswer,
    normalise_token,
    outcome_unknown,
)
from bookrelay.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    QuotaExhausted,
    RateLimited,
    ServiceUnavailable,
)

TOKEN = "hc_pat_s3cr3tT0kenValue42"
ME = "query Me { me { id username name books_count } }"
ME_DATA = {"me": [{"id": 31899, "username": "alice", "name": "Alice", "books_count": 3}]}
WRITE = (
    "mutation W($id: Int!, $o: DatesReadInput!) "
    "{ w0: update_user_book_read(id: $id, object: $o) { id error user_book_read { id } } }"
)


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    """Records every wait and advances the fake clock by it, instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """A MockTransport handler answering from a script (responses or exceptions), recording requests."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer


def ok(data: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"data": data}, headers=headers)


def make(
    server: Server, **kwargs: Any
) -> tuple[HardcoverSession, FakeClock, RecordingSleep, httpx.AsyncClient]:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    kwargs.setdefault("rng", random.Random(7))
    session = HardcoverSession(http, kwargs.pop("token", TOKEN), clock=clock, sleep=sleep, **kwargs)
    return session, clock, sleep, http


# -- auth header -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [TOKEN, f"Bearer {TOKEN}", f"bearer  Bearer {TOKEN}\n", f"  BEARER {TOKEN} ", f"Bearer\t{TOKEN}\r\n"],
)
async def test_token_is_normalised_to_one_bearer_prefix(raw: str) -> None:
    server = Server(ok(ME_DATA))
    session, *_, http = make(server, token=raw)
    async with http:
        assert await session.execute(ME) == ME_DATA
    request = server.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("bookrelay/")
    assert json.loads(request.content) == {"query": ME, "variables": {}}


@pytest.mark.parametrize("raw", ["", "  \n", "Bearer ", "bearer bearer"])
def test_an_empty_token_is_a_config_error_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="MY_TOKEN"):
        normalise_token(raw, "MY_TOKEN")


# -- N1: top-level fields, pacing, budget ------------------------------------------------------------


async def test_N1_more_than_max_top_level_fields_is_refused_before_sending() -> None:
    server = Server(ok(ME_DATA))
    session, *_, http = make(server)
    document = "query { " + " ".join(f"m{i}: me {{ id }}" for i in range(6)) + " }"
    async with http:
        with pytest.raises(ValueError, match="6 top-level"):
            await session.execute(document)
    assert server.requests == []


async def test_N1_two_searches_in_one_request_are_refused_before_sending() -> None:
    server = Server(ok({}))
    session, *_, http = make(server)
    document = 'query { a: search(query: "x") { ids } b: search(query: "y") { ids } }'
    async with http:
        with pytest.raises(ValueError, match="search"):
            await session.execute(document)
    assert server.requests == []


async def test_N1_bucket_paces_a_burst_so_a_server_bucket_never_overflows() -> None:
    clock_box: list[FakeClock] = []
    state = {"tokens": 10.0, "stamp": 1000.0}

    def bucket_server(request: httpx.Request) -> httpx.Response:
        # The server's own bucket on the same clock: 10 burst, 1 a second.
        now = clock_box[0].now
        state["tokens"] = min(10.0, state["tokens"] + (now - state["stamp"]))
        state["stamp"] = now
        if state["tokens"] < 1 - 1e-9:
            return httpx.Response(429, json={"error": "Too Many Requests"}, headers={"Retry-After": "1"})
        state["tokens"] -= 1
        return ok(ME_DATA)

    server = Server(bucket_server)
    session, clock, sleep, http = make(server)
    clock_box.append(clock)
    async with http:
        for _ in range(30):
            await session.execute(ME)
    assert len(server.requests) == 30  # no 429 ever, so no retry
    assert len(sleep.calls) == 20  # the burst of 10 goes out at once
    assert sum(sleep.calls) == pytest.approx(20.0)  # the other 20 at one a second
    assert session.budget.requests_sent == 30
    assert session.budget.units_spent == 30


async def test_N1_ratelimit_header_resyncs_the_local_bucket() -> None:
    headers = {
        "RateLimit-Policy": '"Free";q=60;w=60;burst=10, "daily";q=5000;w=86400',
        "RateLimit": '"Free";r=0;t=42, "daily";r=4231;t=51234',
    }
    server = Server(ok(ME_DATA, headers))
    session, _, sleep, http = make(server)
    async with http:
        await session.execute(ME)
        assert sleep.calls == []
        await session.execute(ME)  # the server said nothing is left: wait one refill
    assert sleep.calls == [pytest.approx(1.0)]
    assert session.budget.minute_remaining == 0
    assert session.budget.daily_limit == 5000
    assert session.budget.daily_remaining == 4231


async def test_N1_policy_header_adopts_a_bigger_burst() -> None:
    headers = {"RateLimit-Policy": '"Supporter";q=60;w=60;burst=15, "daily";q=50000;w=86400'}
    server = Server(ok(ME_DATA, headers))
    session, clock, sleep, http = make(server)
    async with http:
        await session.execute(ME)
        clock.now += 60  # refill completely
        for _ in range(15):
            await session.execute(ME)
    assert sleep.calls == []
    assert session.budget.daily_limit == 50000


async def test_N1_legacy_headers_are_read_too() -> None:
    headers = {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "7",
        "X-RateLimit-Daily-Limit": "5000",
        "X-RateLimit-Daily-Remaining": "12",
    }
    server = Server(ok(ME_DATA, headers))
    session, *_, http = make(server)
    async with http:
        await session.execute(ME)
    assert session.budget.minute_remaining == 7
    assert session.budget.daily_remaining == 12
    assert session.budget.daily_limit == 5000


async def test_N1_spent_daily_budget_stops_before_sending_with_resets_in() -> None:
    headers = {"RateLimit": '"Free";r=9;t=1, "daily";r=1;t=600'}
    server = Server(ok(ME_DATA, headers))
    session, clock, _, http = make(server)
    two = "query { a: me { id } b: me { id } }"
    async with http:
        await session.execute(ME)  # leaves 1 unit after the header said 1 before our local decrement
        clock.now += 100
        with pytest.raises(QuotaExhausted) as caught:
            await session.execute(two)
    assert len(server.requests) == 1
    assert caught.value.resets_in == pytest.approx(500.0)
    assert "HARDCOVER_TOKEN" in str(caught.value)


async def test_N1_local_daily_limit_holds_without_headers() -> None:
    server = Server(ok(ME_DATA))
    session, *_, http = make(server, daily=3)
    async with http:
        for _ in range(3):
            await session.execute(ME)
        with pytest.raises(QuotaExhausted):
            await session.execute(ME)
    assert len(server.requests) == 3


async def test_N1_429_with_daily_remaining_zero_is_quota_exhausted_not_retried() -> None:
    server = Server(
        httpx.Response(
            429,
            json={"error": "Too Many Requests", "message": "daily limit"},
            headers={"Retry-After": "30", "RateLimit": '"Free";r=5;t=5, "daily";r=0;t=3600'},
        )
    )
    session, _, sleep, http = make(server)
    async with http:
        with pytest.raises(QuotaExhausted) as caught:
            await session.execute(ME)
    assert len(server.requests) == 1
    assert sleep.calls == []
    assert caught.value.resets_in == 3600


# -- N2: retries --------------------------------------------------------------------------------------


async def test_N2_read_honours_retry_after_on_429() -> None:
    server = Server(
        httpx.Response(429, json={"error": "Too Many Requests"}, headers={"Retry-After": "3"}),
        ok(ME_DATA),
    )
    session, _, sleep, http = make(server)
    async with http:
        assert await session.execute(ME) == ME_DATA
    assert len(server.requests) == 2
    assert 3.0 in sleep.calls


UNREADABLE = [
    httpx.Response(
        200, text="<html><body>502 Bad Gateway</body></html>", headers={"Content-Type": "text/html"}
    ),
    httpx.Response(200, text='{"data": {"me": [{"id": 1'),
    httpx.Response(200, json=["not", "an", "object"]),
]
UNREADABLE_IDS = ["html-page", "truncated-json", "not-object"]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, text="unavailable"),
        httpx.Response(500, text="boom"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(504, text="gateway timeout"),
        httpx.Response(408, json={"error": "Request timeout"}),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
        # A proxy's HTML page or a cut-off body with status 200 is as passing as a 5xx.
        *UNREADABLE,
    ],
    ids=["503", "500", "502", "504", "408", "read-timeout", "connect-error", "broken", *UNREADABLE_IDS],
)
async def test_N2_read_retries_transient_failures(failure: httpx.Response | Exception) -> None:
    server = Server(failure, ok(ME_DATA))
    session, _, sleep, http = make(server)
    async with http:
        assert await session.execute(ME) == ME_DATA
    assert len(server.requests) == 2
    assert len(sleep.calls) == 1
    assert 0.5 <= sleep.calls[0] <= 1.0  # first backoff step: base 1 s with jitter in [50 %, 100 %]


async def test_N2_backoff_grows_with_seeded_jitter_and_gives_up() -> None:
    sleeps: list[list[float]] = []
    for _ in range(2):
        server = Server(httpx.Response(503, text="down"))
        session, _, sleep, http = make(server, max_retries=4, rng=random.Random(42))
        async with http:
            with pytest.raises(ServiceUnavailable, match="503"):
                await session.execute(ME)
        assert len(server.requests) == 5
        sleeps.append(sleep.calls)
    assert sleeps[0] == sleeps[1]  # same seed, same jitter
    for step, delay in enumerate(sleeps[0]):
        assert 2**step * 0.5 <= delay <= 2**step


async def test_N2_read_429_retries_run_out_into_rate_limited() -> None:
    server = Server(httpx.Response(429, json={"error": "Too Many Requests"}, headers={"Retry-After": "2"}))
    session, _, sleep, http = make(server, max_retries=2)
    async with http:
        with pytest.raises(RateLimited) as caught:
            await session.execute(ME)
    assert caught.value.retry_after == 2
    assert sleep.calls.count(2.0) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(429, json={"error": "Too Many Requests"}, headers={"Retry-After": "1"}),
        httpx.Response(503, text="unavailable"),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no connect"),
    ],
    ids=["429", "503", "connect-error", "connect-timeout"],
)
async def test_N2_write_retries_only_failures_that_surely_did_not_happen(
    failure: httpx.Response | Exception,
) -> None:
    answer = {"w0": {"id": 7000, "error": None, "user_book_read": {"id": 7000}}}
    server = Server(failure, ok(answer))
    session, *_, http = make(server)
    async with http:
        assert await session.execute(WRITE, {"id": 7000, "o": {}}, write=True) == answer
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, text="boom"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(504, text="gateway timeout"),
        httpx.Response(408, json={"error": "Request timeout"}),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=["500", "502", "504", "408", "read-timeout", "broken-after-send"],
)
async def test_N2_ambiguous_write_failure_is_not_retried(failure: httpx.Response | Exception) -> None:
    server = Server(failure, ok({"w0": {"id": 1, "error": None}}))
    session, _, sleep, http = make(server)
    async with http:
        with pytest.raises(AmbiguousWrite) as caught:
            await session.execute(WRITE, {"id": 7000, "o": {}})  # a mutation is a write even unflagged
    assert len(server.requests) == 1
    assert sleep.calls == []
    assert isinstance(caught.value, ServiceUnavailable)
    assert outcome_unknown(caught.value)
    assert "re-read" in str(caught.value)


# -- N3: in-band failures -------------------------------------------------------------------------------


async def test_N3_graphql_errors_array_is_bad_response_with_the_messages() -> None:
    body = {
        "errors": [
            {"message": "invalid input syntax for type integer", "extensions": {"code": "data-exception"}}
        ]
    }
    server = Server(httpx.Response(200, json=body))
    session, *_, http = make(server)
    async with http:
        with pytest.raises(BadResponse, match="invalid input syntax") as caught:
            await session.execute(ME)
    assert "Me" in str(caught.value)
    assert len(server.requests) == 1


async def test_N3_mutation_error_field_is_a_failure_never_a_success() -> None:
    answer = {"w0": {"id": 999999999, "error": "Record not found. Was it deleted?", "user_book_read": None}}
    server = Server(ok(answer))
    session, *_, http = make(server)
    async with http:
        with pytest.raises(BadResponse, match="Record not found"):
            await session.execute(WRITE, {"id": 1, "o": {}}, write=True)
        # Packed writes judge each result themselves.
        assert await session.execute(WRITE, {"id": 1, "o": {}}, write=True, partial=True) == answer


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"data": None}),
        httpx.Response(200, json={"data": {"other": 1}}),
    ],
    ids=["no-data", "missing-field"],
)
async def test_N3_malformed_answer_is_bad_response_naming_the_operation(response: httpx.Response) -> None:
    server = Server(response)
    session, *_, http = make(server)
    async with http:
        with pytest.raises(BadResponse, match="Me") as read_error:
            await session.execute(ME)
        with pytest.raises(UnreadableWriteAnswer, match="W") as write_error:
            await session.execute(WRITE, {"id": 1, "o": {}}, write=True)
    assert len(server.requests) == 2  # a well-formed GraphQL answer that lacks data is not retried
    assert not outcome_unknown(read_error.value)
    assert outcome_unknown(write_error.value)


@pytest.mark.parametrize("response", UNREADABLE, ids=UNREADABLE_IDS)
async def test_N2_retries_of_an_unreadable_read_run_out_into_bad_response_naming_it(
    response: httpx.Response,
) -> None:
    server = Server(response)
    session, *_, http = make(server, max_retries=2)
    async with http:
        with pytest.raises(BadResponse, match="Me: the answer is not") as caught:
            await session.execute(ME)
    assert len(server.requests) == 3
    assert not outcome_unknown(caught.value)
    if "html" in response.headers.get("content-type", ""):
        assert "HTML page" in str(caught.value)


@pytest.mark.parametrize("response", UNREADABLE, ids=UNREADABLE_IDS)
async def test_N2_a_write_answered_with_html_or_broken_json_is_ambiguous_and_not_resent(
    response: httpx.Response,
) -> None:
    server = Server(response, ok({"w0": {"id": 1, "error": None}}))
    session, _, sleep, http = make(server)
    async with http:
        with pytest.raises(UnreadableWriteAnswer, match="W") as caught:
            await session.execute(WRITE, {"id": 1, "o": {}}, write=True)
    assert len(server.requests) == 1 and sleep.calls == []
    assert outcome_unknown(caught.value)


# -- N4: auth -----------------------------------------------------------------------------------------------


async def test_N4_401_is_auth_error_naming_the_token_and_the_server_reason() -> None:
    body = {"error": "invalid_token", "error_description": "Invalid or expired token"}
    server = Server(httpx.Response(401, json=body))
    session, _, sleep, http = make(server, token_name="HC_ALICE")
    async with http:
        with pytest.raises(AuthError) as caught:
            await session.execute(ME)
    assert caught.value.token_name == "HC_ALICE"
    assert "invalid_token" in str(caught.value)
    assert "HC_ALICE" in str(caught.value)
    assert len(server.requests) == 1
    assert sleep.calls == []


async def test_N4_403_insufficient_scope_names_the_scope() -> None:
    body = {"error": "insufficient_scope", "scope": "write:library"}
    server = Server(httpx.Response(403, json=body))
    session, *_, http = make(server)
    async with http:
        with pytest.raises(AuthError) as caught:
            await session.execute(WRITE, {"id": 1, "o": {}}, write=True)
    assert caught.value.scope == "write:library"
    assert "missing scope: write:library" in str(caught.value)


async def test_N4_hidden_field_error_is_auth_error_with_the_needed_scope() -> None:
    body = {
        "errors": [
            {
                "message": "field 'me' not found in type: 'query_root'",
                "extensions": {"path": "$.selectionSet.me", "code": "validation-failed"},
            }
        ]
    }
    server = Server(httpx.Response(200, json=body))
    session, *_, http = make(server)
    async with http:
        with pytest.raises(AuthError) as caught:
            await session.execute(ME)
    assert caught.value.scope == "read:me:content"
    assert caught.value.token_name == "HARDCOVER_TOKEN"


async def test_N4_403_top_level_limit_is_our_bug_not_an_auth_error() -> None:
    body = {
        "errors": [
            {"message": "Too many top-level fields", "extensions": {"code": "top_level_limit_exceeded"}}
        ]
    }
    server = Server(httpx.Response(403, json=body))
    session, *_, http = make(server)
    async with http:
        with pytest.raises(BadResponse, match="bug"):
            await session.execute(ME)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            401, json={"error": "Malformed Authorization header", "message": f"got Bearer {TOKEN}"}
        ),
        httpx.Response(403, json={"error": "insufficient_scope", "scope": "read:library", "token": TOKEN}),
        httpx.Response(200, json={"errors": [{"message": f"bad token {TOKEN}"}]}),
        httpx.Response(500, text=f"crash with {TOKEN}"),
        httpx.Response(200, json={"data": {"w0": {"id": None, "error": f"no access for {TOKEN}"}}}),
    ],
    ids=["401", "403", "graphql", "500", "mutation-error"],
)
async def test_S1_token_never_appears_in_errors(response: httpx.Response) -> None:
    server = Server(response)
    session, *_, http = make(server, max_retries=0)
    async with http:
        with pytest.raises(Exception) as caught:
            await session.execute(WRITE, {"id": 1, "o": {}}, write=True)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value.args)
