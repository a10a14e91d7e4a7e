"""The command line: version, config check, db upgrade, status, sync, conflicts, link, sandbox serve."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bookrelay import __version__
from bookrelay.cli.main import app

runner = CliRunner()

SECRET_TOKEN = "hc_pat_SuperSecretValue123"
SECRET_ABS = "abs-secret-key-987654"
SECRET_PASSWORD = "hunter2-password-xyz"


def write_config(folder: Path, body: str) -> Path:
    path = folder / "bookrelay.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def good_config(folder: Path, db_url: str | None = None) -> Path:
    db = db_url or f"sqlite:///{folder / 'store.db'}"
    return write_config(
        folder,
        f"""global:
  timezone: Europe/Berlin
  database: "{db}"
  secret_key_file: "{folder / "secret.key"}"
users:
  - id: alice
    hardcover: {{token: "Bearer {SECRET_TOKEN}"}}
    audiobookshelf:
      url: http://127.0.0.1:9/abs
      api_key: "{SECRET_ABS}"
""",
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HARDCOVER_TOKEN",
        "HARDCOVER_API_KEY",
        "ABS_URL",
        "AUDIOBOOKSHELF_URL",
        "ABS_TOKEN",
        "AUDIOBOOKSHELF_API_KEY",
        "DATABASE_PATH",
        "DATABASE_URL",
        "BOOKRELAY_CONFIG",
        "BOOKRELAY_SECRET_KEY",
        "ABS_USERNAME",
        "ABS_PASSWORD",
        "TIMEZONE",
        "TZ",
    ):
        monkeypatch.delenv(name, raising=False)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_config_check_names_line_and_key_of_each_problem(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        f"""global:
  timezone: Mars/Olympus
  workers: 0
users:
  - id: alice
    hardcover: {{token: "{SECRET_TOKEN}"}}
    audiobookshelf:
      url: not-a-url
      api_key: "{SECRET_ABS}"
      colour: blue
""",
    )
    result = runner.invoke(app, ["config", "check", "--config", str(path)], terminal_width=200)
    assert result.exit_code == 2
    out = result.stdout
    assert f"{path}:2: global.timezone:" in out
    assert f"{path}:3: global.workers:" in out
    assert f"{path}:8: users[0].audiobookshelf.url:" in out
    assert f"{path}:10: users[0].audiobookshelf.colour: unknown key" in out
    assert SECRET_TOKEN not in out and SECRET_ABS not in out


def test_config_check_accepts_a_good_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "check", "--config", str(good_config(tmp_path))])
    assert result.exit_code == 0, result.stdout
    assert "OK" in result.stdout


def test_config_check_reports_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "check", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr


def test_S1_secrets_never_reach_output_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command that touches the secrets, with their output and every log record grepped."""
    caplog.set_level(logging.DEBUG)
    path = good_config(tmp_path)
    monkeypatch.setenv("ABS_PASSWORD", SECRET_PASSWORD)
    outputs = []
    for args in (
        ["config", "check", "--config", str(path)],
        ["config", "show", "--config", str(path)],
        ["db", "upgrade", "--config", str(path)],
        ["status", "--config", str(path)],
        ["-v", "sync", "--config", str(path), "--dry-run"],  # ABS is unreachable: an error message
    ):
        result = runner.invoke(app, args)
        outputs.append(result.stdout + result.stderr)
    broken = write_config(
        tmp_path,
        f"users:\n  - id: 1bad id\n    hardcover: {{token: 42}}\n"
        f'    audiobookshelf: {{url: x, api_key: "{SECRET_ABS}", password: "{SECRET_PASSWORD}"}}\n',
    )
    result = runner.invoke(app, ["config", "check", "--config", str(broken)])
    outputs.append(result.stdout + result.stderr)
    everything = "\n".join(outputs) + "\n".join(r.getMessage() for r in caplog.records)
    assert "***" in outputs[1]  # config show masks them
    for secret in (SECRET_TOKEN, SECRET_ABS, SECRET_PASSWORD):
        assert secret not in everything


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    path = good_config(tmp_path)
    result = runner.invoke(app, ["db", "upgrade", "--config", str(path)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "revision" in result.stdout
    status = runner.invoke(app, ["status", "--config", str(path)])
    assert status.exit_code == 0
    assert "no runs yet" in status.stdout


def test_sync_refuses_conflicting_user_options(tmp_path: Path) -> None:
    path = good_config(tmp_path)
    result = runner.invoke(app, ["sync", "--config", str(path), "--user", "alice", "--all-users"])
    assert result.exit_code == 2
    assert "--all-users" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served_sandbox(fixture: Path | None = None) -> Iterator[str]:
    """``bookrelay sandbox serve`` on a free loopback port (the bundled demo without ``fixture``)."""
    port = _free_port()
    command = [sys.executable, "-m", "bookrelay", "sandbox", "serve", "--port", str(port)]
    if fixture is not None:
        command += ["--fixture", str(fixture)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sandbox_serve_answers_on_one_port(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture.json"
    fixture.write_text(
        json.dumps(
            {
                "hardcover": {
                    "users": [{"id": 1, "username": "a", "token": "hc_pat_a"}],
                    "books": [],
                    "editions": [],
                }
            }
        )
    )
    with served_sandbox(fixture) as base:
        stats = httpx.get(f"{base}/_sandbox/stats").json()
        assert set(stats) >= {"hardcover", "audiobookshelf"}
        answer = httpx.post(
            f"{base}/hardcover/v1/graphql",
            json={"query": "{ me { id username } }"},
            headers={"Authorization": "Bearer hc_pat_a"},
        )
        assert answer.json()["data"]["me"][0]["username"] == "a"
        assert httpx.get(f"{base}/_sandbox/stats").json()["hardcover"]["units"] == 1
        assert httpx.post(f"{base}/_sandbox/reset").json() == {"reset": True}
        assert httpx.get(f"{base}/_sandbox/stats").json()["hardcover"]["units"] == 0


def _demo_reader_config(folder: Path, base: str) -> Path:
    from bookrelay.demo import DEMO_LIMITS
    from bookrelay.sandbox.demo_data import DEMO_ABS_KEY, DEMO_HARDCOVER_TOKEN

    folder.mkdir()
    path = folder / "bookrelay.yaml"
    config = {
        "global": {
            "database": f"sqlite:///{folder / 'bookrelay.db'}",
            "secret_key_file": str(folder / "secret.key"),
            "hardcover": {"url": f"{base}/hardcover/v1/graphql", **DEMO_LIMITS},
        },
        "users": [
            {
                "id": "demo",
                "hardcover": {"token": DEMO_HARDCOVER_TOKEN},
                "audiobookshelf": {"url": f"{base}/abs", "api_key": DEMO_ABS_KEY},
            }
        ],
    }
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def test_sync_prints_a_real_runs_plan_only_with_verbose(tmp_path: Path) -> None:
    """A real run keeps no per-item plan (memory on large libraries) unless --verbose asks to print it."""
    from bookrelay.demo import DEMO_LIMITS
    from bookrelay.sandbox.demo_data import demo_fixture

    fixture = demo_fixture()
    fixture["hardcover"]["limits"] = {**fixture["hardcover"].get("limits", {}), **DEMO_LIMITS}
    (tmp_path / "demo.json").write_text(json.dumps(fixture))
    with served_sandbox(tmp_path / "demo.json") as base:
        quiet = runner.invoke(app, ["sync", "--config", str(_demo_reader_config(tmp_path / "a", base))])
        assert "written" in quiet.stdout and "plan for demo" not in quiet.stdout
        httpx.post(f"{base}/_sandbox/reset").raise_for_status()
        verbose = runner.invoke(
            app, ["sync", "--config", str(_demo_reader_config(tmp_path / "b", base)), "--verbose"]
        )
        assert "plan for demo" in verbose.stdout and "mark as Read" in verbose.stdout
        assert "mark as Read" not in quiet.stdout and "MarkFinished" not in verbose.stdout
        assert quiet.exit_code == verbose.exit_code


def test_sandbox_serve_rejects_a_broken_fixture(tmp_path: Path) -> None:
    fixture = tmp_path / "broken.json"
    fixture.write_text("{ not json")
    result = runner.invoke(app, ["sandbox", "serve", "--fixture", str(fixture)])
    assert result.exit_code == 2
    assert "broken.json" in result.stderr and "line 1" in result.stderr


def test_M1_conflicts_resolve_and_link_are_checked_on_hardcover_and_written_by_the_next_sync(
    tmp_path: Path,
) -> None:
    """The whole path a user takes in the CLI: a conflict, a refused and an accepted decision, one sync."""
    from tests.sync.harness import ABS_KEY, FAST_LIMITS, HC_TOKEN, World

    world = World()
    linked = []
    for i in range(3):
        asin = f"B0CLIPIN{i:02d}"
        editions = [{"reading_format_id": 2, "asin": asin, "audio_seconds": 30_000}]
        linked.append(world.book(f"Linked Book {i}", f"Writer {i}", editions=editions))
        item = world.item(f"Linked Book {i}", f"Writer {i}", duration=30_000.0, asin=asin)
        world.listen(item, current=9_000.0, duration=30_000.0)
    omnibus = world.book(
        "Wool Omnibus", "Hugh Howey", editions=[{"reading_format_id": 2, "audio_seconds": 61_000}]
    )
    (edition,) = world.edition_ids(omnibus)
    wool = world.item("Wool", "Hugh Howey", duration=60_500.0)
    world.listen(wool, current=20_000.0, duration=60_500.0)
    other_edition = world.edition_ids(linked[-1])[0]
    (tmp_path / "fixture.json").write_text(json.dumps(world.fixture()))
    with served_sandbox(tmp_path / "fixture.json") as base:
        path = write_config(
            tmp_path,
            json.dumps(
                {
                    "global": {
                        "database": f"sqlite:///{tmp_path / 'store.db'}",
                        "secret_key_file": str(tmp_path / "secret.key"),
                        "hardcover": {
                            "url": f"{base}/hardcover/v1/graphql",
                            **{k: v for k, v in FAST_LIMITS.items() if k != "max_top_level"},
                        },
                    },
                    "users": [
                        {
                            "id": "alice",
                            "hardcover": {"token": HC_TOKEN},
                            "audiobookshelf": {"url": f"{base}/abs", "api_key": ABS_KEY},
                        }
                    ],
                }
            ),
        )
        first = runner.invoke(app, ["sync", "--config", str(path)])
        assert first.exit_code == 0, first.stdout + first.stderr
        listing = runner.invoke(app, ["conflicts", "list", "--config", str(path)])
        assert listing.exit_code == 0 and "Wool" in listing.stdout
        rows = [line.split() for line in listing.stdout.splitlines() if line.startswith("│")]
        conflict_id = next(row[1] for row in rows if row[1].isdigit())  # the only conflict: Wool's
        resolve = ["conflicts", "resolve", conflict_id, "--config", str(path)]

        unknown = runner.invoke(app, [*resolve, "--book", "999999"])
        assert unknown.exit_code == 7
        assert "Hardcover has no book 999999" in unknown.stdout + unknown.stderr
        foreign = runner.invoke(app, [*resolve, "--book", str(omnibus), "--edition", str(other_edition)])
        assert foreign.exit_code == 2
        said = " ".join((foreign.stdout + foreign.stderr).split())
        assert f"edition {other_edition} is not an edition of “Wool Omnibus” by Hugh Howey" in said
        units = httpx.get(f"{base}/_sandbox/stats").json()["hardcover"]["units"]

        settled = runner.invoke(app, [*resolve, "--book", str(omnibus), "--edition", str(edition)])
        assert settled.exit_code == 0, settled.stdout + settled.stderr
        said = " ".join(settled.stdout.split())
        assert "“Wool”" in said and "the next sync writes it" in said
        checked = httpx.get(f"{base}/_sandbox/stats").json()["hardcover"]
        assert checked["units"] - units == 1  # one cheap query checked the book and edition
        writes = checked["writes"]

        second = runner.invoke(app, ["sync", "--config", str(path)])
        assert second.exit_code == 0, second.stdout + second.stderr
        after = httpx.get(f"{base}/_sandbox/stats").json()["hardcover"]
        assert 1 <= after["writes"] - writes <= 3  # that item's writes, none for the three others
        entries = httpx.post(
            f"{base}/hardcover/v1/graphql",
            json={
                "query": "query Q($b: Int!) { user_books(where: {book_id: {_eq: $b}}) { edition_id } }",
                "variables": {"b": omnibus},
            },
            headers={"Authorization": f"Bearer {HC_TOKEN}"},
        ).json()["data"]["user_books"]
        assert entries == [{"edition_id": edition}]

        # link / unlink: checked the same way; a pin of a real book is accepted.
        refused = runner.invoke(
            app, ["link", "item-1", "--book", "42", "--edition", "7", "--config", str(path)]
        )
        assert refused.exit_code == 7 and "Hardcover has no book 42" in refused.stdout + refused.stderr
        pinned = runner.invoke(app, ["link", wool, "--book", str(omnibus), "--config", str(path)])
        assert pinned.exit_code == 0, pinned.stdout + pinned.stderr
        assert f"book {omnibus}" in pinned.stdout
        released = runner.invoke(app, ["unlink", wool, "--config", str(path)])
        assert released.exit_code == 0
        missing = runner.invoke(app, ["unlink", "item-404", "--config", str(path)])
        assert missing.exit_code != 0
        unknown_conflict = runner.invoke(app, ["conflicts", "show", "99", "--config", str(path)])
        assert unknown_conflict.exit_code == 7
