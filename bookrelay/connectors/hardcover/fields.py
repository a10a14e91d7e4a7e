"""Readers of Hardcover wire values, for the mapper: strict ones that raise ``BadResponse`` naming the
place (rule S3), forgiving ones for fields used only for scoring or display, and the row loop that sets
a malformed row aside in a :class:`ShapeLog` instead of refusing the whole answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from bookrelay.connectors.hardcover.shape_log import ShapeLog
from bookrelay.errors import BadResponse

SERVICE = "hardcover"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T = TypeVar("T")


def bad(place: str, problem: str) -> BadResponse:
    """The error for a malformed value, naming its place."""
    return BadResponse(f"{place}: {problem}", service=SERVICE)


def as_object(value: Any, place: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or the error naming ``place``."""
    if not isinstance(value, Mapping):
        raise bad(place, f"expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, place: str) -> Sequence[Any]:
    """``value`` as a JSON list (null is empty), or the error naming ``place``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad(place, f"expected a list, got {type(value).__name__}")
    return value


def int_field(obj: Mapping[str, Any], key: str, place: str, *, required: bool = False) -> int | None:
    """``obj[key]`` as an integer (None when null, unless ``required``), or the error naming the place."""
    value = obj.get(key)
    if value is None:
        if required:
            raise bad(f"{place}.{key}", "missing")
        return None
    # Python's json reads "Infinity" and "NaN" too: a float must be finite before int() sees it.
    whole = isinstance(value, int) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    )
    if isinstance(value, bool) or not whole:
        raise bad(f"{place}.{key}", f"expected an integer, got {value!r}")
    return int(value)


def req_int(obj: Mapping[str, Any], key: str, place: str) -> int:
    """``obj[key]`` as an integer that must be there."""
    value = int_field(obj, key, place, required=True)
    assert value is not None
    return value


def float_field(obj: Mapping[str, Any], key: str, place: str) -> float | None:
    """``obj[key]`` as a number (Hasura may send ``numeric`` as a string), None when null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad(f"{place}.{key}", f"expected a number, got {value!r}")
    try:
        # Hasura may serialise `numeric` as a string.
        number = float(value)
    except (TypeError, ValueError):
        raise bad(f"{place}.{key}", f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise bad(f"{place}.{key}", f"expected a finite number, got {value!r}")
    return number


def str_field(obj: Mapping[str, Any], key: str, place: str) -> str | None:
    """``obj[key]`` as a string, None when null, or the error naming the place."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"{place}.{key}", f"expected a string, got {value!r}")
    return value


def _shapes(shapes: ShapeLog | None) -> ShapeLog:
    # Without a run's log the warnings are still logged, just not gathered.
    return shapes if shapes is not None else ShapeLog()


def soft(read: Callable[[], T], empty: T, place: str, shapes: ShapeLog | None) -> T:
    """A scoring or display field: its value, or ``empty`` with a warning when its shape is odd."""
    try:
        return read()
    except BadResponse as exc:
        _shapes(shapes).warn(place, exc.message.removeprefix(f"{place}: "))
        return empty


def soft_list(value: Any, place: str, shapes: ShapeLog | None) -> Sequence[Any]:
    """A scoring or display list; empty, with a warning, when it is not a list."""
    return soft(lambda: as_list(value, place), (), place, shapes)


def soft_str(obj: Mapping[str, Any], key: str, place: str, shapes: ShapeLog | None) -> str | None:
    """A scoring or display string; None, with a warning, when it is not one."""
    return soft(lambda: str_field(obj, key, place), None, f"{place}.{key}", shapes)


def soft_int(obj: Mapping[str, Any], key: str, place: str, shapes: ShapeLog | None) -> int | None:
    """A scoring or display integer; None, with a warning, when it is not one."""
    return soft(lambda: int_field(obj, key, place), None, f"{place}.{key}", shapes)


def loose_int(value: Any) -> int | None:
    """An id read only to recognise a set-aside row; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def each_row(
    rows: Any,
    place: str,
    map_one: Callable[[Any, str], T],
    shapes: ShapeLog | None,
    recognise: Callable[[Any], tuple[int | None, tuple[Any, ...]]] = lambda _: (None, ()),
) -> list[T]:
    """Map each row; with a ShapeLog a malformed row is set aside there (recognised by its book id and
    identifiers when they can be read), without one it raises."""
    out: list[T] = []
    for i, row in enumerate(as_list(rows, place)):
        try:
            out.append(map_one(row, f"{place}[{i}]"))
        except BadResponse as exc:
            if shapes is None:
                raise
            book_id, identifiers = recognise(row) if isinstance(row, Mapping) else (None, ())
            shapes.put_aside(f"{place}[{i}]", exc.message, book_id=book_id, identifiers=identifiers)
    return out


def parse_date(value: Any, place: str) -> date | None:
    """A wire ``date`` (``YYYY-MM-DD``) as a calendar date; ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise bad(place, f"expected a YYYY-MM-DD date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad(place, f"not a calendar date: {value!r}") from None
