"""The OAuth fake's authorization-code grant (RFC 6749 §4.1, PKCE S256 per RFC 7636), driven by bookrelay's
client: a code is spent once, by its client, with its redirect URI and the verifier of its challenge."""

from __future__ import annotations

import httpx
import pytest

from bookrelay.connectors.hardcover.auth import OAuthClient, new_pkce
from bookrelay.errors import AuthError
from bookrelay.sandbox.server import Sandbox
from tests.web.test_hardcover_oauth_web import CALLBACK, CLIENT, SECRET, oauth_setup

BASE = "http://sandbox/hardcover-oauth"


def _code(sandbox: Sandbox, challenge: str) -> str:
    """What the consent page does when Alice allows the app."""
    code = sandbox.hardcover_oauth.grant_code(CLIENT, CALLBACK, "read:library", challenge, "alice")
    assert code is not None
    return code


async def test_a_code_is_spent_once_and_its_reuse_revokes_the_tokens_it_gave() -> None:
    sandbox, _ = oauth_setup()
    verifier, challenge = new_pkce()
    code = _code(sandbox, challenge)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as http:
        client = OAuthClient(http, CLIENT, base_url=BASE, client_secret=SECRET)
        tokens = await client.exchange_code(code, CALLBACK, verifier)
        assert sandbox.hardcover_oauth.snapshot()["chains"] != []
        with pytest.raises(AuthError, match="invalid_grant"):
            await client.exchange_code(code, CALLBACK, verifier)
        assert sandbox.hardcover_oauth.snapshot()["chains"] == []
        with pytest.raises(AuthError):
            await client.refresh(tokens.refresh_token)  # its chain was revoked with the reused code


@pytest.mark.parametrize("wrong", ["verifier", "redirect_uri", "secret"])
async def test_a_code_is_refused_with_another_verifier_redirect_uri_or_without_the_secret(wrong: str) -> None:
    sandbox, _ = oauth_setup()
    verifier, challenge = new_pkce()
    code = _code(sandbox, challenge)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as http:
        client = OAuthClient(http, CLIENT, base_url=BASE, client_secret=None if wrong == "secret" else SECRET)
        with pytest.raises(AuthError):
            await client.exchange_code(
                code,
                CALLBACK + "/elsewhere" if wrong == "redirect_uri" else CALLBACK,
                new_pkce()[0] if wrong == "verifier" else verifier,
            )
    assert sandbox.hardcover_oauth.stats()["tokens"] == 0


def test_pkce_challenge_is_the_unpadded_base64url_sha256_of_the_verifier() -> None:
    import base64
    import hashlib

    verifier, challenge = new_pkce()
    assert 43 <= len(verifier) <= 128  # RFC 7636 §4.1
    assert challenge == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip(
        "="
    )
    assert new_pkce()[0] != verifier
