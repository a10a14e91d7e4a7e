"""Seed 002's Connect in headless Chromium: the Hardcover page's Connect button, the sandbox's consent page
on another port, the redirect back to /api/v1/integrations/hardcover/callback, then Disconnect."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from bookrelay.app import build_web_app
from bookrelay.store.facade import Store
from bookrelay.sync.scrobble.tokens import StoredOAuthTokens
from tests.web.test_hardcover_oauth_web import PASSWORD, oauth_setup
from tests.web.threaded import free_port, served_in_thread

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SCREENSHOTS = os.environ.get("BOOKRELAY_SCREENSHOTS")  # a folder: pages are saved there while developing

pytestmark = pytest.mark.slow


def _shot(page: object, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_browser_connects_alice_through_the_consent_page_and_disconnects(store: Store) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    web_port, oauth_port = free_port(), free_port()
    site = f"http://127.0.0.1:{web_port}"
    sandbox, config = oauth_setup(redirect=f"{site}/api/v1/integrations/hardcover/callback")
    raw = config.model_dump(by_alias=True)
    # The browser reaches the consent page over real loopback HTTP; bookrelay's own calls go in-process
    # to the same sandbox (one state), so the code the browser carries back is the one bookrelay spends.
    # "localhost" is another site than "127.0.0.1": the callback comes cross-site, as from hardcover.app,
    # so the SameSite=Strict session cookie is not sent with it.
    raw["global"]["hardcover"]["oauth_url"] = f"http://localhost:{oauth_port}/hardcover-oauth"
    config = type(config).model_validate(raw)
    app = build_web_app(config, store, transport=httpx.ASGITransport(app=sandbox.app))
    with (
        served_in_thread(sandbox.app, oauth_port),
        served_in_thread(app, web_port),
        playwright_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            expect = playwright_api.expect
            refused: list[str] = []
            page.on(
                "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
            )
            page.goto(site + "/hardcover")
            page.get_by_label("API key or password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="Hardcover").click()
            expect(page.get_by_role("cell", name="Not connected")).to_be_visible()
            _shot(page, "hardcover-before")

            page.get_by_role("button", name="Connect alice").click()
            expect(
                page.get_by_role("heading", name="Allow bookrelay to use your Hardcover account?")
            ).to_be_visible()
            assert page.url.startswith(f"http://localhost:{oauth_port}/hardcover-oauth/oauth2/authorize?")
            _shot(page, "hardcover-consent")
            page.get_by_label("Hardcover username").fill("alice")
            page.get_by_role("button", name="Allow").click()

            # Back on bookrelay: the callback's page, then (same site, signed in) the Hardcover page.
            expect(page.get_by_role("cell", name="Connected with OAuth")).to_be_visible()
            assert page.url == f"{site}/hardcover?user=alice"
            _shot(page, "hardcover-connected")
            tokens = StoredOAuthTokens(store.credentials, "alice").load()
            assert tokens is not None and tokens.access_token not in page.content()  # S1

            page.get_by_role("button", name="Disconnect alice").click()
            expect(page.get_by_role("status")).to_contain_text("Hardcover disconnected for alice")
            expect(page.get_by_role("cell", name="Not connected")).to_be_visible()
            _shot(page, "hardcover-disconnected")
            assert StoredOAuthTokens(store.credentials, "alice").load() is None
            assert refused == []
        finally:
            browser.close()
