"""Security headers on every answer, and the Secure flag of the session cookie (S2).

A small ASGI middleware rather than per-route code, so that pages, the API, static files, error
answers and the metrics route all get the same headers.
"""

from __future__ import annotations

from typing import Literal

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages load their script (htmx) and style sheet from /static only, and draw charts as inline SVG
# without style attributes; covers come from Hardcover's image host over HTTPS. htmx's own indicator
# style element is switched off in base.html (htmx-config), so no inline style is needed.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# FastAPI's API browser (/api/v1/docs) loads Swagger UI from its CDN and starts it with an inline script.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# JSON answers are never rendered as a document.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_PATH = "/api/v1/docs"
SecureCookie = Literal["auto", "always", "never"]


class SecurityHeaders:
    """Adds the security headers to every HTTP answer and marks ``cookie_name`` Secure when it should be."""

    def __init__(self, app: ASGIApp, *, cookie_name: str, secure_cookie: SecureCookie = "auto") -> None:
        self._app = app
        self._cookie = f"{cookie_name}=".encode()
        self._secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = DOCS_POLICY if path == DOCS_PATH else API_POLICY if path.startswith("/api/") else PAGE_POLICY
        # auto: HTTPS as the server saw it, or as a trusted proxy said with X-Forwarded-Proto (uvicorn
        # rewrites the scheme for the proxies in global.server.trusted_proxies).
        secure = self._secure_cookie == "always" or (
            self._secure_cookie == "auto" and scope.get("scheme") == "https"
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if secure:
                    self._mark_secure(message)
            await send(message)

        await self._app(scope, receive, send_with_headers)

    def _mark_secure(self, message: Message) -> None:
        raw: list[tuple[bytes, bytes]] = message["headers"]
        for i, (name, value) in enumerate(raw):
            if (
                name.lower() == b"set-cookie"
                and value.startswith(self._cookie)
                and b"secure" not in value.lower()
            ):
                raw[i] = (name, value + b"; secure")
