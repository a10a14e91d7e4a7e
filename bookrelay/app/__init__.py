"""The composition root: the only package that reads configuration and builds clients, stores and jobs.

Front ends (CLI, web) call the functions here; everything below receives its collaborators. One module
per concern: ``common`` (configuration, the store), ``clients`` (one user's clients), ``progress``,
``audible``, ``wanted``, ``enrich``, ``doctor``, ``scrobble``, ``jobs`` (the service job functions and
their runner), ``queue`` (the PostgreSQL job queue, the worker) and ``service`` (scheduler, real-time
trigger, ``serve``). A test that replaces a name patches the module that uses it, not this package.
"""

from __future__ import annotations

from bookrelay.app.audible import (
    AudibleStatus,
    audible_calls,
    audible_import_auth_file,
    audible_limits,
    audible_login_browser,
    audible_login_password,
    audible_logout,
    audible_status,
    build_audible_collector,
    set_link_sync,
)
from bookrelay.app.clients import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    UserClients,
    build_user_clients,
    hardcover_token,
    shared_budget_gate,
)
from bookrelay.app.common import (
    apply_queue_schema,
    check_configuration,
    config_path,
    load_settings,
    open_store,
    recent_runs,
    run_changes,
    secret_key_for,
    store_for,
    upgrade_database,
)
from bookrelay.app.doctor import (
    run_doctor,
)
from bookrelay.app.enrich import (
    build_enrich_job,
    run_enrich,
    undo_enrich,
)
from bookrelay.app.jobs import (
    build_notifier,
    make_job_runner,
)
from bookrelay.app.progress import (
    build_progress_job,
    get_conflict,
    ignore_conflict,
    item_labels,
    list_conflicts,
    pin_link,
    progress_settings,
    resolve_conflict,
    run_progress,
    unpin_link,
)
from bookrelay.app.queue import (
    build_queue_runner,
    close_runner,
    queue_status_probe,
    service_runner,
    start_worker,
    work_queue,
)
from bookrelay.app.scrobble import (
    ScrobbleParts,
    build_scrobble,
    directions_for,
    export_shelf,
    hardcover_connect,
    hardcover_disconnect,
    import_shelf,
    run_scrobble,
    scrobble_session,
)
from bookrelay.app.service import (
    build_realtime,
    build_service_scheduler,
    build_web_app,
    hardcover_lookups,
    once_exit_code,
    run_jobs_once,
    run_once,
    serve,
    sync_interval,
)
from bookrelay.app.wanted import (
    retry_wanted,
    run_wanted_job,
    wanted_for_user,
    wanted_ledger,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "AudibleStatus",
    "ScrobbleParts",
    "UserClients",
    "apply_queue_schema",
    "audible_calls",
    "audible_import_auth_file",
    "audible_limits",
    "audible_login_browser",
    "audible_login_password",
    "audible_logout",
    "audible_status",
    "build_audible_collector",
    "build_enrich_job",
    "build_notifier",
    "build_progress_job",
    "build_queue_runner",
    "build_realtime",
    "build_scrobble",
    "build_service_scheduler",
    "build_user_clients",
    "build_web_app",
    "check_configuration",
    "close_runner",
    "config_path",
    "directions_for",
    "export_shelf",
    "get_conflict",
    "hardcover_connect",
    "hardcover_disconnect",
    "hardcover_lookups",
    "hardcover_token",
    "ignore_conflict",
    "import_shelf",
    "item_labels",
    "list_conflicts",
    "load_settings",
    "make_job_runner",
    "once_exit_code",
    "open_store",
    "pin_link",
    "progress_settings",
    "queue_status_probe",
    "recent_runs",
    "resolve_conflict",
    "retry_wanted",
    "run_changes",
    "run_doctor",
    "run_enrich",
    "run_jobs_once",
    "run_once",
    "run_progress",
    "run_scrobble",
    "run_wanted_job",
    "scrobble_session",
    "secret_key_for",
    "serve",
    "service_runner",
    "set_link_sync",
    "shared_budget_gate",
    "start_worker",
    "store_for",
    "sync_interval",
    "undo_enrich",
    "unpin_link",
    "upgrade_database",
    "wanted_for_user",
    "wanted_ledger",
    "work_queue",
]
