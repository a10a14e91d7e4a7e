"""Scrobble tests' world: the progress harness plus directions, a second Hardcover user and direct pokes
at the fakes (a read made on another device, a collection made in the ABS web page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bookrelay.app import run_scrobble, scrobble_session
from bookrelay.config import Config
from bookrelay.sandbox.audiobookshelf.collections import add_collection
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync.scrobble.job import ScrobbleReport
from tests.sync.harness import Runner, World

BOB_TOKEN = "hc_pat_test_bob"


def scrobble_world() -> World:
    """A world whose Hardcover also has Bob, an empty user (for imports)."""
    world = World()
    world.hardcover["users"].append(
        {"id": 2, "username": "bob", "name": "Bob", "token": BOB_TOKEN, "scopes": ["all"]}
    )
    world.hardcover.setdefault("lists", [])
    return world


def config_for(
    world: World, *, directions: dict[str, Any] | None = None, token: str | None = None, **hc: Any
) -> Config:
    """The harness config with directions (and another Hardcover token or settings) applied."""
    data = world.config().model_dump(by_alias=True)
    data["global"]["directions"] = directions or {}
    data["global"]["hardcover"].update(hc)
    if token is not None:
        data["users"][0]["hardcover"] = {"token": token}
    return Config.model_validate(data)


@dataclass
class Scrobbler:
    """Runs progress and scrobble for Alice against one sandbox and one store."""

    runner: Runner
    config: Config

    @classmethod
    def start(cls, world: World, store: Store, **directions: Any) -> Scrobbler:
        runner = Runner(world, store, build_sandbox(world.fixture()), world.config())
        return cls(runner, config_for(world, directions=directions))

    @property
    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.runner.sandbox.app)

    async def scrobble(self, *, dry_run: bool = False) -> ScrobbleReport:
        (report,) = await run_scrobble(
            self.config, ["alice"], dry_run=dry_run, transport=self.transport, store=self.runner.store
        )
        return report

    def session(self, config: Config | None = None) -> Any:
        return scrobble_session(
            config or self.config, "alice", transport=self.transport, store=self.runner.store
        )

    def hc_read(self, book_id: int) -> dict[str, Any]:
        """Alice's newest read of a book, live in the fake (edit it to act as another device)."""
        entry = next(
            ub
            for ub in self.runner.sandbox.hardcover.rows("user_books").values()
            if ub["book_id"] == book_id and ub["user_id"] == 1
        )
        reads = [
            r
            for r in self.runner.sandbox.hardcover.rows("user_book_reads").values()
            if r["user_book_id"] == entry["id"]
        ]
        return max(reads, key=lambda r: r["id"])

    def hc_changed(self) -> None:
        self.runner.sandbox.hardcover.changed()

    def abs_progress(self, item_id: str) -> Any:
        state = self.runner.sandbox.audiobookshelf
        return next(p for p in state.progress.values() if p.library_item_id == item_id)

    def collection(self, name: str, item_ids: list[str]) -> str:
        return add_collection(self.runner.sandbox.audiobookshelf, "lib-books", name, item_ids).id

    def collection_items(self, name: str) -> list[str]:
        state = self.runner.sandbox.audiobookshelf
        return next(c.books for c in state.collections.values() if c.name == name)

    def hc_list_books(self, name: str, user_id: int = 1) -> set[int]:
        hc = self.runner.sandbox.hardcover
        lst = next(
            (x for x in hc.rows("lists").values() if x["name"] == name and x["user_id"] == user_id), None
        )
        if lst is None:
            return set()
        return {lb["book_id"] for lb in hc.rows("list_books").values() if lb["list_id"] == lst["id"]}


AUDIO = {"audio_seconds": 36_000, "reading_format_id": 2, "edition_format": "Audiobook"}


def audiobook(world: World, title: str, author: str, asin: str) -> tuple[int, str]:
    """A Hardcover book with one audio edition and the matching ABS item (10 h); (book id, item id)."""
    book = world.book(title, author, editions=[{**AUDIO, "asin": asin}])
    item = world.item(title, author, duration=36_000.0, asin=asin)
    return book, item
