"""A fake of Hardcover's draft OAuth2 endpoints (device grant, refresh with rotation, revoke)."""

from bookrelay.sandbox.hardcover_oauth.app import build_oauth_app
from bookrelay.sandbox.hardcover_oauth.state import OAuthState

__all__ = ["OAuthState", "build_oauth_app"]
