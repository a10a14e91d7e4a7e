"""Our own SDL for the fake Hardcover must be a strict subset of the real schema (no invented types)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_client_schema,
)

from bookrelay.sandbox.hardcover.schema import load_sdl_schema

pytestmark = pytest.mark.needs_ref


@pytest.fixture(scope="module")
def real_schema(ref_dir: Path) -> GraphQLSchema:
    raw = json.loads((ref_dir / "hardcover" / "schema.json").read_text(encoding="utf-8"))
    return build_client_schema(raw["data"])


def _own_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    return {name: t for name, t in schema.type_map.items() if not name.startswith("__")}


def _subset_problems(ours: GraphQLSchema, real: GraphQLSchema) -> list[str]:
    problems: list[str] = []
    for name, own in _own_types(ours).items():
        theirs = real.type_map.get(name)
        if theirs is None:
            problems.append(f"type {name} is not in the real schema")
            continue
        if type(own) is not type(theirs):
            problems.append(f"type {name}: kind {type(own).__name__} != real {type(theirs).__name__}")
            continue
        if isinstance(own, GraphQLEnumType):
            assert isinstance(theirs, GraphQLEnumType)
            problems += [f"enum {name}.{v} not real" for v in own.values if v not in theirs.values]
        if isinstance(own, GraphQLObjectType | GraphQLInputObjectType):
            assert isinstance(theirs, GraphQLObjectType | GraphQLInputObjectType)
            for fname, field in own.fields.items():
                real_field = theirs.fields.get(fname)
                if real_field is None:
                    problems.append(f"{name}.{fname} is not in the real schema")
                    continue
                if str(field.type) != str(real_field.type):
                    problems.append(f"{name}.{fname}: {field.type} != real {real_field.type}")
                for aname, arg in getattr(field, "args", {}).items():
                    real_arg = real_field.args.get(aname)
                    if real_arg is None:
                        problems.append(f"{name}.{fname}({aname}) is not a real argument")
                    elif str(arg.type) != str(real_arg.type):
                        problems.append(f"{name}.{fname}({aname}): {arg.type} != real {real_arg.type}")
    return problems


def test_sdl_types_fields_and_arguments_exist_in_the_real_schema(real_schema: GraphQLSchema) -> None:
    ours = load_sdl_schema()
    assert _subset_problems(ours, real_schema) == []


def test_sdl_uses_the_real_root_type_names(real_schema: GraphQLSchema) -> None:
    ours = load_sdl_schema()
    assert ours.query_type is not None and ours.mutation_type is not None
    assert ours.query_type.name == real_schema.query_type.name == "query_root"  # type: ignore[union-attr]
    assert ours.mutation_type.name == real_schema.mutation_type.name == "mutation_root"  # type: ignore[union-attr]


def test_subset_check_catches_an_invented_field(real_schema: GraphQLSchema) -> None:
    """The checker itself can fail: a made-up field and a changed nullability are both reported."""
    from graphql import build_schema

    fake = build_schema(
        "schema { query: query_root }\n"
        "type query_root { books: [books!]! }\n"
        "type books { id: Int, invented: String }\n"
    )
    problems = _subset_problems(fake, real_schema)
    assert any("books.invented" in p for p in problems)
    assert any("books.id: Int != real Int!" in p for p in problems)


def test_scalars_are_the_real_scalar_names(real_schema: GraphQLSchema) -> None:
    ours = load_sdl_schema()
    scalars = {n for n, t in _own_types(ours).items() if isinstance(t, GraphQLScalarType)}
    assert {"date", "numeric", "float8", "jsonb", "json", "citext", "bigint"} <= scalars
    assert all(isinstance(real_schema.type_map[n], GraphQLScalarType) for n in scalars)
