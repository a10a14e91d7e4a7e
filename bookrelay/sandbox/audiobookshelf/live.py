"""The fake ABS's real-time side: socket.io events and playback sessions (ref/audiobookshelf.md §5, §12).

- socket.io at ``/socket.io`` (and ``/audiobookshelf/socket.io``): a client emits ``auth`` with a token;
  a user's access token or legacy token is accepted (``init`` ``{userId, username}``), an API key or a
  refresh token is not (``auth_failed`` ``{message}``), as ``TokenManager.validateAccessToken`` decides.
- ``PATCH /api/me/progress/...`` (single and batch) emits ``user_updated`` with the whole user.
- ``POST /api/items/:id/play`` opens a playback session; ``POST /api/session/:id/sync`` with
  ``{currentTime, timeListened, duration}`` stores progress = currentTime / duration and emits
  ``user_item_progress_updated`` ``{id, sessionId, deviceDescription, data}``; ``/close`` ends it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import socketio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bookrelay.sandbox.audiobookshelf.fixture import UserRec
from bookrelay.sandbox.audiobookshelf.shapes import expanded_item, progress_json, user_json
from bookrelay.sandbox.audiobookshelf.state import AbsState


@dataclass
class _Session:
    id: str
    user_id: str
    item_id: str
    device: str
    started_at: int


class AbsLive:
    """The socket.io server and the playback sessions of one fake ABS."""

    def __init__(self, state: AbsState) -> None:
        self.state = state
        self.sio = socketio.AsyncServer(async_mode="asgi", logger=False, engineio_logger=False)
        self.asgi = socketio.ASGIApp(self.sio, socketio_path=None)  # the route decides the path
        self.sessions: dict[str, _Session] = {}
        self.signed_in: dict[str, str] = {}  # socket id → user id
        self.sio.on("auth", self._auth)
        self.sio.on("disconnect", self._disconnect)

    async def _auth(self, sid: str, token: Any) -> None:
        user = None
        if isinstance(token, str) and token not in self.state.api_keys:
            # API keys carry keyId, not userId: "TODO: Support API keys for web socket connections"
            user = self.state.user_for_token(token)
        if user is None:
            self.state.counters["socket_auth_failures"] += 1
            await self.sio.emit("auth_failed", {"message": "Invalid token"}, to=sid)
            return
        self.signed_in[sid] = user.id
        await self.sio.enter_room(sid, user.id)
        self.state.counters["socket_logins"] += 1
        await self.sio.emit("init", {"userId": user.id, "username": user.username}, to=sid)

    async def _disconnect(self, sid: str, *args: Any) -> None:
        self.signed_in.pop(sid, None)

    async def user_updated(self, user: UserRec) -> None:
        """Tell the user's sockets about a direct progress change (the whole user object)."""
        self.state.counters["events_user_updated"] += 1
        await self.sio.emit("user_updated", user_json(user, self.state.progress_of(user)), room=user.id)

    async def _progress_updated(self, user: UserRec, session: _Session) -> None:
        progress = self.state.progress.get((user.id, session.item_id, None))
        if progress is None:
            return
        self.state.counters["events_user_item_progress_updated"] += 1
        await self.sio.emit(
            "user_item_progress_updated",
            {
                "id": progress.id,
                "sessionId": session.id,
                "deviceDescription": session.device,
                "data": progress_json(progress),
            },
            room=user.id,
        )

    def routes(self, authed: Any) -> list[BaseRoute]:
        """The socket.io mount and the playback-session routes (``authed`` checks the bearer token)."""

        async def play(request: Request, user: UserRec) -> Response:
            item = self.state.items.get(request.path_params["item_id"])
            if item is None:
                return PlainTextResponse("Not Found", status_code=404)
            body = await _body(request)
            given = body.get("deviceInfo")
            device: dict[str, Any] = given if isinstance(given, dict) else {}
            name = str(device.get("clientName") or "unknown client")
            session = _Session(str(uuid.uuid4()), user.id, item.id, name, self.state.now_ms())
            self.sessions[session.id] = session
            current = self.state.progress.get((user.id, item.id, None))
            return JSONResponse(
                {
                    "id": session.id,
                    "userId": user.id,
                    "libraryItemId": item.id,
                    "episodeId": None,
                    "mediaType": item.media_type,
                    "duration": item.duration,
                    "currentTime": current.current_time if current else 0,
                    "startedAt": session.started_at,
                    "updatedAt": session.started_at,
                    "deviceInfo": {"clientName": name, "deviceId": device.get("deviceId")},
                    "audioTracks": [],
                    "libraryItem": expanded_item(item),
                }
            )

        async def sync(request: Request, user: UserRec) -> Response:
            session = self.sessions.get(request.path_params["session_id"])
            if session is None or session.user_id != user.id:
                return PlainTextResponse("Not Found", status_code=404)
            body = await _body(request)
            current, duration = _number(body.get("currentTime")), _number(body.get("duration"))
            if current is None or duration is None or duration <= 0:
                return Response("Invalid request body", status_code=400, media_type="text/html")
            # Unlike a PATCH, a session sync computes progress itself (§5).
            payload = {"currentTime": current, "duration": duration, "progress": min(current / duration, 1.0)}
            self.state.apply_progress(user, session.item_id, None, payload)
            await self._progress_updated(user, session)
            return PlainTextResponse("OK")

        async def close(request: Request, user: UserRec) -> Response:
            session = self.sessions.get(request.path_params["session_id"])
            if session is None or session.user_id != user.id:
                return PlainTextResponse("Not Found", status_code=404)
            body = await _body(request)
            if _number(body.get("currentTime")) is not None:
                response = await sync(request, user)
                if response.status_code != 200:
                    return response
            self.sessions.pop(session.id, None)
            return PlainTextResponse("OK")

        return [
            Mount("/socket.io", app=self.asgi),
            Route("/api/items/{item_id}/play", authed(play), methods=["POST"]),
            Route("/api/session/{session_id}/sync", authed(sync), methods=["POST"]),
            Route("/api/session/{session_id}/close", authed(close), methods=["POST"]),
        ]


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
