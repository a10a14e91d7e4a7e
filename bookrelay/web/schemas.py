"""The API's request and answer shapes (pydantic): what the OpenAPI document describes.

Requests reject unknown fields and bound every value to what the store can hold (S3): an integer
beyond PostgreSQL's ``integer``, a NUL byte or an over-long id is a 422 naming the field, never a 500.
Answers never carry a secret (S1): credentials are listed by service and name only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bookrelay.domain.jobs import JobName

DB_INT_MAX = 2_147_483_647  # PostgreSQL ``integer``

Job = JobName
SourceName = Literal["abs", "audible"]
ServiceName = Literal["hardcover", "audiobookshelf", "audible", "bookshelf"]
UserId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", examples=["alice"])]
ItemId = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]
CredentialName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=["token"])]
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
SearchText = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    """One problem; ``field`` is the dotted place in the request (``body.book_id``) when known."""

    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    """Every error answer: a kind (the error class), a message safe to show, and the problems."""

    error: str
    message: str
    details: list[ErrorDetail] = []


class Health(BaseModel):
    """``/healthz`` and ``/readyz``."""

    status: Literal["ok", "unavailable"]
    detail: str | None = None


class TriggerRequest(_Request):
    """Start a job for a user now."""

    user_id: UserId
    job: Job = "progress"
    dry_run: bool = False


class TriggerAnswer(BaseModel):
    """The run that was started; follow it at ``/api/v1/runs/{run_id}``."""

    run_id: int


class ResolveRequest(_Request):
    """Settle a conflict: link the item to this book (and edition), pinned (M1)."""

    book_id: DbId
    edition_id: DbId | None = None


class LinkRef(_Request):
    """Names one source item of a user."""

    user_id: UserId
    source: SourceName = "abs"
    item_id: ItemId


class PinRequest(LinkRef):
    """Pin an item to a Hardcover book (M1)."""

    book_id: DbId
    edition_id: DbId | None = None


class SyncToggle(LinkRef):
    """Switch syncing of one item on or off (A1)."""

    enabled: bool


class UserCreate(_Request):
    """Add a user to the store (its services still come from the configuration or credentials)."""

    id: UserId


class CredentialValue(_Request):
    """The secret to store, encrypted (S1)."""

    value: Annotated[str, Field(min_length=1, max_length=8192)]
