"""Loads the fake Hardcover's own SDL (a subset of the real schema) and tightens its custom scalars."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    ValueNode,
    build_schema,
    value_from_ast_untyped,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: Any) -> str:
    # Hasura accepts ISO dates only; checking here makes a bad date a GraphQL error, as on the real server.
    if isinstance(value, str) and _DATE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise GraphQLError(f"invalid date: {value!r} (expected YYYY-MM-DD)")


def _parse_number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GraphQLError(f"invalid number: {value!r}")
    try:
        number = float(value)
    except ValueError as exc:
        raise GraphQLError(f"invalid number: {value!r}") from exc
    return int(number) if number.is_integer() and not isinstance(value, float) else number


def _literal(parse: Any) -> Any:
    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        return parse(value_from_ast_untyped(node, variables))

    return parse_literal


def _tighten(scalar: GraphQLScalarType, parse: Any) -> None:
    scalar.parse_value = parse  # type: ignore[method-assign]
    scalar.parse_literal = _literal(parse)  # type: ignore[method-assign]
    if hasattr(scalar, "coerce_input_value"):  # graphql-core 3.3 coerces variables through this one
        scalar.coerce_input_value = parse


def sdl_text() -> str:
    """The text of ``schema.graphql`` shipped with the package."""
    return resources.files(__package__).joinpath("schema.graphql").read_text(encoding="utf-8")


def build_sdl_schema() -> GraphQLSchema:
    """A fresh GraphQL schema from ``schema.graphql`` with strict ``date`` and number scalars."""
    schema = build_schema(sdl_text())
    _tighten(schema.type_map["date"], _parse_date)  # type: ignore[arg-type]
    for name in ("numeric", "float8", "bigint"):
        _tighten(schema.type_map[name], _parse_number)  # type: ignore[arg-type]
    return schema


@cache
def load_sdl_schema() -> GraphQLSchema:
    """The fake's GraphQL schema without resolvers, built once per process (for checks and tools)."""
    return build_sdl_schema()
