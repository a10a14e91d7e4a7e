"""rreading-glasses' session: the shared :class:`~bookrelay.connectors.rest.RestSession` (the policy of
``connectors/http.py``; it follows RRG's 303 redirects). No auth: RRG is an open metadata server
(ref B.1, B.4)."""

from __future__ import annotations

from typing import Any

import httpx

from bookrelay.connectors.rest import RestSession

DEFAULT_URL = "http://rreading-glasses:8080"


class RrgSession(RestSession):
    """A :class:`RestSession` for rreading-glasses' routes at ``url``."""

    service = "rreading-glasses"

    def __init__(self, http: httpx.AsyncClient, *, url: str = DEFAULT_URL, **kwargs: Any) -> None:
        super().__init__(http, url, **kwargs)
