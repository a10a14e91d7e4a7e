"""The Hardcover page: Connect and Disconnect with OAuth, and the callback Hardcover sends the browser to.

Connect (a form post with the CSRF token) sends the browser to Hardcover's consent page with a fresh
``state``; Hardcover sends it back to ``/api/v1/integrations/hardcover/callback``. That request comes
from another site, so the session cookie (SameSite=Strict) is not sent with it: the callback is trusted
by its one-time ``state`` alone (RFC 6749 §10.12), touches no session, and answers a small page that
then opens the Hardcover page, where the signed-in session applies again.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bookrelay.errors import BookrelayError
from bookrelay.web.headers import PAGE_POLICY
from bookrelay.web.pages import Csrf, render, templates
from bookrelay.web.security import check_csrf, require_page_session


class HardcoverOAuth(Protocol):
    """Hardcover OAuth as the page needs it (``bookrelay.app.hardcover_oauth.HardcoverOAuthWeb``)."""

    def missing(self) -> list[str]:
        """Settings Connect still needs; empty when it can start."""
        ...

    def connected(self, user_id: str) -> bool:
        """Whether the user's tokens are stored."""
        ...

    async def start(self, user_id: str) -> tuple[str, str]:
        """The consent page's address and the state."""
        ...

    async def finish(self, state: str, code: str) -> tuple[str, str]:
        """Spend the code; the user id and Hardcover username."""
        ...

    def cancel(self, state: str) -> str | None:
        """Forget a refused attempt; its user id."""
        ...

    async def disconnect(self, user_id: str) -> bool:
        """Revoke and forget the user's tokens; whether there were any."""
        ...


router = APIRouter(include_in_schema=False)
guarded = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_session)])
UserField = Annotated[str, Form(max_length=64)]


def _oauth(request: Request) -> HardcoverOAuth | None:
    return getattr(request.app.state, "hardcover_oauth", None)


@guarded.get("/hardcover")
def hardcover_page(request: Request, user: str | None = None) -> Response:
    """Each user's Hardcover connection, with Connect or Disconnect."""
    ctx = request.app.state.web
    oauth = _oauth(request)
    chosen = ctx.require_user(user, "user") if user is not None else None
    rows = [
        {"user": uid, "connected": oauth.connected(uid) if oauth else False, "token": _has_token(ctx, uid)}
        for uid in ctx.user_ids()
    ]
    missing = oauth.missing() if oauth else ["this installation has no Hardcover OAuth"]
    page = render(
        request, "hardcover.html", rows=rows, missing=missing, **({"user": chosen} if chosen else {})
    )
    # Connect's form post is answered with a redirect to Hardcover, which the pages' form-action 'self'
    # would block: this page (only) may send its forms on to Hardcover's OAuth server.
    origin = _origin(str(ctx.config.global_.hardcover.oauth_url))
    page.headers["Content-Security-Policy"] = PAGE_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return page


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _has_token(ctx: Any, user_id: str) -> bool:
    found = next((u for u in ctx.config.users if u.id == user_id), None)
    return bool(found is not None and found.hardcover.token is not None)


@guarded.post("/hardcover/connect")
async def hardcover_connect(request: Request, user_id: UserField, csrf: Csrf = None) -> Response:
    """Send the browser to Hardcover's consent page."""
    check_csrf(request, csrf)
    uid = request.app.state.web.require_user(user_id, "user_id")
    oauth = _oauth(request)
    if oauth is None or oauth.missing():
        return _back(
            request, uid, "Hardcover OAuth is not set up: " + "; ".join(oauth.missing() if oauth else [])
        )
    url, _state = await oauth.start(uid)
    return RedirectResponse(url, status_code=303)


@guarded.post("/hardcover/disconnect")
async def hardcover_disconnect(request: Request, user_id: UserField, csrf: Csrf = None) -> Response:
    """Revoke the user's tokens at Hardcover and forget them."""
    check_csrf(request, csrf)
    uid = request.app.state.web.require_user(user_id, "user_id")
    oauth = _oauth(request)
    had = await oauth.disconnect(uid) if oauth is not None else False
    return _back(request, uid, f"Hardcover disconnected for {uid}" if had else f"{uid} was not connected")


def _back(request: Request, user_id: str, notice: str) -> Response:
    request.session["notice"] = notice
    return RedirectResponse(f"/hardcover?user={quote(user_id)}", status_code=303)


@router.get("/api/v1/integrations/hardcover/callback")
async def hardcover_callback(
    request: Request,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Where Hardcover sends the browser back: spend the code, store the tokens encrypted, say so."""
    oauth = _oauth(request)
    user_id: str | None = None
    if oauth is None:
        outcome, ok, status = "Hardcover OAuth is not set up in this installation.", False, 501
    elif error is not None or not code:
        user_id = oauth.cancel(state)
        why = (
            "you refused on Hardcover"
            if error == "access_denied"
            else f"Hardcover answered {error or 'no code'}"
        )
        outcome, ok, status = f"Not connected: {why}.", False, 400
    else:
        try:
            user_id, username = await oauth.finish(state, code)
            outcome, ok, status = f"Hardcover connected for {user_id} as @{username}.", True, 200
        except BookrelayError as exc:
            outcome, ok, status = f"Not connected: {exc}", False, exc.http_status
    target = "/hardcover" + (f"?user={quote(user_id)}" if user_id else "")
    page = templates.get_template("hardcover_done.html").render(outcome=outcome, ok=ok, target=target)
    # A page, though under /api/: the pages' policy (its style sheet), not the API's.
    return HTMLResponse(page, status_code=status, headers={"Content-Security-Policy": PAGE_POLICY})


router.include_router(guarded)
