"""Enrich in batches, as the metadata workflow runs it: each ``--limit N`` batch continues where the last
batch of its kind stopped (or ``--offset``), so the batches together see what one full run sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bookrelay.cli import enrich as enrich_cli
from bookrelay.cli.main import app
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync.enrich import EnrichReport
from tests.sync.test_enrich import HC_TOKEN, _enrich, _fixture, _items

STRONG_ONLY = 0.98  # between the piranesi score (its duration is 6 % off) and the others


@pytest.fixture
def sandbox() -> Sandbox:
    return build_sandbox(_fixture())


def _seen(report: EnrichReport) -> list[str]:
    return [p.item_id for p in report.proposals] + [s[0] for s in report.skipped]


async def test_apply_batches_continue_where_the_last_stopped_and_find_what_a_full_run_finds(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    full = await _enrich(sandbox, store, tmp_path, min_score=STRONG_ONLY)  # a dry run: writes nothing
    strong_in_full = {p.item_id for p in full.proposals if p.strong}
    order = _seen(full)
    assert len(order) == 4 and strong_in_full == {"phm", "martian"}

    seen: list[str] = []
    written: set[str] = set()
    for n in range(2):
        batch = await _enrich(sandbox, store, tmp_path, apply=True, limit=2, min_score=STRONG_ONLY)
        assert batch.error is None and batch.batch is not None
        assert batch.candidates == 2, n
        seen += _seen(batch)
        written |= {item for item, *_ in batch.written}
    # The weak piranesi item stays a candidate, yet the second batch moved past it.
    assert seen == order
    assert written == strong_in_full
    assert batch.batch.remaining == 0 and batch.batch.last_item is None
    assert {item for item, data in _items(sandbox).items() if data.get("isbn")} >= strong_in_full

    again = await _enrich(sandbox, store, tmp_path, apply=True, limit=2, min_score=STRONG_ONLY)
    assert again.batch is not None and again.batch.first == 1  # after the last batch: from the top
    assert _seen(again) == [i for i in order if i not in strong_in_full]


async def test_dry_run_batches_and_apply_batches_keep_their_own_place(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    # Review a batch, apply it, review the next, apply that: each kind continues from its own last batch.
    review_1 = await _enrich(sandbox, store, tmp_path, limit=1, min_score=STRONG_ONLY)
    apply_1 = await _enrich(sandbox, store, tmp_path, apply=True, limit=1, min_score=STRONG_ONLY)
    review_2 = await _enrich(sandbox, store, tmp_path, limit=1, min_score=STRONG_ONLY)
    apply_2 = await _enrich(sandbox, store, tmp_path, apply=True, limit=1, min_score=STRONG_ONLY)
    assert _seen(review_1) == _seen(apply_1) == ["phm"]
    assert _seen(review_2) == _seen(apply_2) == ["martian"]
    # phm has its identifiers now and is no candidate, yet the batch continues after it, by title.
    assert apply_2.batch is not None and apply_2.batch.after_title == "Project Hail Mary"
    assert [item for item, *_ in apply_2.written] == ["martian", "martian"]  # isbn and asin


async def test_offset_skips_candidates_and_a_failed_batch_is_not_a_step_forward(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    third = await _enrich(sandbox, store, tmp_path, limit=1, offset=2, min_score=STRONG_ONLY)
    assert _seen(third) == ["piranesi"]
    assert third.batch is not None and (third.batch.first, third.batch.total) == (3, 4)
    # --offset 0 starts from the top whatever the last batch was.
    top = await _enrich(sandbox, store, tmp_path, limit=1, offset=0, min_score=STRONG_ONLY)
    assert _seen(top) == ["phm"]
    # A batch that stopped on an error leaves the place where it was.
    sandbox.hardcover.remove_token(HC_TOKEN)
    failed = await _enrich(sandbox, store, tmp_path, limit=1, min_score=STRONG_ONLY)
    assert failed.error is not None and "missing or wrong token" in failed.error
    assert "users[0].hardcover.token" in failed.error or "HARDCOVER_TOKEN" in failed.error
    sandbox.hardcover.add_token(HC_TOKEN, "alice")
    after = await _enrich(sandbox, store, tmp_path, limit=1, min_score=STRONG_ONLY)
    assert _seen(after) == ["martian"]


def test_cli_accepts_dry_run_and_auto_update(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    async def fake_run(settings: object, user: object, **options: Any) -> EnrichReport:
        calls.append(options)
        return EnrichReport("alice", dry_run=not options["apply"], min_score=0.85)

    monkeypatch.setattr(enrich_cli, "run_enrich", fake_run)
    monkeypatch.setattr(enrich_cli, "load_settings", lambda path: object())
    runner = CliRunner()
    assert runner.invoke(app, ["enrich", "--dry-run", "--limit", "5"]).exit_code == 0
    assert runner.invoke(app, ["enrich", "--auto-update", "--limit", "5", "--offset", "10"]).exit_code == 0
    assert [(c["apply"], c["limit"], c["offset"]) for c in calls] == [(False, 5, None), (True, 5, 10)]
    both = runner.invoke(app, ["enrich", "--dry-run", "--auto-update"])
    assert both.exit_code == 2 and "contradict" in both.output
    assert len(calls) == 2
