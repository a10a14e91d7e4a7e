"""bookrelay's configuration: a YAML file plus environment overrides, validated with pydantic.

Use :func:`load_config` (raises ConfigError listing every problem) or :func:`check_config`
(returns the problems with file, line and dotted key).
"""

from bookrelay.config.fields import resolve_database_url
from bookrelay.config.loader import (
    ConfigProblem,
    check_config,
    load_config,
    missing_file_message,
    zone_in_force,
)
from bookrelay.config.models import (
    AudiobookshelfAccount,
    BookshelfSettings,
    Config,
    GlobalSettings,
    HardcoverAccount,
    HardcoverSettings,
    JobsSettings,
    LibraryFilter,
    RreadingGlassesSettings,
    SyncOverride,
    SyncSettings,
    UserConfig,
)

__all__ = [
    "AudiobookshelfAccount",
    "BookshelfSettings",
    "Config",
    "ConfigProblem",
    "GlobalSettings",
    "HardcoverAccount",
    "HardcoverSettings",
    "JobsSettings",
    "LibraryFilter",
    "RreadingGlassesSettings",
    "SyncOverride",
    "SyncSettings",
    "UserConfig",
    "check_config",
    "load_config",
    "missing_file_message",
    "resolve_database_url",
    "zone_in_force",
]
