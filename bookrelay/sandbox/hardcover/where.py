"""Hasura-style ``where`` / ``order_by`` / ``limit`` / ``offset`` over in-memory rows.

Semantics follow Hasura on PostgreSQL: a comparison against a NULL column is false (``_is_null`` aside);
a comparison operator given ``null`` is ignored (Hasura v2's default); ``_and: []`` is true and
``_or: []`` is false; an array relationship matches when any related row does; ascending order puts
NULLs last and descending first unless ``*_nulls_first/last`` says otherwise.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cmp_to_key, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bookrelay.sandbox.hardcover.tables import Ctx, Table

Row = dict[str, Any]

# Disabled on Hardcover (ref §3) though still in the schema; `_nilike` is not on the list.
BLOCKED_OPERATORS = frozenset(
    {"_like", "_nlike", "_ilike", "_niregex", "_nregex", "_iregex", "_regex", "_nsimilar", "_similar"}
)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "_eq": operator.eq,
    "_neq": operator.ne,
    "_gt": operator.gt,
    "_gte": operator.ge,
    "_lt": operator.lt,
    "_lte": operator.le,
}


class FilterError(Exception):
    """An expression the fake cannot evaluate (answered as a GraphQL error)."""


def find_blocked_operator(value: Any) -> str | None:
    """The first disabled operator used as a key anywhere in ``value`` (dicts and lists), or None."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key in BLOCKED_OPERATORS:
                return str(key)
            found = find_blocked_operator(inner)
            if found:
                return found
    elif isinstance(value, list):
        for inner in value:
            found = find_blocked_operator(inner)
            if found:
                return found
    return None


def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def _fold(value: Any, citext: bool) -> Any:
    return value.casefold() if citext and isinstance(value, str) else value


@lru_cache(maxsize=64)
def _folded_values(values: tuple[Any, ...], citext: bool) -> frozenset[Any] | tuple[Any, ...]:
    """An ``_in`` list folded once, not once per row it is compared with (a set when hashable)."""
    folded = tuple(_fold(a, citext) for a in values)
    try:
        return frozenset(folded)
    except TypeError:
        return folded


def _compare(value: Any, ops: Mapping[str, Any], *, citext: bool) -> bool:
    for op, arg in ops.items():
        if arg is None and op != "_is_null":
            continue  # Hasura v2 drops a comparison whose argument is null
        if op == "_is_null":
            if arg is None:
                continue
            if (value is None) != bool(arg):
                return False
            continue
        if value is None:
            return False
        left = _fold(value, citext)
        if op in ("_in", "_nin"):
            try:
                inside = left in _folded_values(tuple(arg), citext)
            except TypeError:  # an unhashable value (a jsonb object): compare one by one
                inside = left in [_fold(a, citext) for a in arg]
            if inside != (op == "_in"):
                return False
            continue
        if op == "_nilike":
            if _like_regex(str(arg)).match(str(value)):
                return False
            continue
        compare = _OPERATORS.get(op)
        if compare is None:
            raise FilterError(f"operator {op} is not supported by the sandbox")
        try:
            ok = compare(left, _fold(arg, citext))
        except TypeError:
            raise FilterError(f"cannot compare {value!r} with {arg!r} using {op}") from None
        if not ok:
            return False
    return True


def matches(ctx: Ctx, table: Table, row: Row, where: Mapping[str, Any] | None) -> bool:
    """Whether ``row`` of ``table`` satisfies the boolean expression ``where``."""
    if not where:
        return True
    for key, cond in where.items():
        if cond is None:
            continue
        if key == "_and":
            if not all(matches(ctx, table, row, c) for c in cond):
                return False
        elif key == "_or":
            if not any(matches(ctx, table, row, c) for c in cond):
                return False
        elif key == "_not":
            if matches(ctx, table, row, cond):
                return False
        elif key in table.relations:
            rel = table.relations[key]
            target = ctx.table(rel.target)
            related = rel.fetch(ctx, row)
            if rel.many:
                if not any(matches(ctx, target, r, cond) for r in related):
                    return False
            elif related is None or not matches(ctx, target, related, cond):
                return False
        elif not _compare(table.value(ctx, row, key), cond, citext=key in table.citext):
            return False
    return True


def _order_terms(ctx: Ctx, table: Table, spec: Mapping[str, Any]) -> list[Any]:
    """Flatten ``{book: {title: asc}, id: desc}`` into (getter, direction) terms, in key order."""
    terms: list[Any] = []
    for key, direction in spec.items():
        if direction is None:
            continue
        if key in table.relations and isinstance(direction, Mapping):
            rel = table.relations[key]
            target = ctx.table(rel.target)
            for getter, d in _order_terms(ctx, target, direction):
                terms.append((_via(rel.fetch, getter), d))
        else:
            terms.append((_column(table, key), str(direction)))
    return terms


def _column(table: Table, key: str) -> Callable[[Ctx, Row], Any]:
    def get(ctx: Ctx, row: Row) -> Any:
        return _fold(table.value(ctx, row, key), key in table.citext)

    return get


def _via(fetch: Callable[[Ctx, Row], Any], inner: Callable[[Ctx, Row], Any]) -> Callable[[Ctx, Row], Any]:
    def get(ctx: Ctx, row: Row) -> Any:
        related = fetch(ctx, row)
        return None if related is None else inner(ctx, related)

    return get


def _sorted(ctx: Ctx, rows: list[Row], terms: list[Any]) -> list[Row]:
    keyed = [([getter(ctx, row) for getter, _ in terms], row) for row in rows]

    def cmp(a: tuple[list[Any], Row], b: tuple[list[Any], Row]) -> int:
        for (x, y), (_, direction) in zip(zip(a[0], b[0], strict=True), terms, strict=True):
            if x == y:
                continue
            desc = direction.startswith("desc")
            nulls_first = direction.endswith("nulls_first") or (desc and not direction.endswith("nulls_last"))
            if x is None or y is None:
                return (-1 if x is None else 1) * (1 if nulls_first else -1)
            result = -1 if x < y else 1
            return -result if desc else result
        return 0

    return [row for _, row in sorted(keyed, key=cmp_to_key(cmp))]


def select(
    ctx: Ctx,
    table: Table,
    rows: Iterable[Row],
    *,
    where: Mapping[str, Any] | None = None,
    order_by: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> list[Row]:
    """Rows filtered by ``where``, sorted by ``order_by``, then paged by ``offset``/``limit``."""
    if (limit is not None and limit < 0) or (offset is not None and offset < 0):
        raise FilterError("limit and offset must not be negative")
    chosen = [row for row in rows if matches(ctx, table, row, where)]
    if order_by:
        specs = [order_by] if isinstance(order_by, Mapping) else order_by
        terms = [term for spec in specs for term in _order_terms(ctx, table, spec)]
        chosen = _sorted(ctx, chosen, terms)
    start = offset or 0
    return chosen[start:] if limit is None else chosen[start : start + limit]
