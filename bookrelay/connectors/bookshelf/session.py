"""Bookshelf's session: the shared :class:`~bookrelay.connectors.rest.RestSession` with Bookshelf's API
key (``X-Api-Key``) and its address setting (ref/bookshelf-rreading-glasses-audible.md A.1, A.6).
"""

from __future__ import annotations

from typing import Any

import httpx

from bookrelay.connectors.rest import RestSession
from bookrelay.errors import ConfigError
from bookrelay.redact import register_secret


class BookshelfSession(RestSession):
    """A :class:`RestSession` for Bookshelf's ``/api/v1``, authenticated by ``X-Api-Key``."""

    service = "bookshelf"
    url_setting = "global.bookshelf.url or $BOOKSHELF_URL"

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: str,
        *,
        url: str = "http://bookshelf:8787",
        token_name: str = "BOOKSHELF_API_KEY",  # noqa: S107 - a setting name, not a secret
        **kwargs: Any,
    ) -> None:
        key = (api_key or "").strip()
        if not key:
            raise ConfigError("the Bookshelf API key is empty", place=token_name)
        register_secret(key)
        self.token_name = token_name
        super().__init__(http, url.rstrip("/") + "/api/v1", headers={"X-Api-Key": key}, **kwargs)
