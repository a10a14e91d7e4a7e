"""A worker's /metrics: the queue gauges it sets from one look at the queue, in the service's registry."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import generate_latest

from bookrelay.queue.schema import QueueStatus
from bookrelay.queue.worker import record_queue_status
from bookrelay.service.metrics import REGISTRY


def test_queue_depth_and_oldest_waiting_age_are_exported() -> None:
    since = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    record_queue_status(QueueStatus(7, 2, 1, 3, since), since.timestamp() + 42.5)
    text = generate_latest(REGISTRY).decode()
    assert 'bookrelay_queue_runs{state="waiting"} 7.0' in text
    assert 'bookrelay_queue_runs{state="failed"} 3.0' in text
    assert "bookrelay_queue_oldest_waiting_seconds 42.5" in text
    record_queue_status(QueueStatus(0, 0, 0, 0, None), since.timestamp())
    assert "bookrelay_queue_oldest_waiting_seconds 0.0" in generate_latest(REGISTRY).decode()
