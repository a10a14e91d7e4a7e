"""Binds the fake's SDL to its tables: one executable graphql-core schema, built once per process.

Resolvers are state-free; the request's :class:`~bookrelay.sandbox.hardcover.tables.Ctx` arrives as
graphql-core's ``context_value``, so one schema serves any number of sandboxes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from bookrelay.sandbox.hardcover import list_actions, mutations
from bookrelay.sandbox.hardcover.schema import build_sdl_schema
from bookrelay.sandbox.hardcover.search import run_search
from bookrelay.sandbox.hardcover.tables import TABLES, Ctx, Relation, Row, Table
from bookrelay.sandbox.hardcover.where import select

Resolver = Callable[..., Any]

MUTATIONS: dict[str, Resolver] = {
    "insert_user_book": mutations.insert_user_book,
    "update_user_book": mutations.update_user_book,
    "delete_user_book": mutations.delete_user_book,
    "insert_user_book_read": mutations.insert_user_book_read,
    "update_user_book_read": mutations.update_user_book_read,
    "delete_user_book_read": mutations.delete_user_book_read,
    "upsert_user_book_reads": mutations.upsert_user_book_reads,
    "edition_owned": list_actions.edition_owned,
    "insert_list": list_actions.insert_list,
    "insert_list_book": list_actions.insert_list_book,
    "delete_list_book": list_actions.delete_list_book,
}


def _ctx(info: GraphQLResolveInfo) -> Ctx:
    return info.context


def _listing(table: Table, rows_for: Callable[[Ctx, Any], Any]) -> Resolver:
    def resolve(
        root: Any,
        info: GraphQLResolveInfo,
        where: dict[str, Any] | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Row]:
        ctx = _ctx(info)
        return select(
            ctx, table, rows_for(ctx, root), where=where, order_by=order_by, limit=limit, offset=offset
        )

    return resolve


def _object(rel: Relation) -> Resolver:
    def resolve(root: Row, info: GraphQLResolveInfo, **_: Any) -> Any:
        return rel.fetch(_ctx(info), root)

    return resolve


def _computed(getter: Callable[[Ctx, Row], Any]) -> Resolver:
    def resolve(root: Row, info: GraphQLResolveInfo, **_: Any) -> Any:
        return getter(_ctx(info), root)

    return resolve


def _visible_rows(table: Table) -> Callable[[Ctx, Any], Any]:
    def rows(ctx: Ctx, _: Any) -> Any:
        return table.visible(ctx)

    return rows


def _me(ctx: Ctx, _: Any) -> list[Row]:
    return [ctx.rows("users")[ctx.user_id]]


def _search(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return run_search(_ctx(info), **args)


def _bind_table(schema: GraphQLSchema, table: Table) -> None:
    gql_type = schema.type_map.get(table.name)
    if not isinstance(gql_type, GraphQLObjectType):
        return
    for name, field in gql_type.fields.items():
        rel = table.relations.get(name)
        if rel is not None and rel.many:
            field.resolve = _listing(TABLES[rel.target], rel.fetch)
        elif rel is not None:
            field.resolve = _object(rel)
        elif name in table.computed:
            field.resolve = _computed(table.computed[name])


@cache
def executable_schema() -> GraphQLSchema:
    """The fake's schema with every resolver attached (shared, read-only after build)."""
    schema = build_sdl_schema()
    for table in TABLES.values():
        _bind_table(schema, table)
    query = schema.query_type
    mutation = schema.mutation_type
    assert query is not None and mutation is not None
    for name, field in query.fields.items():
        if name == "search":
            field.resolve = _search
        elif name == "me":
            field.resolve = _listing(TABLES["users"], _me)
        else:
            field.resolve = _listing(TABLES[name], _visible_rows(TABLES[name]))
    for name, field in mutation.fields.items():
        field.resolve = MUTATIONS[name]
    return schema
