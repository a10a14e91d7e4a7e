"""The sandbox: every fake on one port, each under its own prefix, loaded from one JSON fixture.

``/hardcover/v1/graphql`` and ``/abs/...`` are the fakes; ``/_sandbox/stats``, ``/_sandbox/state`` and
``POST /_sandbox/reset`` let tests, benchmarks and the demo look at the traffic and the data. The fixture's
``latency_ms`` makes chosen fakes answer late, as real services across a network do.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bookrelay.sandbox.audible import AudibleState, build_audible_app
from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app
from bookrelay.sandbox.bookshelf.app import build_bookshelf_app
from bookrelay.sandbox.bookshelf.state import BookshelfState
from bookrelay.sandbox.demo_data import demo_fixture
from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.hardcover_oauth import OAuthState, build_oauth_app
from bookrelay.sandbox.rreading_glasses.app import build_rrg_app
from bookrelay.sandbox.rreading_glasses.state import RrgState

DEFAULT_FIXTURE = "demo"  # load_fixture(None): default_fixture(), built on demo_data.demo_fixture()
# The fakes a fixture's ``latency_ms`` may slow down, by the name of their fixture section.
DELAYABLE = ("hardcover", "audiobookshelf", "audible", "bookshelf", "rreading_glasses", "hardcover_oauth")


class FakeState(Protocol):
    """What every fake's state offers to the sandbox server."""

    def stats(self) -> dict[str, Any]: ...

    def snapshot(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...


@dataclass
class Sandbox:
    """The loaded fakes and the ASGI app that serves them all."""

    fakes: dict[str, FakeState] = field(default_factory=dict)
    app: Starlette = field(default_factory=Starlette)

    @property
    def hardcover(self) -> HardcoverState:
        """The fake Hardcover's state."""
        state = self.fakes["hardcover"]
        assert isinstance(state, HardcoverState)
        return state

    @property
    def hardcover_oauth(self) -> OAuthState:
        """The fake Hardcover OAuth server's state."""
        state = self.fakes["hardcover_oauth"]
        assert isinstance(state, OAuthState)
        return state

    @property
    def audiobookshelf(self) -> AbsState:
        """The fake Audiobookshelf's state."""
        state = self.fakes["audiobookshelf"]
        assert isinstance(state, AbsState)
        return state

    def stats(self) -> dict[str, Any]:
        """Per-fake traffic counters."""
        return {name: fake.stats() for name, fake in self.fakes.items()}

    def snapshot(self) -> dict[str, Any]:
        """Every fake's data, JSON-able."""
        return {name: fake.snapshot() for name, fake in self.fakes.items()}

    def reset(self) -> None:
        """Back to the fixture as loaded, counters zeroed."""
        for fake in self.fakes.values():
            fake.reset()


def default_fixture() -> dict[str, Any]:
    """The bundled fixture: the demo library, a second reader's Want to Read shelf with Bookshelf
    (a root folder, some books in it) and rreading-glasses behind it, and an Audible library, so
    that every job has something to do against a sandbox served without a fixture file."""
    from bookrelay.sandbox.bookshelf.demo import with_wanted_shelf
    from bookrelay.sandbox.demo_audible import demo_audible_section

    fixture = with_wanted_shelf(demo_fixture())
    fixture["audible"] = demo_audible_section(fixture)
    return fixture


def load_fixture(path: Path | None = None) -> dict[str, Any]:
    """Read a sandbox fixture file, or the bundled one (:func:`default_fixture`) when ``path`` is None."""
    if path is None:
        return default_fixture()
    try:
        text = Path(path).read_text("utf-8")
        data = json.loads(text)
    except FileNotFoundError as exc:
        raise ValueError(f"sandbox fixture not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"sandbox fixture {path}: line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"sandbox fixture {path}: the top level must be an object")
    return data


def answer_delays(fixture: Mapping[str, Any]) -> dict[str, float]:
    """Seconds each fake waits before it answers a request, from the fixture's ``latency_ms``
    (``{"hardcover": 150, "audiobookshelf": 20}``; absent fakes answer at once)."""
    given = fixture.get("latency_ms") or {}
    if not isinstance(given, Mapping):
        raise ValueError("sandbox fixture: latency_ms must be an object of fake name → milliseconds")
    delays: dict[str, float] = {}
    for name, value in given.items():
        if name not in DELAYABLE:
            raise ValueError(
                f"sandbox fixture: latency_ms.{name}: unknown fake (one of {', '.join(DELAYABLE)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(
                f"sandbox fixture: latency_ms.{name}: a number of milliseconds >= 0, not {value!r}"
            )
        delays[name] = value / 1000.0
    return delays


def answering_late(app: ASGIApp, seconds: float) -> ASGIApp:
    """``app`` answering each HTTP request ``seconds`` late: an asyncio sleep, so a slow fake costs no CPU
    and serves other requests meanwhile, as a remote service does."""
    if seconds <= 0:
        return app

    async def late(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return late


def build_sandbox(fixture: dict[str, Any], *, clock: Callable[[], float] = time.time) -> Sandbox:
    """Build every fake from ``fixture`` and one app that mounts them under their prefixes."""
    delays = answer_delays(fixture)
    hardcover = HardcoverState.from_fixture(
        fixture.get("hardcover", {"users": [], "books": [], "editions": []}), clock=clock
    )
    abs_state = AbsState.from_fixture(fixture.get("audiobookshelf", {}), clock=clock)
    audible = AudibleState.from_fixture(fixture.get("audible", {}), clock=clock)
    rrg = RrgState.from_fixture(fixture.get("rreading_glasses", {}), clock=clock)
    bookshelf = BookshelfState.from_fixture(fixture.get("bookshelf", {}), metadata=rrg, clock=clock)
    sandbox = Sandbox(
        fakes={
            "hardcover": hardcover,
            "audiobookshelf": abs_state,
            "audible": audible,
            "bookshelf": bookshelf,
            "rreading_glasses": rrg,
            # OAuth clients: {"hardcover_oauth": {"clients": {"<client id>": "<app name>"},
            # "client_secrets": {"<client id>": "<secret of a confidential client>"}}}
            "hardcover_oauth": OAuthState(
                hardcover,
                fixture.get("hardcover_oauth", {}).get("clients"),
                clock=clock,
                client_secrets=fixture.get("hardcover_oauth", {}).get("client_secrets"),
            ),
        }
    )

    async def stats(_: Request) -> JSONResponse:
        return JSONResponse(sandbox.stats())

    async def state(_: Request) -> JSONResponse:
        return JSONResponse(sandbox.snapshot())

    async def reset(_: Request) -> JSONResponse:
        sandbox.reset()
        return JSONResponse({"reset": True})

    async def index(_: Request) -> JSONResponse:
        return JSONResponse(
            {"fakes": {"hardcover": "/hardcover/v1/graphql", "audiobookshelf": "/abs", "audible": "/audible"}}
        )

    sandbox.app = Starlette(
        routes=[
            Route("/", index),
            Route("/_sandbox/stats", stats),
            Route("/_sandbox/state", state),
            Route("/_sandbox/reset", reset, methods=["POST"]),
            *(
                Mount(prefix, app=answering_late(app, delays.get(name, 0.0)))
                for prefix, name, app in (
                    ("/hardcover", "hardcover", build_hardcover_app(hardcover)),
                    ("/abs", "audiobookshelf", build_abs_app(abs_state)),
                    ("/audible", "audible", build_audible_app(audible)),
                    ("/bookshelf", "bookshelf", build_bookshelf_app(bookshelf)),
                    ("/rreading-glasses", "rreading_glasses", build_rrg_app(rrg)),
                    ("/hardcover-oauth", "hardcover_oauth", build_oauth_app(sandbox.hardcover_oauth)),
                )
            ),
        ]
    )
    return sandbox
