"""A faithful fake of Bookshelf (the Readarr fork, Hardcover metadata) for the sandbox and the tests."""

from bookrelay.sandbox.bookshelf.app import build_bookshelf_app
from bookrelay.sandbox.bookshelf.state import BookshelfState

__all__ = ["BookshelfState", "build_bookshelf_app"]
