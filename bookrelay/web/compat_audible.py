"""The Audible auto-tracker's HTTP routes under ``/api``, each a thin layer over bookrelay's own
(``/api/v1``), so that a script or a phone shortcut written for that tool keeps working after the move.

Same authentication as ``/api/v1`` (``X-Api-Key``, the tracker's ``X-API-Secret``, or Bearer), except
``GET /api/health``. Each route's description names the bookrelay route it stands for.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from bookrelay.app import activity
from bookrelay.app.audible import audible_password_login
from bookrelay.app.read_models import LinkOut, UserStatus
from bookrelay.config import writer
from bookrelay.config.models import AudibleLocale
from bookrelay.errors import AlreadyRunning, ConfigError
from bookrelay.web import api
from bookrelay.web.context import WebContext
from bookrelay.web.schemas import (
    DbId,
    ErrorBody,
    ErrorDetail,
    Health,
    ItemId,
    PinRequest,
    ResolveRequest,
    UserId,
)
from bookrelay.web.security import require_api_key

TAG = "Audible auto-tracker routes"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or a wrong one"},
    404: {"model": ErrorBody, "description": "No such user or conflict"},
    422: {"model": ErrorBody, "description": "A bad value; `details` names the field"},
}

router = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)], responses=_ERRORS, tags=[TAG])
open_router = APIRouter(prefix="/api", tags=[TAG])


def _ctx(request: Request) -> WebContext:
    return request.app.state.web


Ctx = Annotated[WebContext, Depends(_ctx)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudibleAuthRequest(_Request):
    """The tracker's sign-in: e-mail, password and marketplace; ``otp`` when Amazon asked for one."""

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    country_code: AudibleLocale = "us"
    otp: Annotated[str | None, Field(max_length=16, pattern=r"^[0-9 ]+$")] = None
    user_id: UserId | None = None


class AudibleAuthAnswer(BaseModel):
    """A stored Audible login."""

    user_id: str
    country_code: str
    status: str = "authenticated"


class NeedsStep(ErrorBody):
    """Amazon wants one more step: ``otp`` (send the code again with this request) or ``browser``."""

    needs: str


class SyncRequest(_Request):
    """``{}`` syncs the only user, or every user; ``user_id`` one of them."""

    user_id: UserId | None = None
    dry_run: bool = False


class SyncStarted(BaseModel):
    """One started run, or why a user's run did not start."""

    user_id: str
    run_id: int | None = None
    error: str | None = None


class StatusAnswer(BaseModel):
    """Every user's state, as ``GET /api/v1/users/{user_id}/status`` gives it."""

    users: list[UserStatus]


class LinkRequest(_Request):
    """Pin an Audible title (by ASIN) to a Hardcover book."""

    asin: ItemId
    book_id: DbId
    edition_id: DbId | None = None
    user_id: UserId | None = None


class CompatResolve(_Request):
    """Settle a conflict with a book, or (the tracker's other choice) a new book made from ``book_data``."""

    book_id: DbId | None = None
    edition_id: DbId | None = None
    create_new: bool = False
    book_data: dict[str, Any] | None = None


NO_CREATE = (
    "bookrelay does not create books on Hardcover: the API's insert_book is not part of what Hardcover "
    "documents for personal tokens, so a book made that way could not be checked or undone. Add the book "
    "on hardcover.app, then resolve this conflict with its book_id"
)
WRITTEN = "written to {path} (the previous version is {backup}); "
RELOADING = (
    "the service starts again with it now: runs in progress finish first, and web sign-ins are asked "
    "again unless global.server.session_secret is set"
)
RESTART = (
    "this server was not started by `bookrelay serve`, which reads the file again by itself: restart it "
    "to use the new settings (GET /api/config shows what is in force until then)"
)
UNCHANGED = "nothing changed: every value given is already in force"
_PUT_EXAMPLES: dict[str, Any] = {
    "tracker": {"summary": "The tracker's interval", "value": {"sync_interval": 30}},
    "bookrelay": {
        "summary": "Any part of GET's answer",
        "value": {"global": {"audible": {"daily_cap": 400}, "sync": {"min_progress": 0.02}}},
    },
}


def _user(ctx: WebContext, user_id: str | None, place: str) -> str:
    """The named user, or the only configured one; a clear error when several could be meant."""
    if user_id is not None:
        return ctx.require_user(user_id, place)
    configured = [u.id for u in ctx.config.users]
    if len(configured) == 1:
        return configured[0]
    raise ConfigError(f"several users are configured ({', '.join(configured)}): name one", place=place)


@open_router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness without authentication, as ``/healthz``."""
    return Health(status="ok")


@router.post(
    "/audible/auth",
    responses={
        428: {"model": NeedsStep, "description": "Amazon wants a one-time code, or a browser step"},
        502: {"model": ErrorBody, "description": "Amazon refused the sign-in"},
    },
)
async def audible_auth_route(ctx: Ctx, body: AudibleAuthRequest) -> Any:
    """Sign in to Audible with e-mail and password (used once, never stored; the login is stored
    encrypted), as ``bookrelay audible login --email``. A one-time code is asked for with 428 and
    ``needs: otp``: send the same request again with ``otp``. A CAPTCHA, a code sent by mail or an
    approval belong to one sign-in attempt, which an API call cannot hold open: 428 with ``needs:
    browser`` points to the browser sign-in (the web page's Audible tab, or ``bookrelay audible login``)."""
    user_id = _user(ctx, body.user_id, "body.user_id")

    class _Step(Exception):
        def __init__(self, needs: str, message: str) -> None:
            super().__init__(message)
            self.needs = needs

    def otp() -> str:
        if body.otp is None:
            raise _Step("otp", "Amazon asks for a one-time code: send this request again with `otp`")
        return body.otp.replace(" ", "")

    def browser(what: str) -> Any:
        def ask(*_: object) -> str:
            raise _Step("browser", f"Amazon asks for {what}: sign in through the browser instead")

        return ask

    try:
        await asyncio.to_thread(
            audible_password_login,
            ctx.store,
            user_id,
            body.country_code,
            body.email,
            body.password,
            otp=otp,
            captcha=browser("a CAPTCHA"),
            cvf=browser("a verification code sent by mail or text"),
            approval=browser("an approval in the Amazon app"),
        )
    except _Step as step:
        answer = NeedsStep(error="NeedsStep", message=str(step), needs=step.needs)
        return JSONResponse(status_code=428, content=answer.model_dump())
    return AudibleAuthAnswer(user_id=user_id, country_code=body.country_code)


@router.post("/sync", status_code=status.HTTP_202_ACCEPTED)
async def sync(ctx: Ctx, body: SyncRequest) -> list[SyncStarted]:
    """Start the progress job now, as ``POST /api/v1/runs``: for the named user, else for every user;
    a user whose run is in progress is listed with why, the others start."""
    users = (
        [ctx.require_user(body.user_id, "body.user_id")] if body.user_id else [u.id for u in ctx.config.users]
    )
    started = []
    for user_id in users:
        try:
            run_id = await ctx.trigger(user_id, "progress", dry_run=body.dry_run)
        except AlreadyRunning as exc:
            started.append(SyncStarted(user_id=user_id, error=str(exc)))
        else:
            started.append(SyncStarted(user_id=user_id, run_id=run_id))
    return started


@router.get("/status")
def status_route(ctx: Ctx) -> StatusAnswer:
    """Every user's last and next runs, counts and Hardcover budget, as ``/api/v1/users/{id}/status``."""
    return StatusAnswer(users=[activity.user_status(ctx, user_id) for user_id in ctx.user_ids()])


@router.get("/config")
def show_config(ctx: Ctx) -> dict[str, Any]:
    """The configuration in force with every secret shown as ``***``, as ``GET /api/v1/config``."""
    return api.show_config(ctx)


@router.put(
    "/config",
    response_model=dict[str, Any],
    responses={
        409: {"model": ErrorBody, "description": "No configuration file: the settings come from variables"},
        500: {"model": ErrorBody, "description": "The file could not be replaced; it is unchanged"},
    },
)
async def change_config(
    ctx: Ctx,
    request: Request,
    response: Response,
    tasks: BackgroundTasks,
    body: Annotated[dict[str, Any], Body(openapi_examples=_PUT_EXAMPLES)],
) -> Any:
    """Change settings in the configuration file, as editing it would: ``body`` is any part of what
    ``GET /api/config`` answers (users by ``id``), or the tracker's ``sync_interval`` (minutes between
    syncs: ``global.schedule.progress`` and ``global.audible.min_interval_minutes``). Checked as
    ``config check`` checks the file (422 naming each unknown key or bad value; secrets and the database
    are not changed here), written keeping comments and key order, the previous version kept as
    ``.bak``. The answer is the new configuration as GET shows it; ``bookrelay serve`` then starts
    again from the file (runs in progress finish first). Headers: ``Bookrelay-Changed`` lists the keys
    changed, ``Bookrelay-Reload`` says what happens next."""
    path = getattr(request.app.state, "config_file", None)
    reload_config = getattr(request.app.state, "reload_config", None)
    if path is None or not path.is_file():
        raise writer.NoFileToWrite(_no_file(ctx, path))
    try:
        plan = writer.plan_changes(ctx.config, body, os.environ)
        if not plan:
            response.headers["Bookrelay-Reload"] = UNCHANGED
            return api.show_config(ctx)
        config = await asyncio.to_thread(writer.write_changes, path, plan, os.environ)
    except writer.ChangeRefused as refused:
        details = [ErrorDetail(field=p.field, message=p.message) for p in refused.problems]
        answer = ErrorBody(error="ConfigError", message=str(refused), details=details)
        return JSONResponse(status_code=422, content=answer.model_dump())
    response.headers["Bookrelay-Changed"] = ", ".join(writer.changed_keys(plan))
    written = WRITTEN.format(path=path.name, backup=f"{path.name}.bak")
    if reload_config is not None:
        response.headers["Bookrelay-Reload"] = written + RELOADING
        tasks.add_task(reload_config)  # after the answer is sent
    else:
        response.headers["Bookrelay-Reload"] = written + RESTART
    return config.redacted_dict()


def _no_file(ctx: WebContext, path: Path | None) -> str:
    """Why there is nothing to write, naming the variables the settings come from."""
    names = writer.env_variables(ctx.config)
    where = f" ({path} does not exist)" if path is not None else ""
    variables = f": {', '.join(names)}" if names else ""
    return (
        f"there is no configuration file to write{where}; the settings come from the environment{variables}. "
        "Change those variables, or write a file (`bookrelay init`) and point BOOKRELAY_CONFIG at it"
    )


@router.post("/link", responses={502: {"model": ErrorBody, "description": "Hardcover refused"}})
async def link(ctx: Ctx, body: LinkRequest) -> LinkOut:
    """Pin an Audible title to a Hardcover book, as ``POST /api/v1/links/pin`` with ``source: audible``."""
    user_id = _user(ctx, body.user_id, "body.user_id")
    pin = PinRequest(
        user_id=user_id, source="audible", item_id=body.asin, book_id=body.book_id, edition_id=body.edition_id
    )
    return await api.pin_link(ctx, pin)


@router.post(
    "/conflicts/{conflict_id}/resolve",
    responses={501: {"model": ErrorBody, "description": "create_new: books are not made on Hardcover"}},
)
async def resolve(ctx: Ctx, conflict_id: DbId, body: CompatResolve) -> Any:
    """Settle a conflict with ``{book_id}``, as ``POST /api/v1/conflicts/{id}/resolve``; the tracker's
    ``{create_new: true, book_data}`` answers 501 naming why and what to do instead."""
    if body.create_new:
        ctx.store.conflicts.get(conflict_id)  # an unknown conflict is a 404 first
        answer = ErrorBody(error="NotImplemented", message=NO_CREATE)
        return JSONResponse(status_code=501, content=answer.model_dump())
    if body.book_id is None:
        raise ConfigError("give book_id, or create_new: true", place="body.book_id")
    request = ResolveRequest(book_id=body.book_id, edition_id=body.edition_id)
    return await api.resolve_conflict(ctx, conflict_id, request)
