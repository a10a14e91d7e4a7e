"""The sandbox side of ``benchmarks/scale.py``: the fixtures of many users and one sandbox process that
records, per token, when Hardcover units arrived and checks the writes at the end."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ASIN = "B{:09d}"
TOKEN = "hc_pat_bench_{:05d}"
ABS_KEY = "abs_bench_{:05d}"
AUDIO = {"audio_seconds": 36_000, "reading_format_id": 2, "edition_format": "Audiobook"}


def position(user: int, book: int) -> float:
    """Where user ``user`` is in book ``book`` (seconds): distinct, so a misplaced write shows."""
    return float(2_000 + 97 * book + user % 50)


def hardcover_fixture(users: int, books: int, limits: dict[str, int]) -> dict[str, Any]:
    """The fake Hardcover of every user: a shared catalogue and an account per user, shelves empty."""
    return {
        "hardcover": {
            "limits": limits,
            "users": [
                {
                    "id": 1 + u,
                    "username": f"u{u}",
                    "name": f"User {u}",
                    "token": TOKEN.format(u),
                    "scopes": ["all"],
                }
                for u in range(users)
            ],
            "authors": [{"id": 9000 + a, "name": f"Author {a}"} for a in range(20)],
            "books": [
                {"id": 100 + b, "title": f"Scale Book {b}", "author_ids": [9000 + b % 20], "users_count": 10}
                for b in range(books)
            ],
            "editions": [
                {
                    "id": 10_000 + b,
                    "book_id": 100 + b,
                    "title": f"Scale Book {b}",
                    "asin": ASIN.format(b),
                    **AUDIO,
                }
                for b in range(books)
            ],
            "user_books": [],
        }
    }


def abs_fixture(users: Sequence[int], books: int) -> dict[str, Any]:
    """A fake Audiobookshelf for some users: one library, each user's progress on every book."""
    items = [
        {
            "id": f"item-{b:05d}",
            "title": f"Scale Book {b}",
            "authors": [f"Author {b % 20}"],
            "duration": 36_000.0,
            "asin": ASIN.format(b),
        }
        for b in range(books)
    ]
    progress = [
        {
            "username": f"u{u}",
            "libraryItemId": f"item-{b:05d}",
            "currentTime": position(u, b),
            "duration": 36_000.0,
            "progress": position(u, b) / 36_000.0,
            "isFinished": False,
            "startedAt": 1_793_000_000_000,
            "lastUpdate": 1_794_000_000_000,
            "finishedAt": None,
        }
        for u in users
        for b in range(books)
    ]
    return {
        "audiobookshelf": {
            "users": [{"username": f"u{u}", "password": f"pw{u}", "type": "user"} for u in users],
            "api_keys": [
                {"name": "sync", "key": ABS_KEY.format(u), "username": f"u{u}", "isActive": True}
                for u in users
            ],
            "libraries": [{"id": "lib", "name": "Audiobooks", "mediaType": "book", "items": items}],
            "progress": progress,
        },
    }


# -- one sandbox shard (a child process) -------------------------------------------------------------


def serve_shard(fixture_path: Path, port: int) -> None:
    """Serve the sandbox of one shard with a recorder of Hardcover units per token and a checker."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    from bookrelay.connectors.hardcover.documents import analyse_document
    from bookrelay.sandbox.server import build_sandbox

    fixture = json.loads(fixture_path.read_text())
    sandbox = build_sandbox(fixture)
    user_of = {u["token"]: u["username"] for u in fixture.get("hardcover", {}).get("users", [])}
    sent: dict[str, list[tuple[float, int]]] = defaultdict(list)

    async def recorder(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/graphql"):
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            headers = dict(scope["headers"])
            token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
            try:
                units = analyse_document(json.loads(body)["query"]).units
            except Exception:
                units = 0
            sent[user_of.get(token, "?")].append((time.monotonic(), units))
            replayed = False

            async def replay() -> dict[str, Any]:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await sandbox.app(scope, replay, send)
            return
        await sandbox.app(scope, receive, send)

    async def sent_units(_: Request) -> JSONResponse:
        return JSONResponse(sent)

    async def check(_: Request) -> JSONResponse:
        state = sandbox.hardcover.snapshot()
        users = {u["id"]: u["username"] for u in state["users"]}
        per_user: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for entry in state["user_books"]:
            per_user[users[entry["user_id"]]][entry["book_id"]].append(entry)
        stats = sandbox.hardcover.stats()
        return JSONResponse(
            {
                "entries": {u: {b: e for b, e in books.items()} for u, books in per_user.items()},
                "rate_limited": stats["rate_limited"],
                "requests": stats["requests"],
            }
        )

    app = Starlette(
        routes=[Route("/_bench/sent", sent_units), Route("/_bench/check", check), Mount("/", app=recorder)]
    )
    # Idle keep-alive connections stay open for 2 min: with 5 s (uvicorn's default) a paced client
    # races the server closing them, which a write must treat as "may have happened".
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=120
    )
