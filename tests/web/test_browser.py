"""The web page in headless Chromium (Debian's /usr/bin/chromium driven by Playwright): sign in, see
the dashboard, settle a conflict, pin a link, trigger a sync and see the new run.

The app is served by uvicorn on a loopback port; its Hardcover and Audiobookshelf are the in-process
sandbox, so the sync that the button starts is the real progress job.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bookrelay.app import build_web_app
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store.facade import Store
from bookrelay.store.models import ConflictStatus, RunStatus
from bookrelay.store.repositories import ItemFacts
from tests.sync.harness import World
from tests.web.threaded import free_port, served_in_thread

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-test-password"
SCREENSHOTS = os.environ.get("BOOKRELAY_SCREENSHOTS")  # a folder: every page is saved there while developing
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"  # the README's pictures, made here
DOC_PAGES = {"dashboard", "conflicts", "run"}

pytestmark = pytest.mark.slow


@pytest.fixture
def served(store: Store) -> Iterator[tuple[str, Store, World]]:
    """The web app for Alice over the sandbox, on a free loopback port; yields its address."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    world = World()
    dune = world.book("Dune", "Frank Herbert", editions=[{"audio_seconds": 75_600, "reading_format_id": 2}])
    world.book("Dune Messiah", "Frank Herbert", editions=[{"audio_seconds": 31_000, "reading_format_id": 2}])
    world.book("Hyperion", "Dan Simmons", editions=[{"audio_seconds": 74_000, "reading_format_id": 2}])
    listened = world.item("Hyperion", "Dan Simmons", duration=74_000)
    world.listen(listened, current=30_000, duration=74_000)
    # A run page worth reading: a held write (Hardcover is ahead, P5) and a book Hardcover does not know.
    ahead = world.book(
        "Children of Time", "Adrian Tchaikovsky", editions=[{"audio_seconds": 58_000, "reading_format_id": 2}]
    )
    world.shelve(
        ahead, 2, world.edition_ids(ahead)[0], [{"progress_seconds": 40_000, "started_at": "2026-10-01"}]
    )
    behind = world.item("Children of Time", "Adrian Tchaikovsky", duration=58_000)
    world.listen(behind, current=12_000, duration=58_000, started="2026-09-20T10:00:00")
    unknown = world.item("The Left Hand of Darkness", "Ursula K. Le Guin", duration=31_000)
    world.listen(unknown, current=9_000, duration=31_000)
    sandbox = build_sandbox(world.fixture())
    config = world.config().model_copy(deep=True)
    config = config.model_validate(
        {
            **config.model_dump(by_alias=True, mode="python"),
            "global": {
                **config.model_dump(by_alias=True, mode="python")["global"],
                "server": {"password": PASSWORD},
            },
        }
    )
    store.conflicts.open(
        "alice",
        "abs",
        "item-dune",
        "Dune (Unabridged)",
        "M4: two close candidates",
        [
            {
                "book_id": dune,
                "title": "Dune",
                "score": 0.74,
                "explanation": "0.74 = title 0.90x0.50 (subtitle) + author 1.00x0.30 (herbert)",
            },
            {
                "book_id": dune + 2,
                "title": "Dune Messiah",
                "score": 0.62,
                "explanation": "0.62 = title 0.60x0.50 (messiah)",
            },
        ],
    )
    store.labels.remember(
        "alice",
        [
            ItemFacts(
                "abs",
                "item-dune",
                "Dune (Unabridged)",
                ("Frank Herbert",),
                ("Scott Brick", "Orlagh Cassidy"),
                75_600.0,
                {"asin": "B002V1OF70"},
            )
        ],
    )
    app = build_web_app(config, store, transport=httpx.ASGITransport(app=sandbox.app))
    with served_in_thread(app, free_port()) as base:
        yield base, store, world


def _shot(page: object, name: str) -> None:
    """Save the page: the dashboard, a conflict and a run page into docs/screenshots (what the README
    shows is what this test saw) when BOOKRELAY_DOC_SCREENSHOTS=1, every page into $BOOKRELAY_SCREENSHOTS
    when set; a plain test run writes nothing into the tree."""
    folders = [Path(SCREENSHOTS)] if SCREENSHOTS else []
    if name in DOC_PAGES and os.environ.get("BOOKRELAY_DOC_SCREENSHOTS") == "1":
        folders.append(DOCS)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_browser_signs_in_settles_a_conflict_pins_a_link_and_triggers_a_sync(
    served: tuple[str, Store, World],
) -> None:
    base, store, world = served
    listened_id = next(i["id"] for i in world.items if i["title"] == "Hyperion")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            # S2: the pages' Content-Security-Policy must fit them: Chromium reports any refusal here.
            refused: list[str] = []
            page.on(
                "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
            )
            expect = playwright_api.expect

            # Sign in: the dashboard redirects to the sign-in page first (S2).
            page.goto(base + "/")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.get_by_label("API key or password").fill("wrong")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("alert")).to_contain_text("neither the API key nor the password")
            page.get_by_label("API key or password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Dashboard: alice")).to_be_visible()
            expect(page.get_by_text("open conflicts")).to_be_visible()

            # Settle the conflict: pick Dune's audio edition.
            page.locator("nav").get_by_role("link", name="Conflicts", exact=True).click()
            conflict = page.locator("section.conflict").first
            expect(conflict).to_contain_text("Dune (Unabridged)")
            # The user's own item beside each candidate: narrator, length and ASIN come from Audiobookshelf.
            expect(conflict.locator(".yours")).to_contain_text("read by Scott Brick, Orlagh Cassidy")
            first = conflict.locator("article.candidate").first
            expect(first).to_contain_text("Frank Herbert")
            mine = first.locator("table.compare td.mine")
            expect(mine.nth(0)).to_have_text("Dune (Unabridged)")
            expect(first.locator("table.compare")).to_contain_text("21 h 00 min")
            expect(first.locator("table.compare")).to_contain_text("ASIN B002V1OF70")
            expect(first.locator("table.parts")).to_contain_text("title")
            first.get_by_label("Edition").select_option(index=1)
            _shot(page, "conflicts")
            first.get_by_role("button", name="Use this book").click()
            expect(page.get_by_role("status")).to_contain_text("linked to “Dune” (Hardcover book")
            (settled,) = store.conflicts.list(None, user_id="alice")
            assert settled.status == ConflictStatus.RESOLVED
            link = store.links.get("alice", "abs", "item-dune")
            assert link is not None and link.pinned and link.hardcover_edition_id is not None

            # Pin another item through the Hardcover search.
            page.locator("nav").get_by_role("link", name="Links", exact=True).click()
            page.get_by_label("Item to pin").fill("item-messiah")
            page.get_by_label("Title and author").fill("Messiah")
            page.get_by_role("button", name="Search").click()
            page.get_by_role("button", name="Pin item-messiah here").first.click()
            expect(page.get_by_role("status")).to_contain_text("item-messiah pinned")
            # The settled conflict named its book at once, from the candidate chosen: no id alone.
            hardcover_cell = page.locator("#link-abs-item-dune td").nth(2)
            expect(hardcover_cell).to_contain_text("Dune")
            expect(hardcover_cell).not_to_contain_text(f"book {link.hardcover_book_id}")
            _shot(page, "links")
            pinned = store.links.get("alice", "abs", "item-messiah")
            assert pinned is not None and pinned.pinned

            # Trigger a sync: the run page shows the new run until it has finished.
            page.locator("nav").get_by_role("link", name="Dashboard", exact=True).click()
            page.get_by_role("button", name="Sync progress now").click()
            expect(page.get_by_role("heading", name="progress for alice")).to_be_visible()
            expect(page.locator("span.status").first).to_have_text("ok", timeout=30_000)
            # What changed, by title and author, human words first and the rule code as small print.
            changes = page.locator("table.changes")
            written = changes.locator("tr", has_text="Hyperion")
            expect(written).to_contain_text("Dan Simmons")
            expect(written).to_contain_text("not on your shelf → Currently Reading at 41 %")
            held = changes.locator("tr", has_text="Children of Time")
            expect(held).to_contain_text("held")
            expect(held).to_contain_text("[P5]")
            expect(changes.locator("tr", has_text="The Left Hand of Darkness")).to_contain_text(
                "not found on Hardcover"
            )
            _shot(page, "run")
            (run,) = store.runs.recent(5, user_id="alice")
            assert run.status == RunStatus.OK and page.url.endswith(f"/runs/{run.id}")

            # The dashboard names what is being read by title and author, not by item id.
            page.locator("nav").get_by_role("link", name="Dashboard", exact=True).click()
            reading = page.locator("section", has=page.get_by_role("heading", name="Currently reading"))
            expect(reading.locator("tr", has_text="Hyperion")).to_contain_text("Dan Simmons")
            expect(reading).not_to_contain_text(listened_id)
            expect(page.locator("section", has_text="Jobs")).to_contain_text("1 written · 1 held")
            _shot(page, "dashboard")

            page.locator("nav").get_by_role("link", name="Statistics", exact=True).click()
            expect(page.locator("svg.chart").first).to_be_visible()
            _shot(page, "stats")
            assert refused == [], refused
        finally:
            browser.close()
