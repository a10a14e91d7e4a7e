"""The names of the four jobs, said once: config, the scheduler, the API and the wizard read them here."""

from __future__ import annotations

from typing import Literal, get_args

JobName = Literal["progress", "wanted", "enrich", "scrobble"]
JOB_NAMES: tuple[JobName, ...] = get_args(JobName)
