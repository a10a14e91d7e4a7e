"""The fake Bookshelf's routes, answers and bookrelay's requests conform to Bookshelf's real OpenAPI spec
(ref/readarr/openapi.json, read in place through ``ref_dir``; CI fails when it is missing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookrelay.connectors.bookshelf.api import build_add_request
from bookrelay.domain.wanted import AddTarget, BookshelfCandidate
from bookrelay.sandbox.bookshelf import BookshelfState, build_bookshelf_app
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, wanted_sections
from bookrelay.sandbox.rreading_glasses import RrgState

pytestmark = pytest.mark.needs_ref


@pytest.fixture(scope="module")
def spec(ref_dir: Path) -> dict[str, Any]:
    return json.loads((ref_dir / "readarr" / "openapi.json").read_text("utf-8"))


def violations(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """The OpenAPI 3.0 schema violations of ``value`` (types, nullable, enum, $ref, properties, items)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return violations(spec, spec["components"]["schemas"][name], value, where)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null where the spec does not allow it"]
    kind = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    }
    if kind in checks and not checks[kind](value):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if kind == "integer" and schema.get("format") == "int32" and not -(2**31) <= value < 2**31:
        return [f"{where}: {value} overflows int32"]
    problems: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, item in value.items():
            if key not in props:
                if schema.get("additionalProperties") is False:
                    problems.append(f"{where}.{key}: not in the schema")
                continue
            problems += violations(spec, props[key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += violations(spec, schema["items"], item, f"{where}[{i}]")
    return problems


def response_schema(spec: dict[str, Any], path: str, method: str, status: str = "200") -> dict[str, Any]:
    content = spec["paths"][path][method]["responses"][status].get("content", {})
    return content["application/json"]["schema"]


def request_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


@pytest.fixture
async def fake() -> Any:
    scenario = wanted_sections(12, unknown_every=0, library_every=4, duplicate_every=0)
    state = BookshelfState.from_fixture(
        scenario.bookshelf, metadata=RrgState.from_fixture(scenario.rreading_glasses)
    )
    transport = httpx.ASGITransport(app=build_bookshelf_app(state))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bs", headers={"X-Api-Key": DEMO_API_KEY}
    ) as c:
        yield c, scenario


def test_fake_routes_exist_in_spec(spec: dict[str, Any]) -> None:
    state = BookshelfState.from_fixture({}, metadata=RrgState.from_fixture({}))
    for route in build_bookshelf_app(state).routes:
        path = route.path  # type: ignore[attr-defined]
        methods = {m.lower() for m in route.methods or ()} - {"head"}  # type: ignore[attr-defined]
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, methods)


def test_security_schemes_are_the_api_key(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["X-Api-Key"] == {**schemes["X-Api-Key"], "in": "header", "name": "X-Api-Key"}
    assert schemes["apikey"]["in"] == "query"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/system/status",
        "/api/v1/rootfolder",
        "/api/v1/qualityprofile",
        "/api/v1/metadataprofile",
        "/api/v1/book",
        "/api/v1/author",
    ],
)
async def test_read_answers_match_spec(spec: dict[str, Any], fake: Any, path: str) -> None:
    http, _ = fake
    answer = await http.get(path)
    assert answer.status_code == 200
    body = answer.json()
    assert body, f"{path} answered nothing to check"
    assert violations(spec, response_schema(spec, path, "get"), body) == []


async def test_search_entries_are_book_and_author_resources(spec: dict[str, Any], fake: Any) -> None:
    http, scenario = fake
    answer = (await http.get("/api/v1/search", params={"term": f"work:{scenario.shelf[0]}"})).json()
    assert {"author", "book"} <= {k for e in answer for k in e}
    for entry in answer:
        assert isinstance(entry["id"], int) and isinstance(entry["foreignId"], str)
        if "book" in entry:
            assert violations(spec, {"$ref": "#/components/schemas/BookResource"}, entry["book"]) == []
        if "author" in entry:
            assert violations(spec, {"$ref": "#/components/schemas/AuthorResource"}, entry["author"]) == []


async def test_add_request_and_answer_match_spec(spec: dict[str, Any], fake: Any) -> None:
    http, scenario = fake
    book = next(
        e["book"]
        for e in (await http.get("/api/v1/search", params={"term": f"work:{scenario.shelf[0]}"})).json()
        if "book" in e
    )
    candidate = BookshelfCandidate(
        foreign_book_id=book["foreignBookId"],
        title=book["title"],
        author_foreign_id=book["author"]["foreignAuthorId"],
        author_name=book["author"]["authorName"],
        monitored_edition_id=next(e["foreignEditionId"] for e in book["editions"] if e["monitored"]),
    )
    body = build_add_request(candidate, AddTarget("/books", 1, 1), search=True)
    assert violations(spec, request_schema(spec, "/api/v1/book", "post"), body) == []
    answer = await http.post("/api/v1/book", json=body)
    assert answer.status_code == 201
    assert violations(spec, response_schema(spec, "/api/v1/book", "post"), answer.json()) == []
    book_id = answer.json()["id"]
    single = (await http.get(f"/api/v1/book/{book_id}")).json()
    assert violations(spec, response_schema(spec, "/api/v1/book/{id}", "get"), single) == []
    editions = (await http.get("/api/v1/edition", params={"bookId": book_id})).json()
    assert editions and violations(spec, response_schema(spec, "/api/v1/edition", "get"), editions) == []


async def test_monitor_and_command_requests_match_spec(spec: dict[str, Any], fake: Any) -> None:
    http, _ = fake
    monitor = {"bookIds": [1], "monitored": False}
    assert violations(spec, request_schema(spec, "/api/v1/book/monitor", "put"), monitor) == []
    assert (await http.put("/api/v1/book/monitor", json=monitor)).status_code == 202
    answer = await http.post("/api/v1/command", json={"name": "BookSearch", "bookIds": [1]})
    assert violations(spec, response_schema(spec, "/api/v1/command", "post"), answer.json()) == []


def test_validator_catches_a_wrong_shape(spec: dict[str, Any]) -> None:
    wrong = {"id": "1", "bogus": True, "monitored": None}
    found = violations(spec, {"$ref": "#/components/schemas/BookResource"}, wrong)
    assert len(found) == 3
