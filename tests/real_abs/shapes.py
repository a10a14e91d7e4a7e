"""The shape of a JSON answer and the differences between two shapes, for the differential check.

A shape keeps what a client relies on: which keys are there, the type of each value (``number`` for
ints and floats alike: JavaScript has one number type), whether it is null, and for lists the merged
shape of their elements. Values themselves (ids, timestamps, text) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

Shape = dict[str, Any] | list[Any] | str
_ENCODING = {"content-encoding", "content-length", "transfer-encoding"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# Objects whose keys are data, not shape: an audio file's ``metaTags`` holds the tags that file has.
MAPS = frozenset({"metaTags"})


def shape(value: Any) -> Shape:
    """The shape of a decoded JSON value."""
    if isinstance(value, dict):
        return {key: _map(item) if key in MAPS else shape(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: Shape | None = None
        for item in value:
            merged = shape(item) if merged is None else _merge(merged, shape(item))
        return [] if merged is None else [merged]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "str"


def _map(value: Any) -> Shape:
    """A map's shape: the merged shape of its values under one key ``*``."""
    if not isinstance(value, dict):
        return shape(value)
    merged: Shape | None = None
    for item in value.values():
        merged = shape(item) if merged is None else _merge(merged, shape(item))
    return {} if merged is None else {"*": merged}


def _merge(a: Shape, b: Shape) -> Shape:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}}
    if isinstance(a, list) and isinstance(b, list):
        return a if not b else b if not a else [_merge(a[0], b[0])]
    return a if a == b else "|".join(sorted(set(str(a).split("|")) | set(str(b).split("|"))))


def _name(value: Shape) -> str:
    return "object" if isinstance(value, dict) else "list" if isinstance(value, list) else value


def differences(real: Shape, fake: Shape, path: str = "") -> list[tuple[str, str]]:
    """``(path, what)`` for every place where the fake's shape is not the real server's."""
    here = path or "(body)"
    if isinstance(real, dict) and isinstance(fake, dict):
        found: list[tuple[str, str]] = []
        for key in sorted(real.keys() | fake.keys()):
            where = f"{path}.{key}" if path else key
            if key not in fake:
                found.append((where, f"missing in the fake (real: {_name(real[key])})"))
            elif key not in real:
                found.append((where, f"only in the fake ({_name(fake[key])})"))
            else:
                found += differences(real[key], fake[key], where)
        return found
    if isinstance(real, list) and isinstance(fake, list):
        if real and fake:
            return differences(real[0], fake[0], f"{path}[]")
        return [] if not real and not fake else [(f"{path}[]", "empty on one side only")]
    if real != fake:
        return [(here, f"real {_name(real)}, fake {_name(fake)}")]
    return []


@dataclass
class Answer:
    """One request bookrelay made and the shape of what came back."""

    call: str  # "GET /api/items/:id ?expanded,include"
    status: int
    kind: str  # json / text
    body: Shape


def call_name(request: httpx.Request) -> str:
    """The request without its ids and parameter values: ``GET /api/items/:id ?expanded,include``."""
    path = _UUID.sub(":id", request.url.path)
    params = ",".join(sorted({key for key, _ in request.url.params.multi_items()}))
    return f"{request.method} {path}" + (f" ?{params}" if params else "")


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on to ``inner`` and keeps the shape of each answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.answers: list[Answer] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send, read the answer whole, note its shape, hand it back."""
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        kind = "json" if "json" in response.headers.get("content-type", "") else "text"
        body: Shape = shape(httpx.Response(200, content=content).json()) if kind == "json" else "text"
        self.answers.append(Answer(call_name(request), response.status_code, kind, body))
        # The content is decoded now: the encoding headers no longer describe it.
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _ENCODING]
        return httpx.Response(response.status_code, headers=headers, content=content)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()
