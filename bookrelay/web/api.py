"""The HTTP API under ``/api/v1``: thin routes that validate, call :mod:`bookrelay.app` for read models
(or the store for credentials and users), and answer.

Every route needs the API key (S2); errors are answered by the one handler in :mod:`bookrelay.web.factory`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from bookrelay.app import activity, views
from bookrelay.app.read_models import (
    ConflictDetail,
    ConflictOut,
    ConflictStatus,
    CredentialOut,
    HistoryOut,
    LinkOut,
    MatchOutcome,
    RunDetail,
    RunOut,
    RunStatus,
    SearchHitOut,
    Statistics,
    UserOut,
    UserStatus,
    WantedOut,
)
from bookrelay.errors import NotFound
from bookrelay.web.context import WebContext
from bookrelay.web.schemas import (
    CredentialName,
    CredentialValue,
    DbId,
    ErrorBody,
    Job,
    LinkRef,
    PinRequest,
    ResolveRequest,
    SearchText,
    ServiceName,
    SyncToggle,
    TriggerAnswer,
    TriggerRequest,
    UserCreate,
    UserId,
)
from bookrelay.web.security import require_api_key

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or a wrong one"},
    404: {"model": ErrorBody, "description": "No such thing"},
    422: {"model": ErrorBody, "description": "A bad value; `details` names the field"},
}
_SERVICE_ERRORS: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "Hardcover refused or answered nonsense"},
    503: {"model": ErrorBody, "description": "Hardcover unreachable, or its budget is spent"},
}

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)], responses=_ERRORS)


def _ctx(request: Request) -> WebContext:
    return request.app.state.web


Ctx = Annotated[WebContext, Depends(_ctx)]
Limit = Annotated[int, Query(ge=1, le=500)]


# -- runs -----------------------------------------------------------------------------------------


@router.get("/runs", tags=["runs"])
def list_runs(
    ctx: Ctx,
    user_id: UserId | None = None,
    job: Job | None = None,
    status: RunStatus | None = None,
    limit: Limit = 50,
) -> list[RunOut]:
    """The newest runs, optionally of one user, job and status (``?status=failed``)."""
    return activity.runs(ctx.store, limit, user_id=user_id, job=job, status=status)


@router.get("/runs/{run_id}", tags=["runs"])
def show_run(ctx: Ctx, run_id: DbId) -> RunDetail:
    """One run with its events in order."""
    return activity.run_detail(ctx.store, run_id)


@router.post(
    "/runs",
    tags=["runs"],
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"model": ErrorBody, "description": "A run of this user is in progress"}},
)
async def trigger_run(ctx: Ctx, body: TriggerRequest) -> TriggerAnswer:
    """Start a job for a user now, in the background; follow the run by its id."""
    return TriggerAnswer(run_id=await ctx.trigger(body.user_id, body.job, dry_run=body.dry_run))


# -- users, status, history, statistics --------------------------------------------------------------


@router.get("/users", tags=["users"])
def list_users(ctx: Ctx) -> list[UserOut]:
    """Every user, with the names (never the values) of their stored credentials."""
    configured = {u.id for u in ctx.config.users}
    return [
        UserOut(id=uid, configured=uid in configured, credentials=_credentials(ctx, uid))
        for uid in ctx.user_ids()
    ]


@router.post("/users", tags=["users"], status_code=status.HTTP_201_CREATED)
def add_user(ctx: Ctx, body: UserCreate) -> UserOut:
    """Add a user to the store (nothing happens when it exists)."""
    ctx.store.users.ensure(body.id)
    configured = body.id in {u.id for u in ctx.config.users}
    return UserOut(id=body.id, configured=configured, credentials=_credentials(ctx, body.id))


def _credentials(ctx: WebContext, user_id: str) -> list[CredentialOut]:
    return [CredentialOut(service=s, name=n) for s, n in ctx.store.credentials.names(user_id)]


@router.get("/users/{user_id}/credentials", tags=["users"])
def list_credentials(ctx: Ctx, user_id: UserId) -> list[CredentialOut]:
    """The user's stored credentials, by service and name only (S1)."""
    return _credentials(ctx, ctx.require_user(user_id))


@router.put("/users/{user_id}/credentials/{service}/{name}", tags=["users"], status_code=204)
def put_credential(
    ctx: Ctx, user_id: UserId, service: ServiceName, name: CredentialName, body: CredentialValue
) -> Response:
    """Add or replace a credential; stored encrypted, never returned (S1)."""
    ctx.store.credentials.set(ctx.require_user(user_id), service, name, body.value)
    return Response(status_code=204)


@router.delete("/users/{user_id}/credentials/{service}/{name}", tags=["users"], status_code=204)
def delete_credential(ctx: Ctx, user_id: UserId, service: ServiceName, name: CredentialName) -> Response:
    """Remove a credential; 404 when there was none."""
    if not ctx.store.credentials.delete(ctx.require_user(user_id), service, name):
        raise NotFound(f"user {user_id!r} has no {service} credential {name!r}")
    return Response(status_code=204)


@router.get("/users/{user_id}/status", tags=["users"])
def user_status(ctx: Ctx, user_id: UserId) -> UserStatus:
    """Last and next run, counts, Hardcover units left today, what is being read."""
    return activity.user_status(ctx, ctx.require_user(user_id))


@router.get("/users/{user_id}/history", tags=["users"])
def progress_history(ctx: Ctx, user_id: UserId, limit: Limit = 100) -> list[HistoryOut]:
    """The user's newest progress observations, newest first."""
    return activity.history(ctx.store, ctx.require_user(user_id), limit)


@router.get("/users/{user_id}/statistics", tags=["users"])
def user_statistics(ctx: Ctx, user_id: UserId, days: Annotated[int, Query(ge=1, le=366)] = 30) -> Statistics:
    """Syncs, failures, recent activity, and the series the statistics page draws."""
    return activity.statistics(ctx, ctx.require_user(user_id), days=days)


@router.get("/users/{user_id}/wanted", tags=["users"])
def wanted_ledger(ctx: Ctx, user_id: UserId) -> list[WantedOut]:
    """The wanted ledger: what was sent to Bookshelf for each Hardcover book (W1)."""
    return activity.wanted(ctx.store, ctx.require_user(user_id))


# -- conflicts ------------------------------------------------------------------------------------


@router.get("/conflicts", tags=["conflicts"])
def list_conflicts(
    ctx: Ctx, user_id: UserId | None = None, status: ConflictStatus | None = ConflictStatus.OPEN
) -> list[ConflictOut]:
    """Conflicts of one status (open by default), newest first."""
    return views.conflicts(ctx.store, status, user_id)


@router.get("/conflicts/{conflict_id}", tags=["conflicts"], responses=_SERVICE_ERRORS)
async def show_conflict(ctx: Ctx, conflict_id: DbId) -> ConflictDetail:
    """A conflict with its candidates, score parts, and book details (cover, authors, editions)."""
    return await views.conflict_detail(ctx, conflict_id)


@router.post("/conflicts/{conflict_id}/resolve", tags=["conflicts"], responses=_SERVICE_ERRORS)
async def resolve_conflict(ctx: Ctx, conflict_id: DbId, body: ResolveRequest) -> ConflictOut:
    """Settle an open conflict: the item is pinned to the book and edition (M1), once Hardcover confirmed
    them; the next plain sync writes that item."""
    conflict, _ = await views.settle_conflict(ctx, conflict_id, body.book_id, body.edition_id)
    return conflict


@router.post("/conflicts/{conflict_id}/ignore", tags=["conflicts"])
def ignore_conflict(ctx: Ctx, conflict_id: DbId) -> ConflictOut:
    """Dismiss an open conflict: the item is not synced."""
    return views.dismiss_conflict(ctx.store, conflict_id)


# -- links ----------------------------------------------------------------------------------------


@router.get("/links", tags=["links"])
def list_links(ctx: Ctx, user_id: UserId, status: MatchOutcome | None = None) -> list[LinkOut]:
    """The user's links, optionally of one status, with the title, authors and cover people know them by."""
    return views.links(ctx.store, ctx.require_user(user_id), status)


@router.get("/links/search", tags=["links"], responses=_SERVICE_ERRORS)
async def search_hardcover(ctx: Ctx, user_id: UserId, q: SearchText) -> list[SearchHitOut]:
    """Search Hardcover's catalogue with the user's token (one unit of the daily budget)."""
    return await views.search_hardcover(ctx, ctx.require_user(user_id), q)


@router.post("/links/pin", tags=["links"], responses=_SERVICE_ERRORS)
async def pin_link(ctx: Ctx, body: PinRequest) -> LinkOut:
    """Pin an item to a book (and edition): never re-matched (M1), once Hardcover confirmed them; the next
    plain sync writes that item."""
    user_id = ctx.require_user(body.user_id, "body.user_id")
    link, _ = await views.pin_item(ctx, user_id, body.source, body.item_id, body.book_id, body.edition_id)
    return link


@router.post("/links/unpin", tags=["links"])
def unpin_link(ctx: Ctx, body: LinkRef) -> LinkOut:
    """Release a pin: the next run matches the item again."""
    user_id = ctx.require_user(body.user_id, "body.user_id")
    return views.unpin_item(ctx.store, user_id, body.source, body.item_id)


@router.post("/links/sync", tags=["links"])
def toggle_sync(ctx: Ctx, body: SyncToggle) -> LinkOut:
    """Switch syncing of one item on or off."""
    user_id = ctx.require_user(body.user_id, "body.user_id")
    return views.switch_item_sync(ctx.store, user_id, body.source, body.item_id, body.enabled)


# -- config ---------------------------------------------------------------------------------------


@router.get("/config", tags=["config"])
def show_config(ctx: Ctx) -> dict[str, Any]:
    """The effective configuration with every secret shown as ``***`` (S1)."""
    return ctx.config.redacted_dict()
