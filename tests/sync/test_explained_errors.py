"""Outside the doctor too, a wrong Hardcover address or a refused token is explained in the doctor's words
(wrong URL or path / missing or wrong token) and names where the token was set, not an opaque "HTTP 404"."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bookrelay.app import run_enrich
from bookrelay.config import load_config
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from tests.sync.test_enrich import ABS_KEY, HC_TOKEN, _fixture

CONFIG = """\
global:
  hardcover: {{url: "{url}", per_minute: 600000, burst: 10000, daily: 1000000}}
  secret_key_file: "{key}"
users:
  - id: bob
    hardcover: {{token: {token}}}
    audiobookshelf: {{url: "http://sandbox/abs", api_key: {abs_key}}}
"""


@pytest.fixture
def sandbox() -> Sandbox:
    return build_sandbox(_fixture())


def _config_file(tmp_path: Path, url: str, token: str) -> Path:
    path = tmp_path / "bookrelay.yaml"
    text = CONFIG.format(url=url, key=tmp_path / "secret.key", token=token, abs_key=ABS_KEY)
    path.write_text(text, encoding="utf-8")
    return path


async def test_N4_a_wrong_hardcover_path_reads_as_the_doctor_says_it(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    config = load_config(_config_file(tmp_path, "http://sandbox/hardcover/v1/graph", HC_TOKEN), env={})
    transport = httpx.ASGITransport(app=sandbox.app)
    report = await run_enrich(config, "bob", transport=transport, store=store)
    assert report.error is not None
    assert "wrong URL or path" in report.error
    assert "http://sandbox/hardcover/v1/graph answered HTTP 404" in report.error
    assert "global.hardcover.url" in report.error and "unexpected HTTP" not in report.error


async def test_N4_a_refused_token_from_the_file_is_named_by_its_key(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    path = _config_file(tmp_path, "http://sandbox/hardcover/v1/graphql", "hc_pat_not_known_here")
    config = load_config(path, env={})
    transport = httpx.ASGITransport(app=sandbox.app)
    report = await run_enrich(config, "bob", transport=transport, store=store)
    assert report.error is not None
    assert "missing or wrong token" in report.error
    assert f"token: users[0].hardcover.token in {path}:6" in report.error
    assert "HARDCOVER_TOKEN" not in report.error
