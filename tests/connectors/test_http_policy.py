"""The one HTTP policy (connectors/http.py), shown once through ``httpx.MockTransport``: what is retried
(N2), Retry-After and RateLimit headers, backoff with jitter under one cap, time-outs and User-Agent; and
that every connector's session applies the same N2 rule to writes.

Each connector's own tests keep showing its quirks (auth, paging, Hardcover's unit budget).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.hardcover.session import AmbiguousWrite, HardcoverSession
from bookrelay.connectors.http import (
    BACKOFF_CAP,
    DEFAULT_TIMEOUT,
    MAX_WAIT,
    NOT_SENT,
    USER_AGENT,
    Retry,
    RetryPolicy,
    may_retry_status,
    may_retry_transport,
    new_client,
    parse_rate_limit_headers,
    retry_after,
    send_with_retries,
    transport_error,
)
from bookrelay.errors import BookrelayError, RateLimited, ServiceUnavailable

Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def script(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that plays ``steps`` in order (an exception is raised), repeating the last one."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        step = steps[min(len(seen), len(steps) - 1)]
        seen.append(request)
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


async def get_json(http: httpx.AsyncClient, *, write: bool = False) -> Any:
    """One attempt of a minimal client written against the policy, as each session is."""
    try:
        response = await http.post("http://svc/x") if write else await http.get("http://svc/x")
    except httpx.TransportError as exc:
        error = transport_error(exc, "x", service="svc")
        if not may_retry_transport(exc, write=write):
            raise error from None
        raise Retry(error) from None
    if may_retry_status(response.status_code, write=write):
        wait = retry_after(response.headers)
        raise Retry(RateLimited("x: 429", service="svc", retry_after=wait), wait)
    return response.json()


async def run(handler: Handler, *, write: bool = False, **policy: Any) -> tuple[Any, Sleeps]:
    sleeps = Sleeps()
    async with new_client(httpx.MockTransport(handler)) as http:
        result = await send_with_retries(
            lambda: get_json(http, write=write),
            RetryPolicy(jitter=random.Random(7).random, **policy),
            sleep=sleeps,
            what="svc x",
        )
    return result, sleeps


# -- what is retried ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_N2_a_read_is_retried_after_a_passing_status(status: int) -> None:
    handler, seen = script(httpx.Response(status), httpx.Response(200, json={"ok": True}))
    result, sleeps = await run(handler)
    assert result == {"ok": True} and len(seen) == 2 and len(sleeps.calls) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")],
    ids=["connect", "read-timeout", "cut"],
)
async def test_N2_a_read_is_retried_after_any_transport_failure(failure: Exception) -> None:
    handler, seen = script(failure, httpx.Response(200, json={"ok": True}))
    result, _ = await run(handler)
    assert result == {"ok": True} and len(seen) == 2


@pytest.mark.parametrize(
    ("status", "retried"), [(429, True), (503, True), (500, False), (502, False), (504, False), (408, False)]
)
def test_N2_a_write_is_resent_only_after_a_status_that_says_it_did_not_happen(
    status: int, retried: bool
) -> None:
    assert may_retry_status(status, write=True) is retried
    assert may_retry_status(status, write=False) is True


@pytest.mark.parametrize(
    ("failure", "not_sent"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("no connection"), True),
        (httpx.PoolTimeout("no free connection"), True),
        (httpx.ReadTimeout("no answer"), False),
        (httpx.WriteTimeout("half sent"), False),
        (httpx.RemoteProtocolError("cut mid-answer"), False),
    ],
)
def test_N2_the_one_set_of_failures_that_mean_surely_not_sent(failure: Exception, not_sent: bool) -> None:
    assert isinstance(failure, NOT_SENT) is not_sent
    assert may_retry_transport(failure, write=True) is not_sent
    assert may_retry_transport(failure, write=False) is True


async def test_N2_a_write_is_not_resent_after_a_read_timeout() -> None:
    handler, seen = script(httpx.ReadTimeout("no answer"), httpx.Response(200, json={"ok": True}))
    with pytest.raises(ServiceUnavailable, match="timed out"):
        await run(handler, write=True)
    assert len(seen) == 1


async def test_N2_retries_run_out_into_the_last_error() -> None:
    handler, seen = script(httpx.Response(503))
    with pytest.raises(RateLimited):
        await run(handler, max_retries=2)
    assert len(seen) == 3


# -- headers ------------------------------------------------------------------------------------------


async def test_N2_retry_after_replaces_the_backoff() -> None:
    handler, _ = script(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={}))
    _, sleeps = await run(handler)
    assert sleeps.calls == [7.0]


async def test_N2_a_retry_after_beyond_the_longest_wait_is_reported_not_slept() -> None:
    wait = MAX_WAIT + 1
    handler, seen = script(httpx.Response(429, headers={"Retry-After": str(wait)}))
    with pytest.raises(RateLimited) as caught:
        await run(handler)
    assert caught.value.retry_after == wait and len(seen) == 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("nan", None),
        (None, None),
    ],
)
def test_N2_retry_after_is_read_in_seconds_only(value: str | None, seconds: float | None) -> None:
    headers = httpx.Headers({"Retry-After": value} if value is not None else {})
    assert retry_after(headers) == seconds


def test_N1_ratelimit_headers_give_both_windows() -> None:
    info = parse_rate_limit_headers(
        httpx.Headers(
            {
                "RateLimit": '"Free";r=8;t=42, "daily";r=4990;t=3600',
                "RateLimit-Policy": '"Free";q=60;w=60;burst=10, "daily";q=5000;w=86400',
            }
        )
    )
    assert (info.minute.remaining, info.minute.reset_in, info.minute.quota, info.minute.burst) == (
        8,
        42,
        60,
        10,
    )
    assert (info.daily.remaining, info.daily.reset_in, info.daily.quota) == (4990, 3600, 5000)
    assert parse_rate_limit_headers(httpx.Headers({"RateLimit": "garbage;;=,"})).minute.remaining is None


# -- backoff, time-outs, User-Agent ---------------------------------------------------------------------


def test_N2_backoff_doubles_with_jitter_under_one_cap() -> None:
    policy = RetryPolicy(backoff_base=1.0, jitter=random.Random(42).random)
    for attempt in range(12):
        ceiling = min(BACKOFF_CAP, 2.0**attempt)
        assert ceiling / 2 <= policy.backoff(attempt) <= ceiling
    assert RetryPolicy(jitter=lambda: 0.0).backoff(0) == 0.5
    assert RetryPolicy(jitter=lambda: 0.999).backoff(99) <= BACKOFF_CAP


async def test_every_request_carries_the_user_agent_and_the_default_time_outs() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with new_client(httpx.MockTransport(handler)) as http:
        await http.get("http://svc/x")
    assert seen[0].headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("bookrelay/")
    assert seen[0].extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


# -- every connector applies the same N2 rule to writes --------------------------------------------------

HARDCOVER_WRITE = (
    "mutation W($id: Int!, $o: DatesReadInput!) "
    "{ w0: update_user_book_read(id: $id, object: $o) { id error user_book_read { id } } }"
)
HARDCOVER_DONE = {"data": {"w0": {"id": 1, "error": None, "user_book_read": {"id": 1}}}}


async def write_hardcover(transport: httpx.MockTransport, sleeps: Sleeps) -> None:
    async with httpx.AsyncClient(transport=transport) as http:
        session = HardcoverSession(http, "hc_pat_policy", sleep=sleeps, rng=random.Random(1))
        await session.execute(HARDCOVER_WRITE, {"id": 1, "o": {"progress_pages": 3}})


async def write_bookshelf(transport: httpx.MockTransport, sleeps: Sleeps) -> None:
    async with httpx.AsyncClient(transport=transport) as http:
        session = BookshelfSession(http, "bs-policy-key", url="http://bs", sleep=sleeps, rng=random.Random(1))
        await session.request("POST", "/book", json={"title": "Dune"})


async def write_audiobookshelf(transport: httpx.MockTransport, sleeps: Sleeps) -> None:
    async with AbsSession(
        "http://abs", api_key="abs-policy-key", transport=transport, sleep=sleeps
    ) as session:
        await session.patch("/api/me/progress/li_1", {"progress": 0.5}, call="progress")


WRITERS = {"hardcover": write_hardcover, "bookshelf": write_bookshelf, "audiobookshelf": write_audiobookshelf}
ANSWERS = {"hardcover": HARDCOVER_DONE, "bookshelf": {"id": 1}, "audiobookshelf": {}}


@pytest.mark.parametrize("connector", sorted(WRITERS))
@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("no connection"), httpx.PoolTimeout("no free")],
    ids=["connect-error", "connect-timeout", "pool-timeout"],
)
async def test_N2_every_connector_resends_a_write_that_surely_was_not_sent(
    connector: str, failure: Exception
) -> None:
    handler, seen = script(failure, httpx.Response(200, json=ANSWERS[connector]))
    sleeps = Sleeps()
    await WRITERS[connector](httpx.MockTransport(handler), sleeps)
    assert len(seen) == 2 and len(sleeps.calls) == 1


@pytest.mark.parametrize("connector", sorted(WRITERS))
async def test_N2_every_connector_keeps_a_write_that_may_have_happened(connector: str) -> None:
    handler, seen = script(httpx.ReadTimeout("no answer"), httpx.Response(200, json=ANSWERS[connector]))
    sleeps = Sleeps()
    with pytest.raises(BookrelayError) as caught:
        await WRITERS[connector](httpx.MockTransport(handler), sleeps)
    assert isinstance(caught.value, ServiceUnavailable)
    assert connector != "hardcover" or isinstance(caught.value, AmbiguousWrite)
    assert len(seen) == 1 and sleeps.calls == []
