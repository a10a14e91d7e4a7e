"""Prometheus metrics: what one run adds, and the /metrics app part A mounts."""

from __future__ import annotations

from collections import Counter

import httpx

from bookrelay.service.metrics import REGISTRY, metrics_app, record_report
from bookrelay.service.results import RunResult, from_report
from bookrelay.sync.report import ProgressReport


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_record_report_counts_runs_items_units_errors_and_duration() -> None:
    before = {
        "runs": value("bookrelay_runs_total", job="progress", status="partial"),
        "written": value("bookrelay_items_total", job="progress", outcome="written"),
        "failed": value("bookrelay_items_total", job="progress", outcome="failed"),
        "units": value("bookrelay_hardcover_units_total", user="metrics-user", job="progress"),
        "item_errors": value("bookrelay_errors_total", job="progress", kind="item"),
        "durations": value("bookrelay_run_duration_seconds_count", job="progress"),
        "seconds": value("bookrelay_run_duration_seconds_sum", job="progress"),
    }
    result = RunResult(
        "metrics-user",
        "progress",
        "partial",
        duration_seconds=12.5,
        items={"written": 3, "failed": 1},
        hardcover_units=7,
    )
    record_report(result, finished_at=1_800_000_000.0)
    assert value("bookrelay_runs_total", job="progress", status="partial") == before["runs"] + 1
    assert value("bookrelay_items_total", job="progress", outcome="written") == before["written"] + 3
    assert value("bookrelay_items_total", job="progress", outcome="failed") == before["failed"] + 1
    assert (
        value("bookrelay_hardcover_units_total", user="metrics-user", job="progress") == before["units"] + 7
    )
    assert value("bookrelay_errors_total", job="progress", kind="item") == before["item_errors"] + 1
    assert value("bookrelay_run_duration_seconds_count", job="progress") == before["durations"] + 1
    assert value("bookrelay_run_duration_seconds_sum", job="progress") == before["seconds"] + 12.5
    assert (
        value("bookrelay_last_run_timestamp_seconds", user="metrics-user", job="progress") == 1_800_000_000.0
    )


def test_a_failed_run_counts_as_a_run_error() -> None:
    before = value("bookrelay_errors_total", job="wanted", kind="run")
    record_report(RunResult("metrics-user", "wanted", "failed", error="bookshelf: 401"))
    assert value("bookrelay_errors_total", job="wanted", kind="run") == before + 1


async def test_metrics_app_serves_the_prometheus_text_format() -> None:
    record_report(RunResult("metrics-user", "progress", "ok", items={"unchanged": 2}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=metrics_app()), base_url="http://m"
    ) as client:
        answer = await client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'bookrelay_runs_total{job="progress",status="ok"}' in answer.text
    assert "bookrelay_run_duration_seconds_bucket" in answer.text


def test_from_progress_names_finished_books_that_were_not_failures() -> None:
    report = ProgressReport("alice")
    report.run_id, report.written, report.unchanged, report.units_spent = 4, 2, 5, 6
    report.held = Counter({"P5": 1})
    report.failed = [("i3", "Emma", "500 from Hardcover")]
    report.finished = ["Dune"]  # Emma's MarkFinished failed: the job lists only written finishes
    result = from_report("progress", "alice", report, duration=3.0)
    assert result.status == "partial"
    assert result.finished_books == ("Dune",)
    assert result.items == {"written": 2, "unchanged": 5, "held": 1, "failed": 1}
    assert result.hardcover_units == 6 and result.run_id == 4
