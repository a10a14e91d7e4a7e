"""Hardcover's writes as values: :class:`WriteOp` (one mutation, its input checked against the schema's
input fields before sending) and :class:`WriteResult` (its outcome read from the answer, N3, P11).

Reference: ref/hardcover.md §5 (mutations and their inputs), §6 (side effects).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from bookrelay.connectors.hardcover import documents as docs
from bookrelay.connectors.hardcover import mapper
from bookrelay.connectors.hardcover.answers import result_error
from bookrelay.connectors.hardcover.documents import WriteKind
from bookrelay.domain.models import Read, Status, UserBook
from bookrelay.errors import BadResponse, BookrelayError

SERVICE = "hardcover"

# Input fields the schema accepts (ref §5); anything else is a bookrelay bug, caught before sending.
USER_BOOK_INPUT_FIELDS = frozenset(
    {
        "action_at", "date_added", "edition_id", "finished_at_precision", "first_started_reading_date",
        "last_read_date", "media_url", "privacy_setting_id", "private_notes", "rating", "read_count",
        "recommended_by", "recommended_for", "referrer_user_id", "review_has_spoilers", "review_markdown",
        "review_slate", "reviewed_at", "sponsored_review", "status_id", "url", "user_date", "user_start_date",
    }
)  # fmt: skip
READ_INPUT_FIELDS = frozenset(
    {
        "action", "action_at", "edition_id", "finished_at", "finished_at_precision", "id",
        "progress_pages", "progress_seconds", "started_at",
    }
)  # fmt: skip
_TIMESTAMP_FIELDS = frozenset({"action_at"})


def _wire_value(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        if key not in _TIMESTAMP_FIELDS:
            # P10: dates are calendar dates in the user's zone; a datetime here would go through UTC.
            raise ValueError(f"{key}: pass a datetime.date, not a datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _wire_fields(fields: Mapping[str, Any], allowed: frozenset[str], place: str) -> dict[str, Any]:
    """Fields as the wire wants them; keys are kept exactly (omitted keeps, explicit None clears, §6.3)."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValueError(f"{place}: unknown input fields {', '.join(unknown)}")
    return {key: _wire_value(key, value) for key, value in fields.items()}


def _user_book_fields(fields: Mapping[str, Any], place: str) -> dict[str, Any]:
    fields = dict(fields)
    if "status" in fields:
        if "status_id" in fields:
            raise ValueError(f"{place}: give status or status_id, not both")
        fields["status_id"] = Status(fields.pop("status"))
    return _wire_fields(fields, USER_BOOK_INPUT_FIELDS, place)


@dataclass(frozen=True, slots=True)
class WriteOp:
    """One mutation to send, possibly packed with others (N5); build it with the class methods."""

    kind: WriteKind
    arguments: Mapping[str, Any]

    @classmethod
    def insert_user_book(
        cls, book_id: int, status: Status, edition_id: int | None = None, **fields: Any
    ) -> WriteOp:
        """Add a book to the library (``insert_user_book``); extra ``fields`` per UserBookCreateInput."""
        obj = {"book_id": book_id, **_user_book_fields({"status": status, **fields}, "insert_user_book")}
        if edition_id is not None:
            obj["edition_id"] = edition_id
        return cls("insert_user_book", {"object": obj})

    @classmethod
    def update_user_book(cls, user_book_id: int, **fields: Any) -> WriteOp:
        """Change a library entry (``update_user_book(id, object)``): status, edition_id, rating, …"""
        if not fields:
            raise ValueError("update_user_book: nothing to change")
        return cls(
            "update_user_book", {"id": user_book_id, "object": _user_book_fields(fields, "update_user_book")}
        )

    @classmethod
    def insert_user_book_read(cls, user_book_id: int, read_fields: Mapping[str, Any]) -> WriteOp:
        """Start a new read-through (``insert_user_book_read(user_book_id, user_book_read)``)."""
        read = _wire_fields(read_fields, READ_INPUT_FIELDS, "insert_user_book_read")
        return cls("insert_user_book_read", {"user_book_id": user_book_id, "user_book_read": read})

    @classmethod
    def update_user_book_read(cls, read_id: int, read_fields: Mapping[str, Any]) -> WriteOp:
        """Change a read (``update_user_book_read(id, object)``); omitted fields keep their value (§6.3)."""
        if not read_fields:
            raise ValueError("update_user_book_read: nothing to change")
        read = _wire_fields(read_fields, READ_INPUT_FIELDS, "update_user_book_read")
        return cls("update_user_book_read", {"id": read_id, "object": read})


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one packed write: ``ok`` with its mapped payload, or its own ``error`` (N3)."""

    op: WriteOp
    ok: bool
    id: int | None = None
    error: str | None = None
    user_book: UserBook | None = None
    read: Read | None = None
    outcome_unknown: bool = False  # the answer was unreadable: the write may have happened (P11)


def write_result(op: WriteOp, wire: Any, index: int) -> WriteResult:
    """The outcome of ``op`` read from its result ``wire`` (alias ``index`` of its request), never raising."""
    place = f"{docs.write_alias(index)}:{op.kind}"
    if not isinstance(wire, Mapping):
        return WriteResult(op, ok=False, error=f"{place}: no result in the answer", outcome_unknown=True)
    error = result_error(wire)
    raw_id = wire.get("id")
    result_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    if error is not None:
        return WriteResult(op, ok=False, id=result_id, error=error)
    try:
        if op.kind in ("insert_user_book", "update_user_book"):
            payload = wire.get("user_book")
            if payload is None:
                raise BadResponse(f"{place}: no user_book and no error", service=SERVICE)
            return WriteResult(op, ok=True, id=result_id, user_book=mapper.map_user_book(payload, place))
        payload = wire.get("user_book_read")
        if payload is None:
            raise BadResponse(f"{place}: no user_book_read and no error", service=SERVICE)
        return WriteResult(op, ok=True, id=result_id, read=mapper.map_read(payload, place))
    except BookrelayError as exc:
        # The server took the write but answered it in a shape we cannot read.
        return WriteResult(op, ok=False, id=result_id, error=exc.message, outcome_unknown=True)
