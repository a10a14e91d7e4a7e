"""The OAuth fake as a Starlette app: ``POST /oauth2/device``, ``/oauth2/token``, ``/oauth2/revoke`` (form
bodies, RFC 6749/8628/7009), and ``POST /link`` standing in for the page where the user enters the code.
The sandbox mounts it at ``/hardcover-oauth``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bookrelay.sandbox.hardcover_oauth.state import POLL_INTERVAL, VERIFICATION_URI, OAuthState

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _error(code: str, status: int = 400, description: str | None = None) -> JSONResponse:
    body = {"error": code}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def build_oauth_app(state: OAuthState) -> Starlette:
    """The fake OAuth server over ``state``."""

    async def form(request: Request) -> dict[str, str]:
        data = await request.form()
        return {k: v for k, v in data.items() if isinstance(v, str)}

    async def device(request: Request) -> Response:
        body = await form(request)
        client_id = body.get("client_id", "")
        if not state.known_client(client_id):
            return _error("invalid_client", 401)
        code = state.start_device(client_id, body.get("scope", ""))
        return JSONResponse(
            {
                "device_code": code.device_code,
                "user_code": code.user_code,
                "verification_uri": VERIFICATION_URI,
                "verification_uri_complete": f"{VERIFICATION_URI}?code={code.user_code}",
                "expires_in": int(code.expires_at - state.clock()),
                "interval": int(POLL_INTERVAL),
            }
        )

    async def token(request: Request) -> Response:
        body = await form(request)
        client_id = body.get("client_id", "")
        if not state.known_client(client_id):
            return _error("invalid_client", 401)
        grant = body.get("grant_type")
        if grant == DEVICE_GRANT:
            status, answer = state.poll(client_id, body.get("device_code", ""))
        elif grant == "refresh_token":
            status, answer = state.refresh(client_id, body.get("refresh_token", ""))
        else:
            return _error("unsupported_grant_type")
        return JSONResponse(answer, status_code=status, headers={"Cache-Control": "no-store"})

    async def revoke(request: Request) -> Response:
        body = await form(request)
        if not state.known_client(body.get("client_id")):
            return _error("invalid_client", 401)
        state.revoke(body.get("token", ""))
        return Response(status_code=200)

    async def link(request: Request) -> Response:
        body = await form(request)
        code, username = body.get("user_code", ""), body.get("username", "")
        done = state.deny(code) if body.get("approve") == "false" else state.approve(code, username)
        return JSONResponse({"ok": done}, status_code=200 if done else 404)

    return Starlette(
        routes=[
            Route("/oauth2/device", device, methods=["POST"]),
            Route("/oauth2/token", token, methods=["POST"]),
            Route("/oauth2/revoke", revoke, methods=["POST"]),
            Route("/link", link, methods=["POST"]),
        ]
    )
