"""The fake Audiobookshelf as a Starlette app (ref/audiobookshelf.md; behaves like ABS 2.36).

Routes are served at the root and under the ``/audiobookshelf`` router base, like the real server.
Error bodies keep ABS's styles: ``sendStatus`` → text/plain (``Unauthorized``, ``Not Found``, ``OK``),
``status().send(msg)`` → text/html, the auth limiter → JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bookrelay.sandbox.audiobookshelf.collections import collection_routes
from bookrelay.sandbox.audiobookshelf.fixture import ItemRec, UserRec
from bookrelay.sandbox.audiobookshelf.live import AbsLive
from bookrelay.sandbox.audiobookshelf.media import can_update
from bookrelay.sandbox.audiobookshelf.shapes import (
    SERVER_SETTINGS,
    expanded_item,
    library_json,
    minified_item,
    old_item,
    progress_json,
    user_json,
)
from bookrelay.sandbox.audiobookshelf.state import AbsState

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_SORT_KEYS = {
    "media.metadata.title": lambda it: it.metadata["title"].lower(),
    "media.metadata.authorName": lambda it: ", ".join(it.metadata.get("authors", [])).lower(),
    "media.metadata.publishedYear": lambda it: it.metadata.get("publishedYear") or "",
    "media.duration": lambda it: it.duration,
    "addedAt": lambda it: it.added_at,
    "updatedAt": lambda it: it.updated_at,
    "size": lambda it: it.size,
    "birthtimeMs": lambda it: it.added_at,
    "mtimeMs": lambda it: it.added_at,
}


def send_status(status: int) -> Response:
    """Express's ``res.sendStatus``: the status text as a text/plain body."""
    return PlainTextResponse(
        _STATUS_TEXT.get(status, "OK" if status == 200 else str(status)), status_code=status
    )


def send_text(status: int, message: str) -> Response:
    """Express's ``res.status(n).send('msg')``: a text/html body."""
    return Response(message, status_code=status, media_type="text/html")


class _Gate:
    """Counts every request and answers queued failures before routing (``state.fail_next``)."""

    def __init__(self, app: ASGIApp, state: AbsState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.counters["requests"] += 1
            status = self.state.take_failure()
            if status is not None:
                self.state.counters["injected_failures"] += 1
                await send_status(status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("token")


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"{}")
    except ValueError:
        return _BAD_BODY


_BAD_BODY = object()


def build_abs_app(state: AbsState) -> Starlette:
    """The fake ABS app over ``state``; mount it anywhere (the sandbox uses ``/abs``)."""
    live = AbsLive(state)  # socket.io events and playback sessions

    def authed(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            user = state.user_for_token(_token(request))
            if user is None:
                state.counters["auth_failures"] += 1
                return send_status(401)
            result: Response = await handler(request, user)
            return result

        return endpoint

    def login_payload(user: UserRec, access: str | None, refresh: str | None) -> dict[str, Any]:
        body = {**user_json(user, state.progress_of(user)), "refreshToken": refresh}
        if access is not None:
            body["accessToken"] = access
        return {
            "user": body,
            "userDefaultLibraryId": next(iter(state.libraries), None),
            "serverSettings": dict(SERVER_SETTINGS),
            "ereaderDevices": [],
            "Source": "docker",
        }

    def with_cookie(response: Response, refresh: str) -> Response:
        max_age = int(state.config.refresh_token_ttl)
        response.set_cookie("refresh_token", refresh, max_age=max_age, httponly=True, samesite="lax")
        return response

    async def status(request: Request) -> Response:
        return JSONResponse(
            {
                "app": "audiobookshelf",
                "serverVersion": SERVER_SETTINGS["version"],
                "isInit": True,
                "language": "en-us",
                "authMethods": ["local"],
                "authFormData": {"authLoginCustomMessage": ""},
            }
        )

    async def ping(request: Request) -> Response:
        return JSONResponse({"success": True})

    async def healthcheck(request: Request) -> Response:
        return send_status(200)

    async def login(request: Request) -> Response:
        if state.auth_rate_limited():
            return JSONResponse({"error": "Too many authentication requests"}, status_code=429)
        body = await _json_body(request)
        if body is _BAD_BODY or not isinstance(body, dict):
            form = await request.form()
            body = {k: v for k, v in form.items() if isinstance(v, str)}
        user = state.check_password(str(body.get("username", "")), str(body.get("password", "")))
        if user is None:
            state.counters["auth_failures"] += 1
            return send_status(401)
        state.counters["logins"] += 1
        access, refresh = state.issue_tokens(user)
        if request.headers.get("x-return-tokens", "").lower() == "true":
            return JSONResponse(login_payload(user, access, refresh))
        return with_cookie(JSONResponse(login_payload(user, access, None)), refresh)

    async def refresh(request: Request) -> Response:
        if state.auth_rate_limited():
            return JSONResponse({"error": "Too many authentication requests"}, status_code=429)
        from_header = request.headers.get("x-refresh-token")
        token = from_header or request.cookies.get("refresh_token")
        if not token:
            return JSONResponse({"error": "No refresh token provided"}, status_code=401)
        rotated = state.rotate_refresh(token)
        if rotated is None:
            state.counters["auth_failures"] += 1
            return JSONResponse({"error": "Invalid refresh token"}, status_code=401)
        user, access, new_refresh = rotated
        state.counters["refreshes"] += 1
        if from_header:
            return JSONResponse(login_payload(user, access, new_refresh))
        return with_cookie(JSONResponse(login_payload(user, access, None)), new_refresh)

    async def logout(request: Request) -> Response:
        state.rotate_refresh(request.headers.get("x-refresh-token") or request.cookies.get("refresh_token"))
        return send_status(200)

    async def authorize(request: Request, user: UserRec) -> Response:
        return JSONResponse(login_payload(user, None, None))

    async def me(request: Request, user: UserRec) -> Response:
        return JSONResponse(user_json(user, state.progress_of(user)))

    async def me_progress_list(request: Request, user: UserRec) -> Response:
        return JSONResponse({"mediaProgress": [progress_json(p) for p in state.progress_of(user)]})

    async def items_in_progress(request: Request, user: UserRec) -> Response:
        raw = request.query_params.get("limit", "")
        limit = int(raw) if raw.isdigit() and int(raw) > 0 else 25
        open_entries = [
            p
            for p in state.progress_of(user)
            if not p.is_finished and (p.current_time > 0 or p.ebook_progress > 0)
        ]
        open_entries.sort(key=lambda p: p.last_update, reverse=True)
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        for p in open_entries:
            item = state.items.get(p.library_item_id)
            if item is None or item.id in seen:
                continue
            seen.add(item.id)
            entry = {**minified_item(item), "progressLastUpdate": p.last_update}
            if p.episode_id:
                entry["recentEpisode"] = next(
                    e for e in expanded_item(item)["media"]["episodes"] if e["id"] == p.episode_id
                )
            results.append(entry)
        return JSONResponse({"libraryItems": results[:limit]})

    async def get_progress(request: Request, user: UserRec) -> Response:
        key = (user.id, request.path_params["item_id"], request.path_params.get("episode_id"))
        p = state.progress.get(key)
        return JSONResponse(progress_json(p)) if p else send_status(404)

    async def patch_progress(request: Request, user: UserRec) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return send_text(400, "Invalid request body")
        code, text = state.apply_progress(
            user, request.path_params["item_id"], request.path_params.get("episode_id"), body
        )
        if code == 200:
            await live.user_updated(user)
        return send_status(200) if code == 200 else send_text(code, text)

    async def batch_progress(request: Request, user: UserRec) -> Response:
        body = await _json_body(request)
        if not isinstance(body, list) or not body:
            return send_text(400, "Missing request payload")
        for entry in body:
            # per-item errors are only logged by the real server
            if isinstance(entry, dict) and isinstance(entry.get("libraryItemId"), str):
                state.apply_progress(user, entry["libraryItemId"], entry.get("episodeId"), entry)
        await live.user_updated(user)
        return send_status(200)

    def _last_scan(library_id: str) -> int | None:
        return max((it.added_at for it in state.items.values() if it.library_id == library_id), default=None)

    async def libraries(request: Request, user: UserRec) -> Response:
        found = [library_json(lib, _last_scan(lib.id)) for lib in state.libraries.values()]
        return JSONResponse({"libraries": found})

    async def library(request: Request, user: UserRec) -> Response:
        lib = state.libraries.get(request.path_params["library_id"])
        if lib is None:
            return send_text(404, "Library not found")
        return JSONResponse(library_json(lib, _last_scan(lib.id)))

    async def library_items(request: Request, user: UserRec) -> Response:
        lib = state.libraries.get(request.path_params["library_id"])
        if lib is None:
            return send_text(404, "Library not found")
        q = request.query_params
        numbers: dict[str, int] = {}
        for name in ("limit", "page"):
            raw = q.get(name)
            if raw is not None and raw != "" and not raw.isdigit():
                return send_text(400, f"Invalid request. {name} must be a positive integer")
            numbers[name] = int(raw) if raw else 0
        limit, page = numbers["limit"], numbers["page"]
        items = [it for it in state.items.values() if it.library_id == lib.id]
        filter_by = q.get("filter")
        if filter_by:
            items = _filter_items(state, user, items, filter_by)
        sort_by = q.get("sort")
        desc = q.get("desc") == "1"
        if sort_by in _SORT_KEYS:
            items.sort(key=_SORT_KEYS[sort_by], reverse=desc)
        offset = page * limit
        page_items = items[offset : offset + limit] if limit else items
        body: dict[str, Any] = {
            "results": [minified_item(it) for it in page_items],
            "total": len(items),
            "limit": limit,
            "page": page,
        }
        if sort_by is not None:
            body["sortBy"] = sort_by
        body["sortDesc"] = desc
        if filter_by is not None:
            body["filterBy"] = filter_by
        body.update(
            mediaType=lib.media_type,
            minified=q.get("minified") == "1",
            collapseseries=q.get("collapseseries") == "1",
            include=q.get("include", ""),
            offset=offset,
        )
        return JSONResponse(body)

    async def get_item(request: Request, user: UserRec) -> Response:
        item = state.items.get(request.path_params["item_id"])
        if item is None:
            return send_status(404)
        if request.query_params.get("expanded") != "1":
            return JSONResponse(old_item(item))
        body = expanded_item(item)
        if "progress" in request.query_params.get("include", "").split(","):
            p = state.progress.get((user.id, item.id, request.query_params.get("episode")))
            body["userMediaProgress"] = progress_json(p) if p else None
        return JSONResponse(body)

    async def batch_get(request: Request, user: UserRec) -> Response:
        body = await _json_body(request)
        ids = body.get("libraryItemIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            return send_text(403, "Invalid payload")
        found = [state.items[i] for i in ids if isinstance(i, str) and i in state.items]
        return JSONResponse({"libraryItems": [expanded_item(it) for it in found]})

    async def update_media(request: Request, user: UserRec) -> Response:
        item = state.items.get(request.path_params["item_id"])
        if item is None:
            return send_status(404)
        if not can_update(user.type):
            return send_status(403)  # LibraryItemController.middleware: PATCH needs the update permission
        body = await _json_body(request)
        if body is _BAD_BODY:
            return send_text(400, "Invalid request body")
        updated = state.update_media(item, body)
        # ABS answers ``updated: hasUpdates || mediaPayload.url``: with nothing changed that is undefined,
        # which JSON leaves out (seen on the real 2.36 server by tests/real_abs/test_differential.py).
        answer: dict[str, Any] = {"updated": True} if updated else {}
        return JSONResponse({**answer, "libraryItem": old_item(item)})

    api = "/api"
    routes: list[BaseRoute] = [
        Route("/status", status),
        Route("/ping", ping),
        Route("/healthcheck", healthcheck),
        Route("/login", login, methods=["POST"]),
        Route("/auth/refresh", refresh, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route(f"{api}/authorize", authed(authorize), methods=["POST"]),
        Route(f"{api}/me", authed(me)),
        Route(f"{api}/me/progress", authed(me_progress_list)),
        Route(f"{api}/me/items-in-progress", authed(items_in_progress)),
        Route(f"{api}/me/progress/batch/update", authed(batch_progress), methods=["PATCH"]),
        Route(f"{api}/me/progress/{{item_id}}", authed(get_progress), methods=["GET"]),
        Route(f"{api}/me/progress/{{item_id}}", authed(patch_progress), methods=["PATCH"]),
        Route(f"{api}/me/progress/{{item_id}}/{{episode_id}}", authed(get_progress), methods=["GET"]),
        Route(f"{api}/me/progress/{{item_id}}/{{episode_id}}", authed(patch_progress), methods=["PATCH"]),
        Route(f"{api}/libraries", authed(libraries)),
        Route(f"{api}/libraries/{{library_id}}", authed(library)),
        Route(f"{api}/libraries/{{library_id}}/items", authed(library_items)),
        Route(f"{api}/items/batch/get", authed(batch_get), methods=["POST"]),
        Route(f"{api}/items/{{item_id}}", authed(get_item)),
        Route(f"{api}/items/{{item_id}}/media", authed(update_media), methods=["PATCH"]),
        *collection_routes(state, authed, _json_body),
        *live.routes(authed),
    ]
    app = Starlette(
        routes=[Mount("/audiobookshelf", routes=routes), *routes], middleware=[Middleware(_Gate, state=state)]
    )
    app.state.abs = state
    app.state.live = live
    return app


def _filter_items(state: AbsState, user: UserRec, items: list[ItemRec], filter_by: str) -> list[ItemRec]:
    """The ``progress.<base64>`` filter; other groups are not modelled and filter nothing."""
    group, _, encoded = filter_by.partition(".")
    if group != "progress":
        return items
    try:
        value = base64.b64decode(encoded.replace("%3D", "=")).decode()
    except (binascii.Error, UnicodeDecodeError):
        return []
    done = {p.library_item_id for p in state.progress_of(user) if p.is_finished}
    started = {
        p.library_item_id for p in state.progress_of(user) if p.current_time > 0 or p.ebook_progress > 0
    }
    tests = {
        "finished": lambda it: it.id in done,
        "in-progress": lambda it: it.id in started and it.id not in done,
        "not-started": lambda it: it.id not in started and it.id not in done,
        "not-finished": lambda it: it.id not in done,
    }
    test = tests.get(value)
    return [it for it in items if test(it)] if test else []
