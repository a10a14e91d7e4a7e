"""The composition root: the one package that reads configuration and builds clients, stores and jobs.

Front ends (the CLI, the web API and pages, the service and queue-worker entries, the demo) call the
functions here and render what they return; everything below receives its collaborators. Every function
takes a loaded :class:`~bookrelay.config.Config` (the caller loads it once with ``common.load_settings``);
only the checks that report a configuration file's problems (``check_configuration``, ``time_zone_report``,
``run_doctor``) and ``serve``, which reads the file again after ``PUT /api/config`` changed it, take its
path. One module per concern: ``common`` (configuration, the store, which users a command acts for),
``clients`` (the one HTTP client and one user's clients: ``async with user_clients(config, user)``),
``views`` and ``activity`` (read models for the front ends, of ``read_models``), ``matching``, ``progress``,
``audible``, ``wanted``, ``enrich``, ``doctor`` (with its checks), ``setup_wizard`` (``init``),
``scrobble``, ``jobs`` (the service job functions and their runner), ``queue`` (the runner the scheduler is
given: the PostgreSQL job queue or in-process), ``worker`` (``bookrelay worker``) and ``serving``
(``serve``, the once mode, the scheduler and real-time trigger wiring). A test that replaces a name patches
the module that uses it, not this package.

Import from the module itself (``from bookrelay.app.wanted import run_wanted_job``): a process then loads
only the concern it uses. The names below are still answered here (``from bookrelay.app import
run_progress``) for the many tests that import them so, each loading its own module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module of this package that defines it
EXPORTS: dict[str, str] = {
    "AudibleStatus": "audible",
    "audible_calls": "audible",
    "audible_import_auth_file": "audible",
    "audible_limits": "audible",
    "audible_login_browser": "audible",
    "audible_login_password": "audible",
    "audible_logout": "audible",
    "audible_status": "audible",
    "build_audible_collector": "audible",
    "set_link_sync": "audible",
    "UserClients": "clients",
    "build_user_clients": "clients",
    "http_client": "clients",
    "user_clients": "clients",
    "hardcover_token": "clients",
    "shared_budget_gate": "clients",
    "apply_queue_schema": "common",
    "check_configuration": "common",
    "chosen_users": "common",
    "config_path": "common",
    "job_overview": "common",
    "load_settings": "common",
    "open_store": "common",
    "secret_key_for": "common",
    "single_user": "common",
    "store_for": "common",
    "time_zone_report": "common",
    "upgrade_database": "common",
    "BookChange": "activity",
    "RunView": "activity",
    "recent_runs": "activity",
    "run_changes": "activity",
    "open_conflicts": "views",
    "run_doctor": "doctor",
    "build_enrich_job": "enrich",
    "run_enrich": "enrich",
    "undo_enrich": "enrich",
    "build_notifier": "jobs",
    "make_job_runner": "jobs",
    "build_progress_job": "progress",
    "get_conflict": "progress",
    "ignore_conflict": "progress",
    "item_labels": "progress",
    "list_conflicts": "progress",
    "pin_link": "progress",
    "progress_settings": "progress",
    "resolve_conflict": "progress",
    "run_progress": "progress",
    "unpin_link": "progress",
    "build_queue_runner": "queue",
    "close_runner": "queue",
    "queue_status_probe": "queue",
    "service_runner": "queue",
    "ScrobbleParts": "scrobble",
    "build_scrobble": "scrobble",
    "directions_for": "scrobble",
    "export_shelf": "scrobble",
    "hardcover_connect": "scrobble",
    "hardcover_disconnect": "scrobble",
    "import_shelf": "scrobble",
    "run_scrobble": "scrobble",
    "scrobble_session": "scrobble",
    "build_realtime": "serving",
    "build_service_scheduler": "serving",
    "build_web_app": "serving",
    "hardcover_lookups": "serving",
    "once_exit_code": "serving",
    "run_jobs_once": "serving",
    "run_once": "serving",
    "serve": "serving",
    "sync_interval": "serving",
    "retry_wanted": "wanted",
    "run_wanted_job": "wanted",
    "wanted_for_user": "wanted",
    "wanted_ledger": "wanted",
    "WorkerOptions": "worker",
    "start_worker": "worker",
    "work_queue": "worker",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    """``bookrelay.app.NAME``: loaded from its module of :data:`EXPORTS` on first use."""
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *EXPORTS})
