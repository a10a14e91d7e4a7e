"""Hardcover OAuth (ref/hardcover.md §9): the device flow end to end against the fake, rotating refresh
tokens persisted (encrypted) before they are used again, renewal on 401, disconnect; on both backends."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select

from bookrelay.app import export_shelf, hardcover_connect, hardcover_disconnect
from bookrelay.connectors.hardcover.auth import DeviceAuthorization, OAuthClient
from bookrelay.errors import AuthError
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from bookrelay.store.models import Credential
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens
from tests.sync.scrobble_world import config_for, scrobble_world

CLIENT = "bookrelay-sandbox"


class Clock:
    """The sandbox's time; the flow's sleep moves it on instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Watching(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox; ``on_refresh`` sees each refresh token as it is presented."""

    def __init__(self, app: Any, on_refresh: Any = None) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.on_refresh = on_refresh

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token") and self.on_refresh is not None:
            form = parse_qs((await request.aread()).decode())
            if form.get("grant_type") == ["refresh_token"]:
                self.on_refresh(form["refresh_token"][0])
        return await self.inner.handle_async_request(request)


def _setup(clock: Clock | None = None) -> tuple[Sandbox, Any]:
    world = scrobble_world()
    world.book("Dune", "Frank Herbert", editions=[{"pages": 400, "reading_format_id": 1}])
    sandbox = build_sandbox(world.fixture(), clock=clock or Clock())
    data = config_for(world, auth="oauth", oauth_client_id=CLIENT, oauth_url="http://sandbox/hardcover-oauth")
    raw = data.model_dump(by_alias=True)
    raw["users"][0]["hardcover"] = {}  # no token: OAuth
    return sandbox, type(data).model_validate(raw)


async def _connect(sandbox: Sandbox, config: Any, store: Store, clock: Clock) -> str:
    shown: list[DeviceAuthorization] = []
    polls = 0

    async def sleep(seconds: float) -> None:
        nonlocal polls
        polls += 1
        clock.now += seconds
        if polls == 2:  # the user enters the code while bookrelay polls
            assert sandbox.hardcover_oauth.approve(shown[0].user_code, "alice")

    return await hardcover_connect(
        config, None, shown.append, transport=Watching(sandbox.app), store=store, sleep=sleep
    )


async def test_the_device_flow_connects_and_keeps_the_tokens_encrypted(store: Store) -> None:
    clock = Clock()
    sandbox, config = _setup(clock)
    assert await _connect(sandbox, config, store, clock) == "alice"
    tokens = StoredOAuthTokens(store.credentials, "alice").load()
    assert (
        tokens is not None
        and tokens.access_token.startswith("hc_at_")
        and tokens.refresh_token.startswith("hc_rt_")
    )
    with store.db.reading() as session:  # S1: only ciphertext in the table
        stored = " ".join(session.scalars(select(Credential.ciphertext)))
    assert tokens.refresh_token not in stored and tokens.access_token not in stored
    text = await export_shelf(config, None, "json", transport=Watching(sandbox.app), store=store)
    assert text.strip() == "[]"  # Hardcover answered with the OAuth access token


async def test_a_rotated_refresh_token_is_persisted_before_it_is_used_again(store: Store) -> None:
    clock = Clock()
    sandbox, config = _setup(clock)
    sandbox.hardcover_oauth.access_ttl = 30.0  # shorter than the refresh margin: every use refreshes
    await _connect(sandbox, config, store, clock)
    presented: list[str] = []

    def check(token: str) -> None:
        saved = StoredOAuthTokens(store.credentials, "alice").load()
        assert saved is not None and saved.refresh_token == token  # what is spent is what is stored
        presented.append(token)

    for _ in range(3):  # three separate processes, each loading the tokens from the store
        await export_shelf(config, None, "csv", transport=Watching(sandbox.app, check), store=store)
    # Every request refreshed (within a run and across runs); never one token twice.
    assert len(presented) >= 3 and len(set(presented)) == len(presented)
    assert sandbox.hardcover_oauth.stats()["reuse_revoked"] == 0


async def test_reusing_a_spent_refresh_token_revokes_the_chain(store: Store) -> None:
    clock = Clock()
    sandbox, config = _setup(clock)
    await _connect(sandbox, config, store, clock)
    first = StoredOAuthTokens(store.credentials, "alice").load()
    assert first is not None
    async with httpx.AsyncClient(transport=Watching(sandbox.app)) as http:
        client = OAuthClient(http, CLIENT, base_url="http://sandbox/hardcover-oauth")
        second = await client.refresh(first.refresh_token)
        with pytest.raises(AuthError, match="refused"):
            await client.refresh(first.refresh_token)  # reuse
        with pytest.raises(AuthError):
            await client.refresh(second.refresh_token)  # the whole chain is gone
    assert sandbox.hardcover.caller_for(second.access_token) is None


async def test_a_refused_access_token_is_renewed_once_and_the_call_succeeds(store: Store) -> None:
    clock = Clock()
    sandbox, config = _setup(clock)
    await _connect(sandbox, config, store, clock)
    old = StoredOAuthTokens(store.credentials, "alice").load()
    assert old is not None
    sandbox.hardcover.remove_token(old.access_token)  # Hardcover reset it ("may reset tokens without notice")
    await export_shelf(config, None, "csv", transport=Watching(sandbox.app), store=store)
    new = StoredOAuthTokens(store.credentials, "alice").load()
    assert new is not None and new.access_token != old.access_token


async def test_disconnect_revokes_and_forgets_and_a_denied_request_is_an_auth_error(store: Store) -> None:
    clock = Clock()
    sandbox, config = _setup(clock)
    await _connect(sandbox, config, store, clock)
    tokens = StoredOAuthTokens(store.credentials, "alice").load()
    assert tokens is not None
    assert await hardcover_disconnect(config, None, transport=Watching(sandbox.app), store=store)
    assert StoredOAuthTokens(store.credentials, "alice").load() is None
    assert sandbox.hardcover.caller_for(tokens.access_token) is None
    with pytest.raises(AuthError, match="not connected"):
        await export_shelf(config, None, "csv", transport=Watching(sandbox.app), store=store)

    async def deny(seconds: float) -> None:
        clock.now += seconds
        sandbox.hardcover_oauth.deny(shown[0].user_code)

    shown: list[DeviceAuthorization] = []
    with pytest.raises(AuthError, match="denied") as caught:
        await hardcover_connect(
            config, None, shown.append, transport=Watching(sandbox.app), store=store, sleep=deny
        )
    assert shown[0].device_code not in str(caught.value)


async def test_a_rotated_token_that_cannot_be_saved_is_never_used() -> None:
    clock = Clock()
    sandbox, _ = _setup(clock)
    from bookrelay.connectors.hardcover.auth import OAuthTokenProvider, OAuthTokens

    class Failing:
        def __init__(self, tokens: OAuthTokens) -> None:
            self.tokens = tokens

        def load(self) -> OAuthTokens:
            return self.tokens

        def save(self, tokens: OAuthTokens) -> None:
            raise OSError("disk full")

        def clear(self) -> None:
            raise AssertionError("not called")

    async with httpx.AsyncClient(transport=Watching(sandbox.app)) as http:
        client = OAuthClient(http, CLIENT, base_url="http://sandbox/hardcover-oauth")
        device = await client.start_device()
        sandbox.hardcover_oauth.approve(device.user_code, "alice")
        clock.now += 10
        status, body = sandbox.hardcover_oauth.poll(CLIENT, device.device_code)
        assert status == 200
        expired = OAuthTokens(body["access_token"], body["refresh_token"], expires_at=0.0)
        provider = OAuthTokenProvider(client, Failing(expired))
        with pytest.raises(OSError, match="disk full"):
            await provider.token()
        # The spent token was never replaced: a second try is refused, nothing unsaved was handed out.
        with pytest.raises(AuthError, match="refused"):
            await provider.token()
