"""Prometheus metrics of the service: runs, items by outcome, Hardcover units, errors, durations.

The metrics live in their own registry (not the library's global one), served by :func:`metrics_app`
at ``/metrics``. Labels are job, status, outcome and user id: never a title or anything secret.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app
from starlette.types import ASGIApp

from bookrelay.service.results import RunResult

REGISTRY = CollectorRegistry(auto_describe=True)

RUNS = Counter(
    "bookrelay_runs", "Job runs finished, by job and status.", ["job", "status"], registry=REGISTRY
)
ITEMS = Counter(
    "bookrelay_items", "Items handled by runs, by job and outcome.", ["job", "outcome"], registry=REGISTRY
)
HARDCOVER_UNITS = Counter(
    "bookrelay_hardcover_units",
    "Hardcover request units spent (each top-level GraphQL field is one).",
    ["user", "job"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "bookrelay_errors",
    "Failures: runs that stopped (kind=run) and items that failed (kind=item).",
    ["job", "kind"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "bookrelay_run_duration_seconds",
    "How long runs took.",
    ["job"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
LAST_RUN = Gauge(
    "bookrelay_last_run_timestamp_seconds",
    "When a job last finished for a user (Unix time).",
    ["user", "job"],
    registry=REGISTRY,
)
REALTIME_EVENTS = Counter(
    "bookrelay_realtime_events",
    "Audiobookshelf progress events received by the real-time trigger.",
    ["event"],
    registry=REGISTRY,
)


def record_report(report: RunResult, *, finished_at: float | None = None) -> None:
    """Count one finished run (dry runs too: they spend Hardcover units)."""
    RUNS.labels(report.job, report.status).inc()
    for outcome, count in report.items.items():
        if count > 0:
            ITEMS.labels(report.job, outcome).inc(count)
    if report.hardcover_units:
        HARDCOVER_UNITS.labels(report.user_id, report.job).inc(report.hardcover_units)
    if report.status == "failed":
        ERRORS.labels(report.job, "run").inc()
    failed_items = report.items.get("failed", 0)
    if failed_items:
        ERRORS.labels(report.job, "item").inc(failed_items)
    DURATION.labels(report.job).observe(max(report.duration_seconds, 0.0))
    if finished_at is not None:
        LAST_RUN.labels(report.user_id, report.job).set(finished_at)
    else:
        LAST_RUN.labels(report.user_id, report.job).set_to_current_time()


def record_event(event: str) -> None:
    """Count one real-time event from Audiobookshelf."""
    REALTIME_EVENTS.labels(event).inc()


def metrics_app(registry: CollectorRegistry | None = None) -> ASGIApp:
    """The ASGI app that serves the metrics in Prometheus' text format; mount it at ``/metrics``."""
    app: ASGIApp = make_asgi_app(registry=registry or REGISTRY)
    return app
