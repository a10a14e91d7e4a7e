"""``bookrelay doctor`` against the sandbox served by uvicorn on a loopback port: each of the six failures
has its own message and a non-zero exit, and a clean run exits 0."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from bookrelay.app.doctor_checks import Failure, check_hardcover, checks_from_config_problems
from bookrelay.cli import setup as setup_commands
from bookrelay.cli.main import app
from bookrelay.demo import serve_sandbox
from bookrelay.sandbox.server import Sandbox, build_sandbox

HC_ALL = "hc_pat_doctor_all"
HC_CATALOG_ONLY = "hc_pat_doctor_catalog"
ABS_KEY = "abs-doctor-key"
BOOKSHELF_KEY = "bookshelf-doctor-key"
LIMITS = {"per_minute": 60_000, "burst": 1_000, "daily": 5_000}


def _fixture() -> dict[str, Any]:
    return {
        "hardcover": {
            "limits": LIMITS,
            "users": [
                {"id": 1, "username": "alice", "token": HC_ALL, "scopes": ["all"]},
                {"id": 2, "username": "carol", "token": HC_CATALOG_ONLY, "scopes": ["read:catalog"]},
            ],
            "authors": [{"id": 10, "name": "Andy Weir"}],
            "books": [{"id": 100, "title": "Project Hail Mary", "author_ids": [10]}],
            "editions": [{"id": 1000, "book_id": 100, "isbn_13": "9780593135204", "reading_format_id": 1}],
        },
        "audiobookshelf": {
            "users": [{"username": "alice", "password": "pw", "type": "admin"}],
            "api_keys": [{"name": "sync", "key": ABS_KEY, "username": "alice", "isActive": True}],
            "libraries": [
                {"name": "Audiobooks", "mediaType": "book", "items": [{"title": "Project Hail Mary"}]},
                {"name": "Podcasts", "mediaType": "podcast", "items": []},
            ],
        },
        "bookshelf": {
            "api_key": BOOKSHELF_KEY,
            "quality_profiles": [{"id": 1, "name": "eBook"}],
            "metadata_profiles": [{"id": 2, "name": "Standard"}],
            "root_folders": [
                {"id": 1, "path": "/books", "default_quality_profile_id": 1, "default_metadata_profile_id": 2}
            ],
        },
    }


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = build_sandbox(_fixture())
    with serve_sandbox(sandbox) as base_url:
        yield sandbox, base_url


@pytest.fixture
def sandbox(served: tuple[Sandbox, str]) -> Sandbox:
    served[0].reset()
    return served[0]


@pytest.fixture
def base_url(served: tuple[Sandbox, str]) -> str:
    return served[1]


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(tmp_path: Path, base_url: str, **overrides: Any) -> Path:
    """A config for alice against the served sandbox; ``overrides`` replace keys (None removes)."""
    hardcover_url = overrides.pop("hardcover_url", f"{base_url}/hardcover/v1/graphql")
    user: dict[str, Any] = {
        "id": "alice",
        "hardcover": {"token": overrides.pop("token", HC_ALL)},
        "audiobookshelf": {"url": overrides.pop("abs_url", f"{base_url}/abs"), "api_key": ABS_KEY},
    }
    if user["hardcover"]["token"] is None:
        user["hardcover"] = {}
    data: dict[str, Any] = {
        "global": {
            "database": f"sqlite:///{tmp_path / 'store.db'}",
            "secret_key_file": str(tmp_path / "secret.key"),
            "hardcover": {"url": hardcover_url},
            "bookshelf": {"url": f"{base_url}/bookshelf", "api_key": BOOKSHELF_KEY, "root_folder": "/books"},
            "rreading_glasses": {"url": f"{base_url}/rreading-glasses"},
        },
        "users": [user],
    }
    assert not overrides, f"unknown overrides {overrides}"
    path = tmp_path / "bookrelay.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    return path


def doctor(path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, str]:
    for name in ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY", "ABS_URL", "ABS_TOKEN", "BOOKRELAY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    # A wide console keeps each table row on one line, so messages can be matched whole.
    monkeypatch.setattr(setup_commands, "console", Console(width=1000, highlight=False))
    result = CliRunner().invoke(app, ["doctor", "--config", str(path), *extra])
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def test_clean_run_passes_every_check_and_exits_0(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = doctor(write_config(tmp_path, base_url), monkeypatch)
    assert code == 0, out
    assert "all checks passed" in out and "FAIL" not in out
    assert "Audiobookshelf 2.36.0" in out  # the version from GET /status
    assert "1 book library: Audiobooks" in out  # the podcast library is not a book library
    assert "/books" in out and "eBook" in out and "Standard" in out  # Bookshelf root folder and profiles
    assert "not checked: only a write could prove it" in out  # write:library, said honestly
    left = sandbox.hardcover.stats()["per_token"]["alice"]
    assert f"{LIMITS['daily'] - left['units']} of {LIMITS['daily']} requests left today" in out


def test_limit_lists_the_first_books_as_the_metadata_workflows_connectivity_test_did(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = doctor(write_config(tmp_path, base_url), monkeypatch, "--limit", "1")
    assert code == 0, out
    assert "first Audiobookshelf books" in out
    assert "alice Project Hail Mary" in out
    # the podcast library is not a book library: only the one book is listed
    assert out.count("Project Hail Mary") == 1


def test_wrong_url_says_the_answer_is_not_hardcover(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, base_url, hardcover_url=f"{base_url}/hardcover/graphql")  # no /v1
    code, out = doctor(path, monkeypatch)
    assert code != 0
    assert f"wrong URL or path: {base_url}/hardcover/graphql answered HTTP 404" in out
    assert "set global.hardcover.url to Hardcover's GraphQL endpoint" in out


def test_wrong_abs_path_is_caught_by_its_status_probe(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = doctor(write_config(tmp_path, base_url, abs_url=f"{base_url}/abs/api"), monkeypatch)
    assert code != 0
    assert f"wrong URL or path: {base_url}/abs/api/status answered HTTP 404" in out
    assert "the Audiobookshelf server root" in out


def test_refused_connection_names_host_and_port(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _unused_port()
    path = write_config(tmp_path, base_url, hardcover_url=f"http://127.0.0.1:{port}/v1/graphql")
    code, out = doctor(path, monkeypatch)
    assert code != 0
    assert f"connection refused: nothing answers at 127.0.0.1:{port}" in out


def test_missing_token_is_reported_with_where_to_get_one(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = doctor(write_config(tmp_path, base_url, token=None), monkeypatch)
    assert code != 0
    assert "missing token: users[0].hardcover.token is needed" in out
    assert "create one at hardcover.app/account/api with the scopes" in out
    assert sandbox.hardcover.stats()["requests"] == 0  # nothing is sent without a token


def test_bad_token_is_a_401_invalid_token(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = doctor(write_config(tmp_path, base_url, token="hc_pat_nobody"), monkeypatch)
    assert code != 0
    assert "Hardcover answered 401 invalid_token: the token is wrong or expired" in out
    assert "hc_pat_nobody" not in out  # S1: the token itself is never printed


def test_missing_scope_names_the_scope(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = doctor(write_config(tmp_path, base_url, token=HC_CATALOG_ONLY), monkeypatch)
    assert code != 0
    assert "missing scope: the token lacks read:me:content" in out
    assert "missing scope: the token lacks read:library" in out
    assert "editions (read:catalog) OK allowed" in out  # the scope it has passes


def test_server_error_is_a_5xx(
    sandbox: Sandbox, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.hardcover.fail_next(500)
    code, out = doctor(write_config(tmp_path, base_url), monkeypatch)
    assert code != 0
    assert "server error: hardcover answered HTTP 500" in out


async def test_the_six_failures_have_six_different_messages(base_url: str, sandbox: Sandbox) -> None:
    async with httpx.AsyncClient() as http:
        url = f"{base_url}/hardcover/v1/graphql"
        results = [
            await check_hardcover(http, f"{base_url}/hardcover/graphql", HC_ALL, "a"),
            await check_hardcover(http, f"http://127.0.0.1:{_unused_port()}/v1/graphql", HC_ALL, "a"),
            await check_hardcover(http, url, "", "a"),
            await check_hardcover(http, url, "hc_pat_nobody", "a"),
            await check_hardcover(http, url, HC_CATALOG_ONLY, "a"),
        ]
        sandbox.hardcover.fail_next(503)
        results.append(await check_hardcover(http, url, HC_ALL, "a"))
    firsts = [next(c for c in checks if not c.ok) for checks in results]
    assert [c.failure for c in firsts] == list(Failure)
    assert len({c.detail.split(":")[0] for c in firsts}) == 6


def test_config_problems_other_than_tokens_stay_config_failures() -> None:
    from bookrelay.config import ConfigProblem

    checks = checks_from_config_problems(
        [ConfigProblem("f.yaml", 3, "global.timezone", "is not a known zone")]
    )
    assert [(c.service, c.failure, c.ok) for c in checks] == [("config", None, False)]
