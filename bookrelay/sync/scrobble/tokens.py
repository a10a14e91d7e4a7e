"""A user's Hardcover OAuth tokens, kept encrypted in the store's ``credentials`` (S1)."""

from __future__ import annotations

import json

from bookrelay.connectors.hardcover.auth import OAuthTokens
from bookrelay.errors import ConfigError
from bookrelay.store.repositories import CredentialRepo

OAUTH_SERVICE = "hardcover"
OAUTH_NAME = "oauth_tokens"


class StoredOAuthTokens:
    """A :class:`~bookrelay.connectors.hardcover.auth.TokenStore` over the encrypted credentials table."""

    def __init__(self, credentials: CredentialRepo, user_id: str) -> None:
        self._credentials = credentials
        self._user_id = user_id

    def load(self) -> OAuthTokens | None:
        """The user's tokens, None when not connected."""
        raw = self._credentials.get(self._user_id, OAUTH_SERVICE, OAUTH_NAME)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return OAuthTokens(
                str(data["access_token"]),
                str(data["refresh_token"]),
                float(data["expires_at"]),
                data.get("scope"),
            )
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                "the stored Hardcover OAuth tokens are unreadable; run `bookrelay hardcover connect`",
                place=f"credentials of {self._user_id}",
            ) from None

    def save(self, tokens: OAuthTokens) -> None:
        """Replace the tokens (one committed transaction: durable when this returns)."""
        value = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
        }
        self._credentials.set(self._user_id, OAUTH_SERVICE, OAUTH_NAME, json.dumps(value))

    def clear(self) -> None:
        """Forget the tokens."""
        self._credentials.delete(self._user_id, OAUTH_SERVICE, OAUTH_NAME)
