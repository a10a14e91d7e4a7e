"""Test-wide fixtures: offline guard, the shared reference folder, the store backends."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.store_fixtures"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REF_DIR = PROJECT_ROOT.parent / "shared" / "ref"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
        raise RuntimeError(f"test tried to reach {host!r}: tests stay on loopback")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection outside the loopback range fails loudly (tests are offline)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture(scope="session")
def ref_dir() -> Path:
    """``../shared/ref``: skipped outside CI when absent, a failure in CI."""
    if not REF_DIR.is_dir():
        if IN_CI:
            pytest.fail(f"the reference folder {REF_DIR} is missing in CI")
        pytest.skip(f"the reference folder {REF_DIR} is absent (outside CI)")
    return REF_DIR
