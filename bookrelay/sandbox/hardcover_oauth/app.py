"""The OAuth fake as a Starlette app: ``POST /oauth2/device``, ``/oauth2/token``, ``/oauth2/revoke`` (form
bodies, RFC 6749/8628/7009), ``POST /link`` standing in for the page where the user enters the code, and
``/oauth2/authorize``: the consent page of the authorization-code grant (a username stands in for
hardcover.app's own sign-in), which sends the browser back to the client's redirect URI.
The sandbox mounts it at ``/hardcover-oauth``.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
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
        if not state.client_authenticated(client_id, body.get("client_secret")):
            return _error("invalid_client", 401)
        grant = body.get("grant_type")
        if grant == "authorization_code":
            status, answer = state.exchange_code(
                client_id, body.get("code", ""), body.get("redirect_uri", ""), body.get("code_verifier", "")
            )
        elif grant == DEVICE_GRANT:
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

    async def authorize(request: Request) -> Response:
        asked = dict(request.query_params) if request.method == "GET" else await form(request)
        client_id, redirect_uri = asked.get("client_id", ""), asked.get("redirect_uri", "")
        # RFC 6749 §4.1.2.1: with a bad client or redirect URI the user is told, never redirected.
        if not state.known_client(client_id) or not redirect_uri.startswith(("http://", "https://")):
            return HTMLResponse("<h1>Unknown app or redirect URI</h1>", status_code=400)
        back = {"state": asked.get("state", "")}
        if asked.get("response_type") != "code" or asked.get("code_challenge_method") != "S256":
            return _redirect(redirect_uri, {**back, "error": "invalid_request"})
        if request.method == "GET":
            return HTMLResponse(_consent_page(state.app_name(client_id), asked, ""))
        if asked.get("decision") != "allow":
            return _redirect(redirect_uri, {**back, "error": "access_denied"})
        code = state.grant_code(
            client_id,
            redirect_uri,
            asked.get("scope", ""),
            asked.get("code_challenge", ""),
            asked.get("username", ""),
        )
        if code is None:
            return HTMLResponse(
                _consent_page(state.app_name(client_id), asked, "No such user"), status_code=400
            )
        return _redirect(redirect_uri, {**back, "code": code})

    return Starlette(
        routes=[
            Route("/oauth2/authorize", authorize, methods=["GET", "POST"]),
            Route("/oauth2/device", device, methods=["POST"]),
            Route("/oauth2/token", token, methods=["POST"]),
            Route("/oauth2/revoke", revoke, methods=["POST"]),
            Route("/link", link, methods=["POST"]),
        ]
    )


def _redirect(uri: str, query: dict[str, str]) -> Response:
    joiner = "&" if "?" in uri else "?"
    return RedirectResponse(uri + joiner + urlencode(query), status_code=302)


def _consent_page(app_name: str, asked: dict[str, str], problem: str) -> str:
    keep = (
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    )
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(asked.get(k, ""))}">' for k in keep)
    alert = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    return (
        "<!doctype html><html><head><title>Hardcover (sandbox): allow an app</title></head><body>"
        f"<h1>Allow {escape(app_name)} to use your Hardcover account?</h1>{alert}"
        f"<p>It asks for: {escape(asked.get('scope', ''))}</p>"
        f'<form method="post">{hidden}<label>Hardcover username <input name="username"></label>'
        '<button name="decision" value="allow">Allow</button>'
        '<button name="decision" value="deny">Deny</button></form></body></html>'
    )
