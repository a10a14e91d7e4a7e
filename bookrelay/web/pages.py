"""The web pages: server-rendered Jinja2, enhanced by htmx (``hx-boost``) but complete without JavaScript.

Every page needs a signed-in session (S2); every form carries the session's CSRF token. Forms post,
then redirect (303) to a page that shows the outcome, so reloading never repeats an action.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bookrelay.app import activity, views
from bookrelay.app.read_models import ConflictStatus
from bookrelay.domain.models import Book
from bookrelay.errors import BookrelayError, ConfigError
from bookrelay.web import charts
from bookrelay.web.context import WebContext
from bookrelay.web.queue_routes import queue_summary
from bookrelay.web.schemas import DB_INT_MAX, ErrorBody
from bookrelay.web.security import (
    CSRF_FIELD,
    check_csrf,
    csrf_token,
    end_session,
    require_page_session,
    sign_in_secret_ok,
    signed_in,
    start_session,
)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)
guarded = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_session)])

Csrf = Annotated[str | None, Form(alias=CSRF_FIELD)]
BookId = Annotated[int, Form(ge=1, le=DB_INT_MAX)]


def page_context(request: Request) -> WebContext:
    return request.app.state.web


def render(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page from ``templates/`` with what every page needs: CSRF token, users, the chosen user, a notice."""
    ctx = page_context(request)
    users = ctx.user_ids() if signed_in(request) else []
    chosen = request.query_params.get("user")
    values.setdefault("user", chosen if chosen in users else (users[0] if users else None))
    return templates.TemplateResponse(
        request,
        name,
        {
            "csrf": csrf_token(request),
            "users": users,
            "signed_in": signed_in(request),
            "notice": request.session.pop("notice", None),
            **values,
        },
        status_code=status_code,
    )


def error_page(request: Request, body: ErrorBody, status: int) -> HTMLResponse:
    """The page shown for an error (the API answers JSON instead)."""
    return render(request, "error.html", status_code=status, error=body)


def back(request: Request, path: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        request.session["notice"] = notice
    return RedirectResponse(path, status_code=303)


def chosen_user(request: Request, user: str | None) -> str | None:
    ctx = page_context(request)
    if user is not None:
        return ctx.require_user(user, "user")
    ids = ctx.user_ids()
    return ids[0] if ids else None


# -- sign-in --------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    # Only a path on this site: an absolute address would make the sign-in page an open redirect.
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form (API key or the web password)."""
    server = page_context(request).config.global_.server
    configured = server.api_key is not None or server.password is not None
    return render(request, "login.html", next=_safe_next(next), configured=configured)


@router.post("/login")
def login(
    request: Request, secret: Annotated[str, Form(max_length=4096)], csrf: Csrf = None, next: str = Form("/")
) -> Response:
    """Sign in with the API key or the password; a wrong one shows the form again (401), and past the
    throttle's limit every try is refused (429 with Retry-After) until it has room again."""
    check_csrf(request, csrf)
    throttle = page_context(request).sign_in_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(address)
    if wait:
        page = render(
            request, "login.html", status_code=429, next=_safe_next(next), configured=True, wait=wait
        )
        page.headers["Retry-After"] = str(wait)
        return page
    if not sign_in_secret_ok(page_context(request).config, secret):
        throttle.failed(address)
        return render(
            request, "login.html", status_code=401, next=_safe_next(next), configured=True, failed=True
        )
    throttle.succeeded(address)
    start_session(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Csrf = None) -> Response:
    """End the session, on the server too."""
    check_csrf(request, csrf)
    end_session(request)
    return RedirectResponse("/login", status_code=303)


# -- dashboard and runs ---------------------------------------------------------------------------


@guarded.get("/")
def dashboard(request: Request, user: str | None = None) -> Response:
    """Per user: last and next runs, counts, Hardcover units left, what is being read."""
    chosen = chosen_user(request, user)
    ctx = page_context(request)
    status = activity.user_status(ctx, chosen) if chosen else None
    queue = queue_summary(ctx) if ctx.queue_status is not None else None
    return render(
        request,
        "dashboard.html",
        user=chosen,
        status=status,
        jobs=ctx.enabled_jobs(),
        queue=queue,
    )


@guarded.post("/runs/trigger")
async def trigger(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)],
    job: Annotated[str, Form(pattern="^(progress|wanted|enrich|scrobble)$")] = "progress",
    dry_run: Annotated[bool, Form()] = False,
    csrf: Csrf = None,
) -> Response:
    """Start a job now and go to its run."""
    check_csrf(request, csrf)
    run_id = await page_context(request).trigger(user_id, job, dry_run=dry_run)
    return back(request, f"/runs/{run_id}", f"started {job} run {run_id} for {user_id}")


@guarded.get("/runs")
def runs_page(request: Request, user: str | None = None) -> Response:
    """The newest runs."""
    ctx = page_context(request)
    chosen = ctx.require_user(user, "user") if user else None
    return render(request, "runs.html", runs=activity.runs(ctx.store, 100, user_id=chosen), user=chosen)


@guarded.get("/runs/{run_id}")
def run_page(request: Request, run_id: int) -> Response:
    """One run and its events; refreshes itself while the run is going."""
    store = page_context(request).store
    run = activity.run_detail(store, run_id)
    changes = [e for e in run.events if isinstance(e.data, dict) and "title" in e.data]
    keys = [(str(e.data["source"]), str(e.data["item_id"])) for e in changes]  # type: ignore[index]
    return render(
        request,
        "run.html",
        run=run,
        changes=changes,
        events=[e for e in run.events if e not in changes],
        labels=store.labels.for_items(run.user_id, keys),
        user=run.user_id,
    )


# -- conflicts ------------------------------------------------------------------------------------


@guarded.get("/conflicts")
async def conflicts_page(request: Request, user: str | None = None) -> Response:
    """Open conflicts with their candidates: cover, title, authors, editions, score parts."""
    ctx = page_context(request)
    chosen = ctx.require_user(user, "user") if user else None
    opened = views.conflicts(ctx.store, ConflictStatus.OPEN, chosen)
    details = [await views.conflict_detail(ctx, c.id) for c in opened]
    recent = views.settled_conflicts(ctx.store, chosen)
    return render(
        request,
        "conflicts.html",
        conflicts=details,
        closed=[c for c, _ in recent],
        closed_titles={c.id: title for c, title in recent},
        user=chosen,
    )


@guarded.post("/conflicts/{conflict_id}/resolve")
async def resolve(
    request: Request,
    conflict_id: int,
    book_id: BookId,
    edition_id: Annotated[str, Form(max_length=12)] = "",
    csrf: Csrf = None,
) -> Response:
    """Settle a conflict for a book (and edition): a pinned link (M1)."""
    check_csrf(request, csrf)
    edition = _optional_id(edition_id, "edition_id")
    ctx = page_context(request)
    conflict, book = await views.settle_conflict(ctx, conflict_id, book_id, edition)
    chosen = views.name_settled_item(ctx.store, conflict_id)
    if book is None and chosen:
        return back(
            request, "/conflicts", f"“{conflict.title}” linked to “{chosen}” (Hardcover book {book_id})"
        )
    return back(request, "/conflicts", f"“{conflict.title}” linked to {_book_named(book, book_id)}")


@guarded.post("/conflicts/{conflict_id}/ignore")
def ignore(request: Request, conflict_id: int, csrf: Csrf = None) -> Response:
    """Dismiss a conflict: the item is not synced."""
    check_csrf(request, csrf)
    conflict = views.dismiss_conflict(page_context(request).store, conflict_id)
    return back(request, "/conflicts", f"“{conflict.title}” ignored")


def _optional_id(value: str, field: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= DB_INT_MAX:
        raise ConfigError("must be a positive whole number", place=field)
    return int(text)


# -- links ----------------------------------------------------------------------------------------


@guarded.get("/links")
async def links_page(
    request: Request,
    user: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    item: str | None = None,
    source: str = "abs",
) -> Response:
    """The user's links with pin/unpin and sync switches, and a Hardcover search to pin an item."""
    ctx = page_context(request)
    chosen = chosen_user(request, user)
    hits, search_error = [], None
    if chosen and q and q.strip():
        try:
            hits = await views.search_hardcover(ctx, chosen, q[:200])
        except BookrelayError as exc:
            search_error = str(exc)
    links = views.links(ctx.store, chosen) if chosen else []
    return render(
        request,
        "links.html",
        user=chosen,
        links=links,
        labels=ctx.store.labels.for_user(chosen) if chosen else {},
        q=q or "",
        hits=hits,
        item=item or "",
        source=source,
        search_error=search_error,
    )


def _link_form_user(request: Request, user_id: str) -> str:
    return page_context(request).require_user(user_id, "user_id")


@guarded.post("/links/pin")
async def pin(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)],
    item_id: Annotated[str, Form(min_length=1, max_length=255)],
    book_id: BookId,
    source: Annotated[str, Form(pattern="^(abs|audible)$")] = "abs",
    edition_id: Annotated[str, Form(max_length=12)] = "",
    csrf: Csrf = None,
) -> Response:
    """Pin an item to a book (M1)."""
    check_csrf(request, csrf)
    uid = _link_form_user(request, user_id)
    edition = _optional_id(edition_id, "edition_id")
    ctx = page_context(request)
    _, book = await views.pin_item(ctx, uid, source, item_id, book_id, edition)
    title = views.item_title(ctx.store, uid, source, item_id)
    named = f"“{title}”" if title is not None else item_id
    return back(request, f"/links?user={quote(uid)}", f"{named} pinned to {_book_named(book, book_id)}")


def _book_named(book: Book | None, book_id: int) -> str:
    """A book as people read it: its title, with the id as small print when the title is known."""
    return f"“{book.title}” (Hardcover book {book_id})" if book is not None else f"Hardcover book {book_id}"


@guarded.post("/links/unpin")
def unpin(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)],
    item_id: Annotated[str, Form(min_length=1, max_length=255)],
    source: Annotated[str, Form(pattern="^(abs|audible)$")] = "abs",
    csrf: Csrf = None,
) -> Response:
    """Release a pin."""
    check_csrf(request, csrf)
    uid = _link_form_user(request, user_id)
    views.unpin_item(page_context(request).store, uid, source, item_id)
    return back(request, f"/links?user={quote(uid)}", f"{item_id} unpinned")


@guarded.post("/links/sync")
def toggle_sync(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)],
    item_id: Annotated[str, Form(min_length=1, max_length=255)],
    enabled: Annotated[bool, Form()],
    source: Annotated[str, Form(pattern="^(abs|audible)$")] = "abs",
    csrf: Csrf = None,
) -> Response:
    """Switch syncing of an item on or off."""
    check_csrf(request, csrf)
    uid = _link_form_user(request, user_id)
    views.switch_item_sync(page_context(request).store, uid, source, item_id, enabled)
    state = "on" if enabled else "off"
    return back(request, f"/links?user={quote(uid)}", f"sync {state} for {item_id}")


# -- wanted, statistics (Audible's sign-in page: web/audible_pages.py) ------------------------------


@guarded.get("/wanted")
def wanted_page(request: Request, user: str | None = None) -> Response:
    """The wanted ledger: what was sent to Bookshelf (W1, W4)."""
    chosen = chosen_user(request, user)
    rows = activity.wanted(page_context(request).store, chosen) if chosen else []
    return render(request, "wanted.html", user=chosen, rows=rows)


@guarded.get("/stats")
def stats_page(request: Request, user: str | None = None) -> Response:
    """Statistics with charts drawn on the server."""
    chosen = chosen_user(request, user)
    if chosen is None:
        return render(request, "stats.html", user=None, stats=None, charts={})
    stats = activity.statistics(page_context(request), chosen, days=60)
    drawn = {
        "finished": charts.bar_chart(
            stats.finished_per_month, title="Books finished per month", unit="books", integer=True
        ),
        "listening": charts.line_chart(
            stats.hours_listened, title="Listening progress over time", unit="hours"
        ),
        "units": charts.bar_chart(
            stats.units_per_day, title="Hardcover units per day", unit="units", integer=True
        ),
    }
    return render(request, "stats.html", user=chosen, stats=stats, charts=drawn)


router.include_router(guarded)
