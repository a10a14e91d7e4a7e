"""Seed 002's OAuth: HARDCOVER_CLIENT_ID/SECRET/REDIRECT_URI, the authorization-code flow with PKCE and its
callback at /api/v1/integrations/hardcover/callback, Connect/Disconnect on the page, tokens stored
encrypted, the refresh token rotated; against the sandbox's OAuth fake, on both store backends."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from bookrelay.app import build_web_app
from bookrelay.app.clients import oauth_client
from bookrelay.config import Config, load_config
from bookrelay.connectors.hardcover.auth import OAuthTokenProvider
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from bookrelay.store.models import Credential
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens
from tests.sync.scrobble_world import config_for, scrobble_world

CLIENT = "bookrelay-selfhosted"
SECRET = "hc-client-secret-5f2a9e"
SITE = "http://bookrelay.test"
CALLBACK = SITE + "/api/v1/integrations/hardcover/callback"
PASSWORD = "oauth-page-password"


def oauth_setup(*, secret: str | None = SECRET, redirect: str | None = CALLBACK) -> tuple[Sandbox, Config]:
    """The sandbox with a confidential app registered, and Alice's config signing in with OAuth."""
    world = scrobble_world()
    world.book("Dune", "Frank Herbert", editions=[{"pages": 400, "reading_format_id": 1}])
    fixture = world.fixture()
    fixture["hardcover_oauth"] = {"clients": {CLIENT: "bookrelay"}, "client_secrets": {CLIENT: SECRET}}
    settings: dict[str, Any] = {
        "auth": "oauth",
        "oauth_client_id": CLIENT,
        "oauth_url": "http://sandbox/hardcover-oauth",
    }
    if secret is not None:
        settings["oauth_client_secret"] = secret
    if redirect is not None:
        settings["oauth_redirect_uri"] = redirect
    raw = config_for(world, **settings).model_dump(by_alias=True)
    raw["users"][0]["hardcover"] = {}  # no personal token: OAuth
    raw["global"]["server"] = {"password": PASSWORD}
    return build_sandbox(fixture), Config.model_validate(raw)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient) -> None:
    token = _csrf((await client.get("/login")).text)
    answer = await client.post("/login", data={"secret": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303


async def consent(sandbox: Sandbox, authorize_url: str, username: str, decision: str) -> str:
    """What the user does on Hardcover's consent page; the address Hardcover sends the browser back to."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as browser:
        page = await browser.get(authorize_url)
        assert page.status_code == 200 and "Allow bookrelay" in page.text
        fields = {k: unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', page.text)}
        back = await browser.post(
            authorize_url.split("?")[0], data={**fields, "username": username, "decision": decision}
        )
    assert back.status_code == 302
    return back.headers["location"]


@contextlib.asynccontextmanager
async def signed_in_page(sandbox: Sandbox, config: Config, store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """A browser stand-in signed in to bookrelay's web app over ``store`` and the sandbox."""
    app = build_web_app(config, store, transport=httpx.ASGITransport(app=sandbox.app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SITE) as client:
        await sign_in(client)
        yield client


async def press(client: httpx.AsyncClient, action: str, user: str = "alice") -> httpx.Response:
    token = _csrf((await client.get(f"/hardcover?user={user}")).text)
    return await client.post(f"/hardcover/{action}", data={"user_id": user, "csrf_token": token})


async def test_connect_on_the_page_stores_encrypted_tokens_that_rotate_and_disconnect_revokes_them(
    store: Store,
) -> None:
    sandbox, config = oauth_setup()
    transport = httpx.ASGITransport(app=sandbox.app)
    app = build_web_app(config, store, transport=transport)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SITE) as client:
        await sign_in(client)
        page = await client.get("/hardcover?user=alice")
        assert "Not connected" in page.text and "Connect alice" in page.text
        started = await press(client, "connect")
        assert started.status_code == 303
        authorize = started.headers["location"]
        asked = parse_qs(urlsplit(authorize).query)
        assert asked["client_id"] == [CLIENT] and asked["redirect_uri"] == [CALLBACK]
        assert asked["code_challenge_method"] == ["S256"] and "code_verifier" not in asked
        assert SECRET not in authorize  # the secret is for the token call only

        back = await consent(sandbox, authorize, "alice", "allow")
        assert back.startswith(CALLBACK + "?")
        # The callback arrives from another site: no session cookie comes with it.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SITE) as other_site:
            done = await other_site.get(back)
            assert done.status_code == 200, done.text
            assert "Hardcover connected for alice as @alice" in done.text
            replay = await other_site.get(back)
            assert replay.status_code >= 400 and "press Connect again" in replay.text

        tokens = StoredOAuthTokens(store.credentials, "alice").load()
        assert tokens is not None and tokens.access_token.startswith("hc_at_")
        with store.db.reading() as session:  # S1: only ciphertext in the table
            stored = " ".join(session.scalars(select(Credential.ciphertext)))
        assert tokens.access_token not in stored and tokens.refresh_token not in stored
        assert "Connected with OAuth" in (await client.get("/hardcover?user=alice")).text

        # Refresh rotates: the confidential app's renewal is accepted and the new pair saved first.
        async with httpx.AsyncClient(transport=transport) as http:
            provider = OAuthTokenProvider(
                oauth_client(config, http), StoredOAuthTokens(store.credentials, "alice")
            )
            await provider.invalidate()
            fresh = await provider.token()
        saved = StoredOAuthTokens(store.credentials, "alice").load()
        assert saved is not None and saved.access_token == fresh != tokens.access_token
        assert saved.refresh_token != tokens.refresh_token
        assert sandbox.hardcover_oauth.stats()["refreshes"] == 1

        gone = await press(client, "disconnect")
        assert gone.status_code == 303
        assert "Hardcover disconnected for alice" in (await client.get(gone.headers["location"])).text
        assert StoredOAuthTokens(store.credentials, "alice").load() is None
        assert sandbox.hardcover_oauth.snapshot()["chains"] == []  # revoked at Hardcover too


async def test_a_refusal_or_a_forged_callback_stores_nothing(store: Store) -> None:
    sandbox, config = oauth_setup()
    async with signed_in_page(sandbox, config, store) as client:
        authorize = (await press(client, "connect")).headers["location"]
        denied = await client.get(await consent(sandbox, authorize, "alice", "deny"))
        assert denied.status_code == 400 and "you refused on Hardcover" in denied.text
        forged = await client.get(CALLBACK, params={"state": "made-up", "code": "made-up"})
        assert forged.status_code >= 400 and "unknown or too old" in forged.text
    assert StoredOAuthTokens(store.credentials, "alice").load() is None


async def test_the_code_is_refused_without_the_client_secret_of_a_confidential_app(store: Store) -> None:
    sandbox, config = oauth_setup(secret=None)
    async with signed_in_page(sandbox, config, store) as client:
        authorize = (await press(client, "connect")).headers["location"]
        done = await client.get(await consent(sandbox, authorize, "alice", "allow"))
    assert done.status_code >= 400 and "Not connected" in done.text
    assert StoredOAuthTokens(store.credentials, "alice").load() is None


async def test_the_page_names_the_variables_connect_still_needs(store: Store) -> None:
    sandbox, config = oauth_setup(redirect=None)
    async with signed_in_page(sandbox, config, store) as client:
        page = await client.get("/hardcover")
    assert "HARDCOVER_REDIRECT_URI" in page.text and "Connect alice" not in page.text


def test_the_seed_variables_set_oauth_and_the_secret_stays_masked(tmp_path: Any) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text("users:\n  - id: alice\n    hardcover: {}\n", encoding="utf-8")
    env = {
        "HARDCOVER_CLIENT_ID": CLIENT,
        "HARDCOVER_CLIENT_SECRET": SECRET,
        "HARDCOVER_REDIRECT_URI": CALLBACK,
    }
    config = load_config(path, env)
    hc = config.global_.hardcover
    assert (hc.auth, hc.oauth_client_id, hc.oauth_redirect_uri) == ("oauth", CLIENT, CALLBACK)
    assert hc.oauth_client_secret is not None and hc.oauth_client_secret.get_secret_value() == SECRET
    assert SECRET not in str(config.redacted_dict())
    # A file that says pat keeps its tokens: the variables then only describe the app.
    path.write_text(
        "global: {hardcover: {auth: pat}}\nusers:\n  - id: alice\n    hardcover: {token: hc_pat_x}\n",
        encoding="utf-8",
    )
    assert load_config(path, env).global_.hardcover.auth == "pat"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HARDCOVER_CLIENT_ID",
        "HARDCOVER_CLIENT_SECRET",
        "HARDCOVER_REDIRECT_URI",
        "HARDCOVER_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
