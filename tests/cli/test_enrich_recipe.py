"""The README's batch recipe for enrich (the metadata workflow's phase 4), run as written through the CLI
against the sandbox served on a loopback port: review a batch, write it, review the next, write it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bookrelay.cli import enrich as enrich_cli
from bookrelay.cli.main import app
from bookrelay.demo import serve_sandbox
from bookrelay.sandbox.server import build_sandbox
from tests.sync.test_enrich import ABS_KEY, HC_TOKEN, LIMITS, _fixture

README = Path(__file__).resolve().parents[2] / "README.md"
BATCH = 2  # the fixture has four candidates: two batches


def _recipe() -> list[list[str]]:
    """The commands of the README's sh block that follows the phase-4 sentence, with their comments cut."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"phase 4 did:\n\n```sh\n(.*?)```", text, re.S)
    assert block is not None, "the README lost its phase-4 recipe"
    return [shlex.split(line.split("#")[0]) for line in block.group(1).splitlines() if line.strip()]


def test_the_readmes_phase_4_recipe_reviews_then_writes_each_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = _recipe()
    assert [c[:2] for c in recipe] == [["bookrelay", "enrich"]] * 4
    assert "--auto-update" not in recipe[0] and "--auto-update" in recipe[1]
    monkeypatch.setattr(enrich_cli, "console", Console(width=1000, highlight=False))
    for name in ("HARDCOVER_TOKEN", "ABS_URL", "ABS_TOKEN", "BOOKRELAY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    sandbox = build_sandbox(_fixture())
    with serve_sandbox(sandbox) as base_url:
        config = {
            "global": {
                "database": f"sqlite:///{tmp_path / 'store.db'}",
                "secret_key_file": str(tmp_path / "secret.key"),
                "hardcover": {"url": f"{base_url}/hardcover/v1/graphql", **LIMITS},
            },
            "users": [
                {
                    "id": "alice",
                    "hardcover": {"token": HC_TOKEN},
                    "audiobookshelf": {"url": f"{base_url}/abs", "api_key": ABS_KEY},
                }
            ],
        }
        (tmp_path / "bookrelay.yaml").write_text(json.dumps(config), encoding="utf-8")
        outputs = []
        writes = []
        for command in recipe:
            args = [a if a != command[command.index("--limit") + 1] else str(BATCH) for a in command[1:]]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
            outputs.append(" ".join(result.output.split()))
            writes.append(sandbox.audiobookshelf.stats()["writes"])
    review_1, write_1, review_2, write_2 = outputs
    assert "dry run: nothing written" in review_1 and writes[0] == 0
    assert "candidates 1 to 2 of 4" in review_1 and "Project Hail Mary" in review_1
    assert "candidates 1 to 2 of 4" in write_1 and writes[1] == 2  # phm and martian, one PATCH each
    assert "The Martian" in write_1 and "Piranesi" not in write_1
    assert "Piranesi" in review_2 and "Anathem" in review_2 and "Project Hail Mary" not in review_2
    assert "Piranesi" in write_2 and writes[3] == 3  # piranesi (0.94) is strong; anathem has no proposal
    assert "that was the last batch" in write_2
