"""A small world for progress-sync tests: a sandbox fixture built book by book, a config pointing at
the in-process sandbox, and a runner that syncs through the real clients and the real store."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bookrelay.app import run_progress
from bookrelay.config import Config
from bookrelay.sandbox.hardcover.limits import default_max_depth
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync.report import ProgressReport

HC_TOKEN = "hc_pat_test_alice"
ABS_KEY = "abs-test-key-alice"
FAST_LIMITS = {"per_minute": 600_000, "burst": 10_000, "daily": 1_000_000, "max_top_level": 5}
# The suite run against Hardcover's announced depth limit (BOOKRELAY_SANDBOX_HARDCOVER_MAX_DEPTH=3,
# tests/sync/test_depth_limited_suite.py): bookrelay then reads a book's authors, series and editions
# with one more request of BOOK_PARTS_UNITS top-level fields, and a written entry's reads with one
# more query after the writes. Budget assertions name what each mode must cost.
DEPTH_LIMITED = default_max_depth() is not None
BOOK_PARTS_UNITS = 4


def ms(when: str) -> int:
    """Epoch milliseconds of an ISO timestamp (UTC when no offset is given)."""
    parsed = datetime.fromisoformat(when)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


@dataclass
class World:
    """Builds a sandbox fixture: Hardcover catalogue and shelf, Audiobookshelf items and progress."""

    timezone: str = "Europe/Berlin"
    hardcover: dict[str, Any] = field(
        default_factory=lambda: {
            "limits": dict(FAST_LIMITS),
            "users": [{"id": 1, "username": "alice", "name": "Alice", "token": HC_TOKEN, "scopes": ["all"]}],
            "authors": [],
            "books": [],
            "editions": [],
            "user_books": [],
        }
    )
    items: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _authors: dict[str, int] = field(default_factory=dict)

    def author(self, name: str) -> int:
        """The id of an author, added on first use."""
        if name not in self._authors:
            self._authors[name] = 9000 + len(self._authors)
            self.hardcover["authors"].append({"id": self._authors[name], "name": name})
        return self._authors[name]

    def book(self, title: str, author: str, *, editions: list[dict[str, Any]], **extra: Any) -> int:
        """A Hardcover book with editions (dicts of edition fields); returns the book id."""
        book_id = 100 + next(self._ids)
        self.hardcover["books"].append(
            {"id": book_id, "title": title, "author_ids": [self.author(author)], "users_count": 10, **extra}
        )
        for edition in editions:
            row = {"id": 1000 + next(self._ids), "book_id": book_id, "title": title, "users_count": 5}
            row.update(edition)
            self.hardcover["editions"].append(row)
        return book_id

    def edition_ids(self, book_id: int) -> list[int]:
        """The ids of a book's editions, in the order given."""
        return [e["id"] for e in self.hardcover["editions"] if e["book_id"] == book_id]

    def shelve(self, book_id: int, status: int, edition_id: int | None, reads: list[dict[str, Any]]) -> int:
        """Put a book on Alice's Hardcover shelf with reads; returns the user_book id."""
        user_book_id = 5000 + next(self._ids)
        for read in reads:
            read.setdefault("id", 7000 + next(self._ids))
            read.setdefault("edition_id", edition_id)
        self.hardcover["user_books"].append(
            {
                "id": user_book_id,
                "user_id": 1,
                "book_id": book_id,
                "edition_id": edition_id,
                "status_id": status,
                "reads": reads,
            }
        )
        return user_book_id

    def item(self, title: str, author: str, *, duration: float = 36_000.0, **metadata: Any) -> str:
        """An Audiobookshelf item; returns its id."""
        item_id = f"item-{next(self._ids):04d}"
        self.items.append(
            {"id": item_id, "title": title, "authors": [author], "duration": duration, **metadata}
        )
        return item_id

    def listen(
        self,
        item_id: str,
        *,
        current: float,
        duration: float = 36_000.0,
        finished: bool = False,
        started: str = "2026-11-01T10:00:00",
        updated: str = "2026-11-20T21:00:00",
        finished_at: str | None = None,
        progress: float | None = None,
    ) -> None:
        """Alice's Audiobookshelf progress on an item."""
        self.progress = [p for p in self.progress if p["libraryItemId"] != item_id]
        self.progress.append(
            {
                "username": "alice",
                "libraryItemId": item_id,
                "currentTime": current,
                "duration": duration,
                "progress": progress if progress is not None else (1.0 if finished else current / duration),
                "isFinished": finished,
                "startedAt": ms(started),
                "lastUpdate": ms(updated),
                "finishedAt": ms(finished_at) if finished_at else None,
            }
        )

    def fixture(self) -> dict[str, Any]:
        """The whole sandbox fixture."""
        return {
            "hardcover": self.hardcover,
            "audiobookshelf": {
                "users": [{"username": "alice", "password": "alice-password", "type": "user"}],
                "api_keys": [{"name": "sync", "key": ABS_KEY, "username": "alice", "isActive": True}],
                "libraries": [
                    {"id": "lib-books", "name": "Audiobooks", "mediaType": "book", "items": self.items}
                ],
                "progress": self.progress,
            },
        }

    def config(self, **sync: Any) -> Config:
        """A config for Alice pointing at the in-process sandbox."""
        return Config.model_validate(
            {
                "global": {
                    "timezone": self.timezone,
                    "hardcover": {
                        "url": "http://sandbox/hardcover/v1/graphql",
                        **{k: v for k, v in FAST_LIMITS.items() if k != "max_top_level"},
                    },
                    "sync": sync,
                },
                "users": [
                    {
                        "id": "alice",
                        "hardcover": {"token": HC_TOKEN},
                        "audiobookshelf": {"url": "http://sandbox/abs", "api_key": ABS_KEY},
                    }
                ],
            }
        )


@dataclass
class Runner:
    """Runs progress syncs for Alice against one sandbox and one store."""

    world: World
    store: Store
    sandbox: Sandbox
    config: Config

    @classmethod
    def start(cls, world: World, store: Store, **sync: Any) -> Runner:
        """A sandbox loaded from the world's fixture."""
        return cls(world, store, build_sandbox(world.fixture()), world.config(**sync))

    async def sync(self, **options: Any) -> ProgressReport:
        """One progress run for Alice."""
        transport = httpx.ASGITransport(app=self.sandbox.app)
        (report,) = await run_progress(
            self.config, ["alice"], transport=transport, store=self.store, **options
        )
        return report

    async def play(self, item_id: str, *, current: float, duration: float) -> None:
        """Move Alice's position in Audiobookshelf the way a player does (PATCH, progress sent along)."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.sandbox.app), base_url="http://sandbox/abs"
        ) as client:
            answer = await client.patch(
                f"/api/me/progress/{item_id}",
                json={"currentTime": current, "duration": duration, "progress": current / duration},
                headers={"Authorization": f"Bearer {ABS_KEY}"},
            )
            answer.raise_for_status()

    def user_book(self, book_id: int) -> dict[str, Any] | None:
        """Alice's Hardcover entry for a book, as the fake holds it now (reads included)."""
        for entry in self.sandbox.hardcover.snapshot()["user_books"]:
            if entry["book_id"] == book_id and entry["user_id"] == 1:
                return dict(entry)
        return None

    @property
    def hc_writes(self) -> int:
        """Hardcover writes the fake counted."""
        return int(self.sandbox.hardcover.stats()["writes"])
