"""bookrelay wired to the real Audiobookshelf: a Hardcover catalogue (the sandbox's fake) holding the test
library's books with the lengths the real server measured, a config, and a transport that sends
``http://sandbox/...`` to the in-process sandbox and everything else (the real server) over loopback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from bookrelay.config import Config
from bookrelay.sandbox.demo_data import make_asin, make_isbn13
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from tests.real_abs.server import AbsUser, RealAbs
from tests.sync.harness import FAST_LIMITS, HC_TOKEN, World

# The Hobbit has no identifier on the server: Hardcover's edition carries these, so enrich proposes them.
HOBBIT_ISBN, HOBBIT_ASIN = make_isbn13(7), make_asin(7)
AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}


class RoutingTransport(httpx.AsyncBaseTransport):
    """``sandbox`` host → the sandbox app in-process; any other (loopback) host → the network."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = httpx.ASGITransport(app=sandbox.app)
        self._network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request to the fake or to the real server by its host."""
        if request.url.host == "sandbox":
            return await self._sandbox.handle_async_request(request)
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the network pool."""
        await self._network.aclose()


@dataclass
class Wired:
    """A fake Hardcover with the library's books, and configs of bookrelay on the real server."""

    abs: RealAbs
    user: AbsUser
    world: World
    sandbox: Sandbox
    book_ids: dict[str, int] = field(default_factory=dict)

    @property
    def transport(self) -> RoutingTransport:
        """A fresh routing transport (each run closes its client)."""
        return RoutingTransport(self.sandbox)

    def config(
        self, *, account: dict[str, Any] | None = None, hardcover: str = "http://sandbox", **global_: Any
    ) -> Config:
        """bookrelay's config: Hardcover in the sandbox, Audiobookshelf the real server with the test's
        user's API key unless ``account`` says otherwise; ``hardcover`` is where the sandbox is served
        (in-process through :attr:`transport` by default); ``global_`` goes into the ``global`` section."""
        return Config.model_validate(
            {
                "global": {
                    "timezone": "UTC",
                    "hardcover": {
                        "url": f"{hardcover}/hardcover/v1/graphql",
                        **{k: v for k, v in FAST_LIMITS.items() if k != "max_top_level"},
                    },
                    **global_,
                },
                "users": [
                    {
                        "id": "alice",
                        "hardcover": {"token": HC_TOKEN},
                        "audiobookshelf": account or {"url": self.abs.url, "api_key": self.user.api_key},
                    }
                ],
            }
        )

    def patch(self, key: str, body: dict[str, Any]) -> None:
        """The test's user moves their position on a book (a player's PATCH)."""
        self.abs.patch_progress(key, body, self.user.api_key)

    def progress(self, key: str) -> dict[str, Any] | None:
        """The test's user's progress on a book, as the server stores it."""
        return self.abs.progress(key, self.user.api_key)

    def user_book(self, key: str) -> dict[str, Any] | None:
        """Alice's Hardcover entry (reads nested) for a book of the library, or None."""
        for entry in self.sandbox.hardcover.snapshot()["user_books"]:
            if entry["book_id"] == self.book_ids[key] and entry["user_id"] == 1:
                return dict(entry)
        return None

    def units(self) -> int:
        """Hardcover requests (top-level fields) the fake counted so far."""
        return int(self.sandbox.hardcover.stats()["units"])


def wire(real_abs: RealAbs, user: AbsUser, *, lists: list[dict[str, Any]] | None = None) -> Wired:
    """A fake Hardcover whose catalogue holds every book of the test library, one audio edition each
    with the length the real server measured (M5 picks it by length)."""
    world = World(timezone="UTC")
    book_ids: dict[str, int] = {}
    for key, book in real_abs.books.items():
        title = book.title
        edition: dict[str, Any] = {**AUDIO, "audio_seconds": round(book.duration)}
        if key == "hobbit":
            edition.update(isbn_13=HOBBIT_ISBN, asin=HOBBIT_ASIN)
        else:
            edition.update(isbn_13=title.isbn, asin=title.asin)
        book_ids[key] = world.book(title.title, title.author, editions=[edition])
    world.hardcover["lists"] = [
        {**spec, "id": n + 1, "user_id": 1, "books": [{"book_id": book_ids[k]} for k in spec["books"]]}
        for n, spec in enumerate(lists or [])
    ]
    fixture = world.fixture()
    fixture.pop("audiobookshelf")
    return Wired(real_abs, user, world, build_sandbox(fixture), book_ids)


async def run_progress_on(wired: Wired, store: Store, **options: Any) -> Any:
    """One progress run of Alice against the real server; the report."""
    from bookrelay.app import run_progress

    (report,) = await run_progress(
        wired.config(), ["alice"], transport=wired.transport, store=store, **options
    )
    return report
