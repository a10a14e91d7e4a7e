"""The fake Audible as a Starlette app: the library, last positions, finished events and the token
refresh endpoint, as the ``audible`` package calls them (ref Part C).

Mount it anywhere (the sandbox uses ``/audible``); a client points its API base URL and its token
URL at the mount. Error bodies are JSON ``{"message": ...}``, which the package's ``StatusError``
reads; the real service's exact error wording is not documented.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bookrelay.sandbox.audible import shapes
from bookrelay.sandbox.audible.fixture import MAX_NUM_RESULTS, MAX_POSITION_ASINS, AccountRec
from bookrelay.sandbox.audible.state import AudibleState, parse_iso

DEFAULT_NUM_RESULTS = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Handler = Callable[[Request, AccountRec], Awaitable[Response]]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


class _Gate:
    """Counts every request and answers queued failures before routing (``state.fail_next``)."""

    def __init__(self, app: ASGIApp, state: AudibleState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.counters["requests"] += 1
            status = self.state.take_failure()
            if status is not None:
                self.state.counters["injected_failures"] += 1
                await _error(status, "injected failure")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _signed_paths(request: Request) -> list[str]:
    """The path+query the client may have signed: as sent, and without the mount prefix."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    suffix = f"?{query}" if query else ""
    paths = [path + suffix]
    root = request.scope.get("root_path", "")
    if root and path.startswith(root) and path != root:
        paths.append(path[len(root) :] + suffix)
    return paths


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if lo <= value <= hi else None


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_token(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, ValueError):
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "offset" and number.isdigit() else None


def build_audible_app(state: AudibleState) -> Starlette:
    """The fake Audible app over ``state``; mount it anywhere (the sandbox uses ``/audible``)."""

    def authed(counter: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            result = state.authenticate(request.method, _signed_paths(request), body, request.headers)
            if result.account is None:
                state.counters["auth_failures"] += 1
                return _error(401, f"Unauthorized: {result.reason}")
            wait = state.over_rate_limit(result.account)
            if wait is not None:
                state.counters["rate_limited"] += 1
                return _error(429, "Too many requests", {"Retry-After": str(int(wait + 0.999))})
            state.counters[counter] += 1
            return await handler(request, result.account)

        return endpoint

    async def library(request: Request, account: AccountRec) -> Response:
        num_results = _int_param(request, "num_results", DEFAULT_NUM_RESULTS, 1, MAX_NUM_RESULTS)
        if num_results is None:
            return _error(400, f"num_results must be an integer from 1 to {MAX_NUM_RESULTS}")
        page = _int_param(request, "page", 1, 1, 1_000_000)
        if page is None:
            return _error(400, "page must be a positive integer")
        groups = shapes.requested_groups(request.query_params.get("response_groups"))
        items, total = state.library_page(account, page, num_results, groups)
        return JSONResponse(
            {"items": items, "response_groups": ["always-returned", *groups]},
            headers={"total-count": str(total)},
        )

    async def last_positions(request: Request, account: AccountRec) -> Response:
        asins = [a.strip() for a in request.query_params.get("asins", "").split(",") if a.strip()]
        if not asins:
            return _error(400, "asins is required")
        if len(asins) > MAX_POSITION_ASINS:
            return _error(400, f"at most {MAX_POSITION_ASINS} asins per request")
        return JSONResponse({"asin_last_position_heard_annots": state.last_positions(account, asins)})

    async def finished(request: Request, account: AccountRec) -> Response:
        raw_start = request.query_params.get("start_date")
        start = parse_iso(raw_start) if raw_start else _EPOCH
        if start is None:
            return _error(400, "start_date must be an ISO-8601 timestamp")
        token = request.query_params.get("continuation_token")
        offset = _decode_token(token) if token else 0
        if offset is None:
            return _error(400, "invalid continuation_token")
        events, following = state.finished_page(account, start, offset)
        body: dict[str, object] = {"mark_as_finished_status_list": events}
        if following is not None:
            body["continuation_token"] = _encode_token(following)
        return JSONResponse(body)

    async def token(request: Request) -> Response:
        # The package posts a urlencoded form; parsing it here avoids needing python-multipart.
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("requested_token_type") != "access_token" or form.get("source_token_type") != (
            "refresh_token"
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        issued = state.refresh(form.get("source_token"))
        if issued is None:
            state.counters["auth_failures"] += 1
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access, ttl = issued
        return JSONResponse({"access_token": access, "expires_in": ttl, "token_type": "bearer"})

    return Starlette(
        routes=[
            Route("/1.0/library", authed("library", library)),
            Route("/1.0/annotations/lastpositions", authed("lastpositions", last_positions)),
            Route("/1.0/stats/status/finished", authed("finished", finished)),
            Route("/auth/token", token, methods=["POST"]),
        ],
        middleware=[Middleware(_Gate, state=state)],
    )
