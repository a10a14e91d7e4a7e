"""Audiobookshelf connector: session (auth, retries), api (one method per call), types, mapper."""

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession

__all__ = ["AbsApi", "AbsSession"]
