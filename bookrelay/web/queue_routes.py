"""The job queue on the API and the dashboard (scale-out): runs waiting, running and scheduled, and how
long the oldest due run has waited. Answers ``mode: inprocess`` without counts when there is no queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from bookrelay.web.context import WebContext
from bookrelay.web.security import require_api_key

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)])


class QueueOut(BaseModel):
    """The queue at a glance."""

    mode: Literal["inprocess", "postgres"]
    waiting: int | None = None
    running: int | None = None
    scheduled: int | None = None
    failed: int | None = None
    oldest_waiting_since: datetime | None = None
    oldest_waiting_seconds: float | None = None


def queue_summary(context: WebContext) -> QueueOut:
    """What :func:`queue` answers, for the API and the dashboard."""
    probe: Any = context.queue_status
    if probe is None:
        return QueueOut(mode="inprocess")
    status = probe()
    oldest = status.oldest_waiting_since
    age = max(0.0, (context.now() - oldest).total_seconds()) if oldest is not None else None
    return QueueOut(
        mode="postgres",
        waiting=status.waiting,
        running=status.running,
        scheduled=status.scheduled,
        failed=status.failed,
        oldest_waiting_since=oldest,
        oldest_waiting_seconds=age,
    )


def _ctx(request: Request) -> WebContext:
    return request.app.state.web


@router.get("/queue", tags=["runs"])
def queue(context: Annotated[WebContext, Depends(_ctx)]) -> QueueOut:
    """The PostgreSQL job queue: waiting, running, scheduled (retries) and failed runs, and the age of
    the oldest waiting run; ``mode: inprocess`` when jobs run inside ``serve``."""
    return queue_summary(context)
