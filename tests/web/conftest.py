"""Web app fixtures: a config with an API key, stand-ins for the runner, scheduler and Hardcover look-ups,
and an httpx client bound to the app (on SQLite and PostgreSQL through the ``store`` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from bookrelay.config import Config
from bookrelay.domain.models import Book, Edition, ReadingFormat, SearchHit
from bookrelay.errors import ServiceUnavailable
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.runs import RunRecorder
from bookrelay.web import create_app
from tests.store_fixtures import FakeClock

API_KEY = "test-api-key-0123456789"
PASSWORD = "web-password-9876"
HC_TOKEN = "hc_pat_web_test_token"
NOW = FakeClock().now  # the start of the store fixtures' hand-moved clock


def web_config(**server: object) -> Config:
    """Two users; the API key and password of ``global.server``."""
    return Config.model_validate(
        {
            "global": {"server": {"api_key": API_KEY, "password": PASSWORD, **server}},
            "users": [
                {"id": "alice", "hardcover": {"token": HC_TOKEN}},
                {"id": "bob", "hardcover": {"token": "hc_pat_bob_token"}},
            ],
        }
    )


@dataclass
class StandInRunner:
    """Records a run the way a job does (start, one event, finish) and counts its calls."""

    store: Store
    calls: list[tuple[str, str, bool]] = field(default_factory=list)

    async def __call__(
        self, user_id: str, job: str, *, dry_run: bool = False, on_start: Callable[[int], None] | None = None
    ) -> int:
        self.calls.append((user_id, job, dry_run))
        runs = RunRecorder(self.store, on_start=on_start)
        run_id = runs.start(user_id, job, dry_run=dry_run)
        runs.events(run_id, [{"kind": "written", "message": "progress written", "item": "item-1"}])
        self.store.runs.finish(run_id, RunStatus.OK, {"written": 1}, units=3)
        return run_id


@dataclass
class StandInScheduler:
    """The scheduler interface of part B: fixed next runs, triggers recorded and run through the runner."""

    runner: StandInRunner
    next_at: datetime = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    triggered: list[tuple[str, str, bool]] = field(default_factory=list)

    def next_run(self, user_id: str, job: str) -> datetime | None:
        return self.next_at if job == "progress" else None

    async def trigger(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        self.triggered.append((user_id, job, dry_run))
        return await self.runner(user_id, job, dry_run=dry_run)


@dataclass
class FakeHardcover:
    """Search and book look-ups answering from a small catalogue; ``fail`` makes them unavailable."""

    books: dict[int, Book] = field(default_factory=dict)
    searches: list[tuple[str, str]] = field(default_factory=list)
    fetched: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    fail: bool = False

    async def search(self, user_id: str, query: str) -> Sequence[SearchHit]:
        self.searches.append((user_id, query))
        if self.fail:
            raise ServiceUnavailable("Hardcover is down", service="hardcover")
        words = query.lower().split()
        return [
            SearchHit(book_id=b.id, title=b.title, authors=b.authors, audio_seconds=b.audio_seconds)
            for b in self.books.values()
            if any(w in b.title.lower() for w in words)
        ]

    async def lookup(self, user_id: str, ids: Sequence[int]) -> Sequence[Book]:
        self.fetched.append((user_id, tuple(ids)))
        if self.fail:
            raise ServiceUnavailable("Hardcover is down", service="hardcover")
        return [self.books[i] for i in ids if i in self.books]


def catalogue() -> FakeHardcover:
    """Two candidate books for "Dune", one with an audio and a print edition."""
    return FakeHardcover(
        books={
            101: Book(
                id=101,
                title="Dune",
                authors=("Frank Herbert",),
                release_year=1965,
                image_url="https://assets.hardcover.app/dune.jpg",
                audio_seconds=75_600,
                editions=(
                    Edition(
                        id=1001,
                        book_id=101,
                        edition_format="Audible Audio",
                        audio_seconds=75_600,
                        reading_format=ReadingFormat.AUDIO,
                        asin="B002V1OF70",
                    ),
                    Edition(
                        id=1002,
                        book_id=101,
                        edition_format="Paperback",
                        pages=604,
                        reading_format=ReadingFormat.PHYSICAL,
                    ),
                ),
            ),
            102: Book(id=102, title="Dune Messiah", authors=("Frank Herbert",), release_year=1969),
        }
    )


CANDIDATES = [
    {
        "book_id": 101,
        "title": "Dune",
        "score": 0.74,
        "explanation": "0.74 = title 0.90x0.50 (dune vs dune (book 1)) + author 1.00x0.30 (herbert) + "
        "duration skipped (no length)",
    },
    {
        "book_id": 102,
        "title": "Dune Messiah",
        "score": 0.61,
        "explanation": "0.61 = title 0.62x0.50 (messiah)",
    },
]


@dataclass
class Web:
    """The app under test and its stand-ins."""

    app: FastAPI
    store: Store
    runner: StandInRunner
    hardcover: FakeHardcover
    client: httpx.AsyncClient
    clock: FakeClock

    @property
    def key(self) -> dict[str, str]:
        return {"X-Api-Key": API_KEY}


@pytest.fixture
async def web(clocked_store: Store, clock: FakeClock) -> AsyncIterator[Web]:
    """The web app on each store backend with no scheduler (its own launcher runs triggers); the app
    and the store share one hand-moved clock."""
    store = clocked_store
    runner = StandInRunner(store)
    hardcover = catalogue()
    app = create_app(
        web_config(),
        store,
        runner=runner,
        hardcover_search=hardcover.search,
        hardcover_books=hardcover.lookup,
        now=clock,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bookrelay.test") as client:
        yield Web(app, store, runner, hardcover, client, clock)
        await app.state.web.launcher.wait_idle()
