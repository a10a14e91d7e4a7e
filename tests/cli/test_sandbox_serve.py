"""``bookrelay sandbox serve`` prints its address, tokens and a ready config, and serves data for every
job: a newcomer saves the config and tries sync, wanted, doctor and conflicts against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bookrelay.cli.main import app

ENV_NAMES = ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY", "ABS_URL", "ABS_TOKEN", "BOOKRELAY_CONFIG", "TZ")


@pytest.fixture(scope="module")
def printed() -> Iterator[list[str]]:
    """The lines ``sandbox serve --port 0`` prints up to the end of its config; the server keeps running."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    child = subprocess.Popen(
        [sys.executable, "-m", "bookrelay", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "COLUMNS": "200"},
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        for line in child.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("# --- end ---") or len(lines) > 500:
                break
        yield lines
    finally:
        child.terminate()
        child.wait(timeout=20)


def _config(lines: list[str], folder: Path) -> Path:
    start, end = lines.index("# --- sandbox.yaml ---"), lines.index("# --- end ---")
    path = folder / "sandbox.yaml"
    path.write_text("\n".join(lines[start + 1 : end]) + "\n", encoding="utf-8")
    return path


def test_it_prints_its_address_and_the_tokens_of_the_config(printed: list[str], tmp_path: Path) -> None:
    address = printed[0].removeprefix("sandbox on ")
    assert address.startswith("http://127.0.0.1:") and not address.endswith(":0")
    config = yaml.safe_load(_config(printed, tmp_path).read_text())
    text = "\n".join(printed[: printed.index("# --- sandbox.yaml ---")])
    for user in config["users"]:
        assert user["hardcover"]["token"] in text
    assert config["users"][0]["audiobookshelf"]["api_key"] in text
    assert config["global"]["bookshelf"]["api_key"] in text
    assert config["global"]["hardcover"]["url"] == f"{address}/hardcover/v1/graphql"


@pytest.mark.parametrize(
    ("command", "shows"),
    [
        (["sync", "--dry-run", "--user", "demo"], "dry run"),
        # Plain sync takes every user the progress job runs for: "reader" has only a Want to Read shelf.
        (["sync", "--dry-run"], "progress · demo (dry run)"),
        (["wanted", "--dry-run", "--user", "reader"], "dry run"),
        (["doctor"], "all checks passed"),
        (["config", "check"], "OK"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_every_job_has_data_to_try_with_the_printed_config(
    printed: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], shows: str
) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    path = _config(printed, tmp_path)
    result = CliRunner().invoke(app, [*command, "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert shows.lower() in result.output.lower()
    if command == ["sync", "--dry-run"]:
        assert "progress · reader" not in result.output
    if command[0] in ("sync", "wanted"):
        assert (tmp_path / "data").is_dir()  # the store beside the file, as its relative path says
