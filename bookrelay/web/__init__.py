"""bookrelay's HTTP API and web page (``bookrelay serve``)."""

from bookrelay.web.factory import create_app

__all__ = ["create_app"]
