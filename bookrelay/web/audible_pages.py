"""The Audible sign-in page: Amazon's login link, then the address the browser ended on (the device
credentials are stored encrypted). Signed-in session and CSRF token as on every page (S2)."""

from __future__ import annotations

from typing import Annotated, get_args
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from bookrelay.config.models import AudibleLocale
from bookrelay.web.context import maybe_await
from bookrelay.web.pages import Csrf, back, chosen_user, page_context, render
from bookrelay.web.security import check_csrf, require_page_session

AUDIBLE_LOCALES: tuple[str, ...] = get_args(AudibleLocale)
LOCALE_PATTERN = f"^({'|'.join(AUDIBLE_LOCALES)})$"
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_session)])


@router.get("/audible")
def audible_page(request: Request, user: str | None = None) -> Response:
    """Audible sign-in: shows Amazon's login link, then takes back the address the browser ended on."""
    chosen = chosen_user(request, user)
    available = page_context(request).audible_login is not None
    return render(request, "audible.html", user=chosen, available=available, locales=AUDIBLE_LOCALES)


@router.post("/audible/start")
async def audible_start(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)],
    locale: Annotated[str, Form(pattern=LOCALE_PATTERN)],
    csrf: Csrf = None,
) -> Response:
    """Step 1: Amazon's login link for the user to open."""
    check_csrf(request, csrf)
    ctx = page_context(request)
    uid = ctx.require_user(user_id, "user_id")
    if ctx.audible_login is None:
        return _unavailable(request, uid)
    url = str(await maybe_await(ctx.audible_login.start(uid, locale)))
    return render(
        request,
        "audible.html",
        user=uid,
        available=True,
        locales=AUDIBLE_LOCALES,
        login_url=url,
        locale=locale,
    )


@router.post("/audible/finish")
async def audible_finish(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)],
    locale: Annotated[str, Form(pattern=LOCALE_PATTERN)],
    final_url: Annotated[str, Form(min_length=8, max_length=8192, pattern="^https://")],
    csrf: Csrf = None,
) -> Response:
    """Step 2: the address the browser ended on; the device credentials are stored encrypted."""
    check_csrf(request, csrf)
    ctx = page_context(request)
    uid = ctx.require_user(user_id, "user_id")
    if ctx.audible_login is None:
        return _unavailable(request, uid)
    await maybe_await(ctx.audible_login.finish(uid, locale, final_url))
    return back(request, f"/audible?user={quote(uid)}", f"Audible signed in for {uid}")


def _unavailable(request: Request, user: str) -> Response:
    """The page without sign-in: this process has no Audible login wired (501)."""
    return render(
        request, "audible.html", status_code=501, user=user, available=False, locales=AUDIBLE_LOCALES
    )
