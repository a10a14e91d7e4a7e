"""Fixtures of the ``real_abs`` tests: one real Audiobookshelf 2.36 server per test session, and bookrelay
wired to it with the sandbox's fake Hardcover (and fake Audiobookshelf, for the differential check).

Outside CI the tests skip with one line when node (>= 20) or ffmpeg is missing; in CI they never skip.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookrelay.store.facade import Store
from tests.conftest import IN_CI
from tests.real_abs.server import AbsUser, RealAbs, locate_build, missing_tools, running_server
from tests.store_fixtures import TEST_KEY


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses the server carries the ``real_abs`` marker (``pytest -m real_abs`` runs them)."""
    for item in items:
        if "real_abs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_abs)


@pytest.fixture(scope="session")
def real_abs() -> Iterator[RealAbs]:
    """A fresh, set-up real Audiobookshelf server for the whole session (see ``server.set_up``)."""
    missing = missing_tools()
    if missing:
        message = f"real Audiobookshelf tests need {', '.join(missing)} (apt-get install -y nodejs ffmpeg)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        build = locate_build()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(f"real Audiobookshelf tests: no server build ({exc})")
    # A folder of its own, not pytest's numbered tmp folders: those of older sessions are pruned by any
    # pytest that starts meanwhile, and this one holds a running server's config and library.
    base = Path(tempfile.mkdtemp(prefix="bookrelay-real-abs-"))
    try:
        yield from running_server(build, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def abs_user(real_abs: RealAbs) -> AbsUser:
    """A fresh admin user of the server with an active API key: the test's progress is its own."""
    return real_abs.new_user(f"user{next(_NAMES)}")


_NAMES = itertools.count(1)


@pytest.fixture
def sqlite_store(tmp_path: Path, _sqlite_template: Path) -> Iterator[Store]:
    """A migrated SQLite store: what these tests check is the real server, not the store backend
    (every store test runs on PostgreSQL elsewhere), and the server's state is shared by the session."""
    target = tmp_path / "store.db"
    shutil.copyfile(_sqlite_template, target)
    opened = Store.open(f"sqlite:///{target}", secret_key=TEST_KEY)
    try:
        yield opened
    finally:
        opened.close()
