"""The fake Hardcover as a Starlette app: ``POST /v1/graphql`` with Hardcover's gatekeeping in front.

Order of checks per request (each refusal spends no units): injected fault → Authorization (401) →
JSON body (400) → GraphQL syntax (200 + errors) → query depth, when limited (200 + errors) →
top-level field limits (403) → token scopes (403) →
blocked operators (403) → rate and daily budget (429) → validation and execution (200).
Every answer to a known token carries the ``RateLimit`` headers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bookrelay.sandbox.hardcover.depth import operation_depth
from bookrelay.sandbox.hardcover.limits import rate_headers, try_spend
from bookrelay.sandbox.hardcover.resolvers import executable_schema
from bookrelay.sandbox.hardcover.state import Caller, HardcoverState
from bookrelay.sandbox.hardcover.tables import Ctx
from bookrelay.sandbox.hardcover.where import BLOCKED_OPERATORS, find_blocked_operator

# Scope needed per top-level field (ref/hardcover.md §2). `users` is not documented: read:catalog is our pick.
FIELD_SCOPES = {
    **dict.fromkeys(
        (
            "books",
            "editions",
            "search",
            "authors",
            "contributions",
            "book_series",
            "series",
            "reading_formats",
            "languages",
            "users",
        ),
        "read:catalog",
    ),
    "user_books": "read:library",
    "user_book_reads": "read:library",
    "me": "read:me:content",
    "lists": "read:lists",
    "list_books": "read:lists",
    **dict.fromkeys(
        (
            "insert_user_book",
            "update_user_book",
            "delete_user_book",
            "insert_user_book_read",
            "update_user_book_read",
            "delete_user_book_read",
            "upsert_user_book_reads",
            "edition_owned",
        ),
        "write:library",
    ),
    **dict.fromkeys(("insert_list", "insert_list_book", "delete_list_book"), "write:lists"),
}


class _Refusal(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def has_scope(granted: tuple[str, ...], needed: str) -> bool:
    """Whether granted scopes cover ``needed``: ``all`` covers everything, ``a:b`` covers ``a:b:c``."""
    return any(s == "all" or needed == s or needed.startswith(s + ":") for s in granted)


def _gql_error(message: str, code: str, path: str = "$") -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"path": path, "code": code}}]}


def _top_level_fields(document: DocumentNode, operation: OperationDefinitionNode) -> list[str]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def walk(selection_set: SelectionSetNode, seen: frozenset[str]) -> Iterator[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                yield from walk(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    yield from walk(fragments[name].selection_set, seen | {name})

    return [name for name in walk(operation.selection_set, frozenset()) if not name.startswith("__")]


@lru_cache(maxsize=1024)
def _blocked_in_query(query: str) -> str | None:
    document, _ = _compile(query)
    return None if document is None else _blocked_in_document(document)


def _blocked_in_document(document: DocumentNode) -> str | None:
    found: list[str] = []

    class _Find(Visitor):
        def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
            if node.name.value in BLOCKED_OPERATORS:
                found.append(node.name.value)

    visit(document, _Find())
    return found[0] if found else None


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise _Refusal(401, {"error": "Malformed Authorization header"})
    return header[7:].strip()


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Refusal(400, _gql_error(f"invalid JSON body: {exc}", "invalid-json")) from None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise _Refusal(400, _gql_error("the body must be an object with a string 'query'", "bad-request"))
    if body.get("variables") is not None and not isinstance(body["variables"], dict):
        raise _Refusal(400, _gql_error("'variables' must be an object", "bad-request", "$.variables"))
    return body


def _gatekeep(state: HardcoverState, caller: Caller, document: DocumentNode, body: dict[str, Any]) -> None:
    operation = get_operation_ast(document, body.get("operationName"))
    if operation is None:
        return  # validation reports the missing or ambiguous operation
    max_depth = state.limits.max_depth
    if max_depth is not None:
        depth = operation_depth(document, operation)
        if depth > max_depth:
            # Hasura checks its API limits before running anything and answers like a validation error.
            state.count(caller, depth_refused=1)
            message = f"query depth {depth} exceeds the maximum query depth of {max_depth}"
            raise _Refusal(200, _gql_error(message, "validation-failed"))
    fields = _top_level_fields(document, operation)
    limit = state.limits.max_top_level
    if len(fields) > limit or fields.count("search") > 1:
        message = (
            "Only one search is allowed per request"
            if fields.count("search") > 1 and len(fields) <= limit
            else f"{len(fields)} top-level fields in one request; at most {limit} are allowed"
        )
        raise _Refusal(403, _gql_error(message, "top_level_limit_exceeded"))
    for name in fields:
        needed = FIELD_SCOPES.get(name)
        if needed and not has_scope(caller.scopes, needed):
            raise _Refusal(403, {"error": "insufficient_scope", "scope": needed})
    blocked = _blocked_in_query(body["query"]) or find_blocked_operator(body.get("variables"))
    if blocked:
        message = f"The {blocked} operator is not allowed on Hardcover; use _eq/_in or search"
        raise _Refusal(403, {"error": "unsupported_operation", "message": message})
    units = max(1, len(fields))
    decision = try_spend(state.bucket(caller), state.limits, state.clock(), units)
    if not decision.allowed:
        state.count(caller, rate_limited=1)
        what = "daily request quota" if decision.reason == "daily" else "rate limit"
        message = f"{what} exceeded: this request needs {units} units; retry in {decision.retry_after} s"
        body_429 = {"error": "Too Many Requests", "message": message}
        raise _Refusal(429, body_429, {"Retry-After": str(decision.retry_after)})
    state.count(caller, units=units)


@lru_cache(maxsize=1024)
def _compile(query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """Parse and validate a query once per distinct text (clients resend the same few documents)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, (exc,)
    return document, tuple(validate(executable_schema(), document))


def _run(
    state: HardcoverState, caller: Caller, document: DocumentNode, body: dict[str, Any]
) -> dict[str, Any]:
    schema = executable_schema()
    _, problems = _compile(body["query"])
    if problems:
        return {"errors": [_format(e, "validation-failed") for e in problems]}
    result = execute_sync(
        schema,
        document,
        context_value=Ctx(state, caller),
        variable_values=body.get("variables"),
        operation_name=body.get("operationName"),
    )
    if result.errors:
        code = "validation-failed" if result.data is None else "unexpected"
        return {"errors": [_format(e, code) for e in result.errors]}
    return {"data": result.data}


def _format(error: GraphQLError, code: str) -> dict[str, Any]:
    path = "$" + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in (error.path or []))
    return {"message": error.message, "extensions": {"path": path, "code": code}}


def build_hardcover_app(state: HardcoverState) -> Starlette:
    """A Starlette app serving the fake's ``POST /v1/graphql`` over ``state``."""

    async def graphql_endpoint(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        caller = state.caller_for(token) if token else None
        state.count(caller, requests=1)
        status, headers, payload = 200, {}, {}
        try:
            fault = state.take_fault()
            if fault is not None:
                after = (
                    fault.retry_after
                    if fault.retry_after is not None
                    else (1 if fault.status == 429 else None)
                )
                raise _Refusal(
                    fault.status,
                    {"error": f"injected HTTP {fault.status}"},
                    {"Retry-After": str(after)} if after is not None else {},
                )
            if caller is None:
                _bearer(request)  # raises for a missing or malformed header
                raise _Refusal(
                    401, {"error": "invalid_token", "error_description": "Invalid or expired token"}
                )
            body = await _body(request)
            document, problems = _compile(body["query"])
            if document is None:
                payload = _gql_error(problems[0].message, "validation-failed")
            else:
                _gatekeep(state, caller, document, body)
                payload = _run(state, caller, document, body)
        except _Refusal as refusal:
            status, payload, headers = refusal.status, refusal.body, refusal.headers
            if status in (400, 401, 403):
                state.count(caller, rejected=1)
        headers.update(rate_headers(state.bucket(caller) if caller else None, state.limits, state.clock()))
        return JSONResponse(payload, status_code=status, headers=headers)

    return Starlette(routes=[Route("/v1/graphql", graphql_endpoint, methods=["POST"])])
