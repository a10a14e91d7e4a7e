"""What Hardcover's failures mean: the errors only Hardcover has, and the reading of its refusals
(403 bodies, a GraphQL ``errors`` array, a result's own ``error``) into ``bookrelay.errors`` (N3, N4).

Facts: ref/hardcover.md §2 (scopes), §3 (limits), §5 (in-band errors). Every text is redacted (S1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

import httpx

from bookrelay.connectors.hardcover.answers import error_text, graphql_codes, result_error
from bookrelay.connectors.hardcover.documents import OperationShape
from bookrelay.errors import AuthError, BadResponse, ServiceUnavailable
from bookrelay.redact import redact

SERVICE = "hardcover"

# The scope each root field needs (ref §2), to name it when the server hides a field from the token.
SCOPE_FOR_FIELD = {
    "me": "read:me:content",
    "user_books": "read:library",
    "user_book_reads": "read:library",
    "books": "read:catalog",
    "editions": "read:catalog",
    "contributions": "read:catalog",  # the depth-3 forms read a book's parts as top-level fields
    "book_series": "read:catalog",
    "search": "read:catalog",
    "insert_user_book": "write:library",
    "update_user_book": "write:library",
    "insert_user_book_read": "write:library",
    "update_user_book_read": "write:library",
    "lists": "read:lists",
    "list_books": "read:lists",
    "insert_list": "write:lists",
    "insert_list_book": "write:lists",
    "delete_list_book": "write:lists",
    "edition_owned": "write:library",
}
_FIELD_NOT_FOUND = re.compile(r"field ['\"](?P<field>\w+)['\"] not found")
# Hasura's exact words for a depth refusal are not published; any error naming depth and a limit is one.
_DEPTH_REFUSAL = re.compile(
    r"\bdepth\b.*\b(limit|exceed\w*|maximum|max)\b|\b(limit|exceed\w*|maximum|max)\b.*\bdepth\b", re.I
)


class AmbiguousWrite(ServiceUnavailable):
    """A write failed in a way that does not tell whether it happened: re-read before retrying (N2, P11)."""

    outcome_unknown = True


class DepthLimited(BadResponse):
    """The server refused the document for its query depth: a validation error, so nothing of it ran."""


class UnreadableWriteAnswer(BadResponse):
    """A write was answered with something unreadable; it may have happened, so re-read first (P11)."""

    outcome_unknown = True


def outcome_unknown(error: BaseException) -> bool:
    """True when ``error`` leaves it open whether a write reached Hardcover."""
    return bool(getattr(error, "outcome_unknown", False))


def ambiguous_write(shape: OperationShape, message: str) -> AmbiguousWrite:
    """The error of a write whose failure (``message``) leaves open whether it happened."""
    return AmbiguousWrite(
        f"{shape.label}: {message}; the write may have happened, re-read before retrying", service=SERVICE
    )


def auth_error(
    shape: OperationShape,
    body: Any,
    fallback: str,
    *,
    token_name: str,
    scope: str | None = None,
    lead: str = "",
) -> AuthError:
    """An AuthError naming the token (and the scope when known) in the server's words, or ``fallback``."""
    return AuthError(
        f"{shape.label}: {lead}{error_text(body, lead='') or fallback}",
        service=SERVICE,
        token_name=token_name,
        scope=scope,
    )


def raise_forbidden(shape: OperationShape, body: Any, *, token_name: str) -> NoReturn:
    """Read a 403: a missing scope (N4), or one of Hardcover's refusals of the document itself."""
    code = body.get("error") if isinstance(body, dict) else None
    codes = graphql_codes(body)
    if code == "insufficient_scope":
        scope = body.get("scope") if isinstance(body.get("scope"), str) else None
        raise auth_error(
            shape, body, "insufficient scope", token_name=token_name, scope=scope or scope_for(shape)
        )
    if code == "top_level_limit_exceeded" or "top_level_limit_exceeded" in codes:
        raise BadResponse(
            f"{shape.label}: Hardcover refused {shape.units} top-level fields (a bookrelay bug)"
            f"{error_text(body)}",
            service=SERVICE,
        )
    if code == "unsupported_operation" or "unsupported_operation" in codes:
        raise BadResponse(f"{shape.label}: unsupported operation{error_text(body)}", service=SERVICE)
    raise auth_error(shape, body, "access forbidden (403)", token_name=token_name, scope=scope_for(shape))


def raise_graphql_errors(shape: OperationShape, errors: Any, *, token_name: str) -> NoReturn:
    """Read a GraphQL ``errors`` array (N3): a hidden field or scope (N4), a depth refusal, or a failure."""
    if not isinstance(errors, list):
        raise BadResponse(f"{shape.label}: malformed 'errors' in the answer", service=SERVICE)
    messages = [redact(str(e.get("message", e))) if isinstance(e, dict) else redact(str(e)) for e in errors]
    for message in messages:
        lowered = message.lower()
        found = _FIELD_NOT_FOUND.search(message)
        if "insufficient scope" in lowered or "insufficient_scope" in lowered or found:
            field = found.group("field") if found else None
            scope = SCOPE_FOR_FIELD.get(field) if field else scope_for(shape)
            raise AuthError(f"{shape.label}: {message}", service=SERVICE, token_name=token_name, scope=scope)
    if any(_DEPTH_REFUSAL.search(message) for message in messages):
        raise DepthLimited(f"{shape.label}: {'; '.join(messages)}", service=SERVICE)
    raise BadResponse(f"{shape.label}: GraphQL errors: {'; '.join(messages)}", service=SERVICE)


def raise_on_result_errors(shape: OperationShape, data: Mapping[str, Any]) -> None:
    """N3: a top-level result with a non-null ``error``/``errors`` is a failure, never a success."""
    for key in shape.fields:
        problem = result_error(data.get(key))
        if problem is not None:
            raise BadResponse(f"{shape.label}: {key} failed: {problem}", service=SERVICE)


def content_kind(response: httpx.Response) -> str:
    """What came instead of JSON, in a few words: the content type, and HTML said as such."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    if "html" in content_type or response.content.lstrip()[:1] == b"<":
        return f"an HTML page, {content_type}"
    return content_type


def scope_for(shape: OperationShape) -> str | None:
    """The scopes the document's root fields need, space-separated, or None when none is known."""
    scopes = sorted({SCOPE_FOR_FIELD[name] for name in shape.field_names if name in SCOPE_FOR_FIELD})
    return " ".join(scopes) or None
