"""Replacing hardcover-sync: the image's default command with exactly seed 000's environment (plus
HARDCOVER_URL) against `bookrelay sandbox serve` and its bundled data runs the wanted job once, adds the
Want to Read books to Bookshelf monitored, exits 0, logs lines a person can grep, and adds nothing the
second time (W1-W3)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, DEMO_TOKEN, WANTED_USER
from bookrelay.sandbox.server import load_fixture
from tests.cli.test_cli import served_sandbox
from tests.conftest import PROJECT_ROOT


def image_command() -> list[str]:
    """The Dockerfile's CMD: what the container runs when the CronJob gives no args."""
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    return list(json.loads(cmd))


def seed_environment(base: str, folder: Path) -> dict[str, str]:
    """Seed 000's variables and nothing else of bookrelay's (PATH only so that Python starts)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SYNC_INTERVAL": "0",
        "HARDCOVER_API_KEY": DEMO_TOKEN,
        "BOOKSHELF_URL": f"{base}/bookshelf",
        "BOOKSHELF_API_KEY": DEMO_API_KEY,
        "RREADING_GLASSES_URL": f"{base}/rreading-glasses",
        "DATABASE_PATH": str(folder / "hardcover-sync.db"),
        "HARDCOVER_URL": f"{base}/hardcover/v1/graphql",
    }


def run_container(base: str, folder: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bookrelay", *image_command()]
    return subprocess.run(
        command, env=seed_environment(base, folder), cwd=folder, capture_output=True, text=True, timeout=120
    )


def shelf_and_works() -> tuple[dict[int, str], dict[int, int]]:
    """The reader's Want to Read shelf (book id → title) and each known work's canonical id, from the
    same bundled fixture the served sandbox loaded."""
    fixture = load_fixture(None)
    hardcover = fixture["hardcover"]
    reader = next(u["id"] for u in hardcover["users"] if u["username"] == WANTED_USER)
    titles = {b["id"]: b["title"] for b in hardcover["books"]}
    shelf = {
        ub["book_id"]: titles[ub["book_id"]]
        for ub in hardcover["user_books"]
        if ub["user_id"] == reader and ub["status_id"] == 1
    }
    canonical: dict[int, int] = {}
    for work in fixture["rreading_glasses"]["works"]:
        canonical[work["id"]] = work["id"]
        canonical.update(dict.fromkeys(work.get("duplicate_ids") or [], work["id"]))
    return shelf, canonical


def bookshelf_books(base: str) -> dict[str, dict[str, Any]]:
    state = httpx.get(f"{base}/_sandbox/state", timeout=10).json()["bookshelf"]
    return {str(b["foreignBookId"]): b for b in state["books"]}


def test_W1_W3_seed_environment_runs_the_wanted_job_once_adds_monitored_books_and_a_second_run_adds_nothing(
    tmp_path: Path,
) -> None:
    shelf, canonical = shelf_and_works()
    known = {book: canonical[book] for book in shelf if book in canonical}
    unknown = set(shelf) - set(known)
    assert known and unknown  # the bundled data has both kinds
    with served_sandbox() as base:
        before = bookshelf_books(base)
        first = run_container(base, tmp_path)
        log = first.stdout + first.stderr
        assert first.returncode == 0, log
        after = bookshelf_books(base)
        for book, work in known.items():
            added = after[str(work)]
            assert added["monitored"] is True, shelf[book]
            assert len(added["monitoredEditions"]) == 1, shelf[book]
        new = {str(work) for work in known.values()} - set(before)
        assert new and set(after) - set(before) >= new
        # The lines the seed's troubleshooting guide greps for, per book, by title.
        assert "hardcover: fetching the Want-to-Read list" in log
        assert f"hardcover: {len(shelf)} book(s) on the Want-to-Read list" in log
        for book, title in shelf.items():
            if book in known and str(known[book]) in before:  # found in Bookshelf by its foreign id (W2)
                assert f'bookshelf: already in Bookshelf: "{title}"' in log
            else:
                assert f'rreading-glasses: resolving metadata for "{title}"' in log
        # A book whose author came in with an earlier book is in Bookshelf unmonitored: it is monitored.
        added, monitored = (
            log.count("bookshelf: added book"),
            log.count("already in Bookshelf, now monitored"),
        )
        assert added >= 1 and added + monitored == len(new)
        for book in unknown:
            assert f'failed to add "{shelf[book]}"' in log and "unknown to rreading-glasses" in log
        assert "run 1: wanted for default: ok" in log
        assert "progress" not in first.stdout  # no Audiobookshelf: the progress job does not run
        assert (tmp_path / "hardcover-sync.db").is_file()

        second = run_container(base, tmp_path)
        again = second.stdout + second.stderr
        assert second.returncode == 0, again
        assert bookshelf_books(base) == after
        assert "added book" not in again and "resolving metadata" not in again
        assert again.count("already in Bookshelf") == len(known)


def test_seed_environment_exits_1_with_the_reason_in_the_log_when_bookshelf_is_unreachable(
    tmp_path: Path,
) -> None:
    from tests.cli.test_cli import _free_port

    nowhere = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    result = run_container(nowhere, tmp_path)
    log = result.stdout + result.stderr
    assert result.returncode == 1, log
    assert "wanted for default failed: bookshelf" in log and "cannot connect" in log
    assert DEMO_API_KEY not in log and DEMO_TOKEN not in log
