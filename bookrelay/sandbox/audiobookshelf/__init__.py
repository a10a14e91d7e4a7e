"""A faithful fake of Audiobookshelf 2.36 for the sandbox and the tests (ref/audiobookshelf.md)."""

from bookrelay.sandbox.audiobookshelf.app import build_abs_app
from bookrelay.sandbox.audiobookshelf.state import AbsState

__all__ = ["AbsState", "build_abs_app"]
