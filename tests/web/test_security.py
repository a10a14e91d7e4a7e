"""Hostile clients: keys in query strings, sign-in guessing, framing and sniffing, stolen session cookies,
and the API's answers for unknown users and overlapping runs (S1, S2)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field

import httpx
import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bookrelay.redact import uvicorn_log_config
from bookrelay.service.scheduler import SchedulerService
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.web import create_app
from bookrelay.web.security import SIGN_IN_TRIES_OVERALL, SIGN_IN_TRIES_PER_ADDRESS, SignInThrottle
from tests.service.served import served
from tests.web.conftest import API_KEY, PASSWORD, StandInRunner, Web, web_config


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


async def try_sign_in(client: httpx.AsyncClient, secret: str) -> httpx.Response:
    token = csrf_of((await client.get("/login")).text)
    return await client.post("/login", data={"secret": secret, "csrf_token": token, "next": "/"})


def client_from(web: Web, address: str, base_url: str = "http://t") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=web.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


# -- S1: keys never reach a log -------------------------------------------------------------------------


async def test_S1_a_key_in_a_query_string_never_reaches_the_access_or_error_log(
    web: Web, capfd: pytest.CaptureFixture[str]
) -> None:
    wrong = "wrong-key-sent-by-a-client-4242"
    server_logs = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access", "uvicorn.error")]
    before = [(lg.handlers[:], lg.filters[:], lg.propagate, lg.level) for lg in server_logs]
    try:
        # The logging configuration `bookrelay serve` hands to uvicorn.
        async with served(web.app, log_config=uvicorn_log_config(), log_level="info") as base:
            async with httpx.AsyncClient(base_url=base) as client:
                for key in (wrong, API_KEY):
                    answer = await client.get(f"/api/v1/runs?api_key={key}&user_id=alice")
                    assert answer.status_code == 401  # a key in the query is refused, whatever it is
                ok = await client.get(f"/api/v1/users?token={API_KEY}", headers={"X-Api-Key": API_KEY})
                assert ok.status_code == 200
            logging.getLogger("uvicorn.error").error("client sent /x?api_key=%s", wrong)
    finally:
        for lg, (handlers, filters, propagate, level) in zip(server_logs, before, strict=True):
            lg.handlers[:], lg.filters[:], lg.propagate, lg.level = handlers, filters, propagate, level
    out, err = capfd.readouterr()
    logged = out + err
    assert "GET /api/v1/runs?api_key=***&user_id=alice" in logged  # the request line is logged, masked
    assert "/api/v1/users?token=***" in logged and "client sent /x?api_key=***" in logged
    assert wrong not in logged and API_KEY not in logged


# -- S2: sign-in throttle -------------------------------------------------------------------------------


async def test_S2_sign_in_is_throttled_per_address_even_for_the_right_secret(web: Web) -> None:
    async with client_from(web, "203.0.113.7") as guesser, client_from(web, "198.51.100.2") as other:
        for _ in range(SIGN_IN_TRIES_PER_ADDRESS):
            assert (await try_sign_in(guesser, "guess")).status_code == 401
        refused = await try_sign_in(guesser, API_KEY)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many wrong tries" in refused.text
        assert (await guesser.get("/", follow_redirects=False)).status_code == 303  # not signed in
        # Another address is not held back by this one's guesses.
        assert (await try_sign_in(other, PASSWORD)).status_code == 303


async def test_S2_sign_in_is_throttled_overall_across_addresses(web: Web) -> None:
    for i in range(SIGN_IN_TRIES_OVERALL):
        async with client_from(web, f"192.0.2.{i + 1}") as client:
            assert (await try_sign_in(client, f"guess-{i}")).status_code == 401
    async with client_from(web, "192.0.2.200") as fresh:
        refused = await try_sign_in(fresh, API_KEY)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


async def test_S2_the_throttle_lets_an_address_try_again_when_its_window_has_room(web: Web) -> None:
    web.app.state.web.sign_in_throttle = SignInThrottle(per_address=2, overall=100, window_seconds=1)
    async with client_from(web, "203.0.113.9") as client:
        for _ in range(2):
            assert (await try_sign_in(client, "guess")).status_code == 401
        assert (await try_sign_in(client, API_KEY)).status_code == 429
        await asyncio.sleep(1.2)
        assert (await try_sign_in(client, API_KEY)).status_code == 303


# -- S2: headers, cookie, sign-out ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/login", "/api/v1/runs", "/api/v1/openapi.json", "/static/style.css", "/healthz"]
)
async def test_S2_security_headers_on_every_page_and_api_answer(web: Web, path: str) -> None:
    answer = await web.client.get(path, headers=web.key)
    assert answer.status_code == 200
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe" not in policy


async def test_S2_the_page_policy_fits_the_pages_own_script_and_styles(web: Web) -> None:
    page = await web.client.get("/login")
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    # Everything the page loads is on this site; htmx is told not to add its inline indicator style.
    assert re.findall(r'<script src="([^"]+)"', page.text) == ["/static/htmx.min.js"]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text) == ["/static/style.css"]
    assert "<style" not in page.text and " style=" not in page.text and "<script>" not in page.text
    assert '"includeIndicatorStyles": false' in page.text
    docs = await web.client.get("/api/v1/docs")  # FastAPI's API browser has a looser policy of its own
    assert "https://cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]


def session_cookie(answer: httpx.Response) -> str:
    (cookie,) = [v for k, v in answer.headers.multi_items() if k == "set-cookie" and "bookrelay_session" in v]
    return cookie


async def test_S2_the_session_cookie_is_secure_over_https_and_not_over_plain_http(web: Web) -> None:
    async with client_from(web, "127.0.0.1", "https://bookrelay.example") as https:
        assert "secure" in session_cookie(await https.get("/login")).lower()
    async with client_from(web, "127.0.0.1", "http://bookrelay.example") as http:
        assert "secure" not in session_cookie(await http.get("/login")).lower()


@pytest.mark.parametrize(("client_host", "secure"), [("127.0.0.1", True), ("203.0.113.5", False)])
async def test_S2_behind_a_trusted_proxy_that_says_https_the_cookie_is_secure(
    store: Store, client_host: str, secure: bool
) -> None:
    app = create_app(web_config(), store, runner=StandInRunner(store))
    # As `bookrelay serve` runs it: uvicorn believes X-Forwarded-Proto from global.server.trusted_proxies.
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=",".join(web_config().global_.server.trusted_proxies))
    transport = httpx.ASGITransport(app=proxied, client=(client_host, 5000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8080") as client:
        answer = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert ("secure" in session_cookie(answer).lower()) is secure


async def test_S2_secure_cookie_always_marks_it_over_plain_http(store: Store) -> None:
    app = create_app(web_config(secure_cookie="always"), store, runner=StandInRunner(store))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert "secure" in session_cookie(await client.get("/login")).lower()


async def test_S2_signing_out_ends_the_session_on_the_server(web: Web) -> None:
    assert (await try_sign_in(web.client, API_KEY)).status_code == 303
    saved = web.client.cookies["bookrelay_session"]
    dashboard = await web.client.get("/")
    assert dashboard.status_code == 200
    assert (await web.client.post("/logout", data={"csrf_token": csrf_of(dashboard.text)})).status_code == 303
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web.app), base_url="http://t") as thief:
        thief.cookies.set("bookrelay_session", saved)
        replay = await thief.get("/", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


# -- API status codes ---------------------------------------------------------------------------------------


async def test_S2_an_unknown_user_in_the_api_is_404(web: Web) -> None:
    for path in (
        "/api/v1/users/nobody/status",
        "/api/v1/users/nobody/history",
        "/api/v1/links?user_id=nobody",
    ):
        answer = await web.client.get(path, headers=web.key)
        assert answer.status_code == 404, path
        assert answer.json()["error"] == "NotFound" and "'nobody'" in answer.json()["message"]


@dataclass
class SlowRunner:
    """A runner the scheduler can reserve runs with; each run waits until released."""

    store: Store
    release: asyncio.Event = field(default_factory=asyncio.Event)
    runs: list[int] = field(default_factory=list)

    def reserve(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        return self.store.runs.queue(user_id, job, dry_run=dry_run).id

    async def __call__(
        self, user_id: str, job: str, *, dry_run: bool = False, run_id: int | None = None
    ) -> int:
        assert run_id is not None
        self.store.runs.begin(run_id)
        await self.release.wait()
        self.store.runs.finish(run_id, RunStatus.OK, {}, units=0)
        self.runs.append(run_id)
        return run_id


async def test_S2_with_the_scheduler_a_second_trigger_while_a_run_is_going_is_409(store: Store) -> None:
    runner = SlowRunner(store)
    scheduler = SchedulerService(entries=[], runner=runner)
    app = create_app(web_config(), store, runner=runner, scheduler=scheduler)
    key = {"X-Api-Key": API_KEY}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        first = await client.post("/api/v1/runs", json={"user_id": "alice"}, headers=key)
        assert first.status_code == 202
        second = await client.post("/api/v1/runs", json={"user_id": "alice"}, headers=key)
        assert second.status_code == 409 and second.json()["error"] == "RunInProgress"
        other = await client.post("/api/v1/runs", json={"user_id": "bob"}, headers=key)
        assert other.status_code == 202  # another user's run is not held back
        runner.release.set()
        await scheduler.wait_idle()
        started = time.monotonic()
        again = await client.post("/api/v1/runs", json={"user_id": "alice"}, headers=key)
        assert again.status_code == 202 and time.monotonic() - started < 5
        await scheduler.wait_idle()
    assert sorted(runner.runs) == sorted(
        [first.json()["run_id"], other.json()["run_id"], again.json()["run_id"]]
    )
