"""Which job runs for whom: jobs follow what is configured unless ``global.jobs`` says otherwise.

A job left unset in ``global.jobs`` is on where what it needs is there: the wanted job when a Bookshelf
has an API key (its URL has a default), the progress job for each user with an Audiobookshelf or an
enabled Audible source. Enrich and scrobble write to Audiobookshelf, so they run only when switched on.
A job switched on without what it needs is a configuration problem, reported by ``config check``, rather
than a run that fails on every schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

from bookrelay.config.models import Config, UserConfig
from bookrelay.domain.jobs import JOB_NAMES

WANTED_NEEDS = "a Bookshelf API key (global.bookshelf.api_key or $BOOKSHELF_API_KEY)"
PROGRESS_NEEDS = "an audiobookshelf or audible section (or $ABS_URL and $ABS_TOKEN)"
ENRICH_NEEDS = "an audiobookshelf section (or $ABS_URL and $ABS_TOKEN)"


@dataclass(frozen=True, slots=True)
class JobChoice:
    """One job for one user: whether it runs and, in words, why (shown by ``config check``)."""

    job: str
    runs: bool
    why: str


@dataclass(frozen=True, slots=True)
class JobProblem:
    """A job switched on without what it needs: the config key to blame and the message."""

    key: tuple[str | int, ...]
    message: str


def _has_progress_source(user: UserConfig) -> bool:
    audible = user.audible is not None and user.audible.enabled
    return user.audiobookshelf is not None or audible


def _needs(config: Config, user: UserConfig, job: str) -> tuple[bool, str]:
    """Whether what ``job`` needs for ``user`` is configured, and what that is in words."""
    if job == "wanted":
        return config.global_.bookshelf.api_key is not None, WANTED_NEEDS
    if job == "enrich":
        return user.audiobookshelf is not None, ENRICH_NEEDS
    return _has_progress_source(user), PROGRESS_NEEDS  # progress and scrobble read a local source


def _auto(config: Config, user: UserConfig, job: str) -> bool:
    """The job's state when ``global.jobs`` leaves it unset."""
    if job in ("enrich", "scrobble"):
        return False  # they write to Audiobookshelf: asked for, never assumed
    return _needs(config, user, job)[0]


def job_choices(config: Config, user: UserConfig) -> list[JobChoice]:
    """Every job for ``user``: on or off, and why."""
    choices = []
    for job in JOB_NAMES:
        switch = getattr(config.global_.jobs, job)
        present, needs = _needs(config, user, job)
        if switch is not None:
            said = "on" if switch else "off"
            choices.append(JobChoice(job, bool(switch), f"global.jobs.{job} is {said}"))
        elif _auto(config, user, job):
            choices.append(JobChoice(job, True, "configured: " + _what_turned_it_on(job)))
        elif present:
            choices.append(JobChoice(job, False, f"off unless global.jobs.{job} is true"))
        else:
            choices.append(JobChoice(job, False, f"not configured: needs {needs}"))
    return choices


def _what_turned_it_on(job: str) -> str:
    return "a Bookshelf with an API key" if job == "wanted" else "an Audiobookshelf or Audible source"


def jobs_for(config: Config, user: UserConfig | str) -> tuple[str, ...]:
    """The jobs that run for ``user``, in the order of :data:`JOB_NAMES`."""
    found = config.user(user) if isinstance(user, str) else user
    return tuple(choice.job for choice in job_choices(config, found) if choice.runs)


def enabled_jobs(config: Config) -> tuple[str, ...]:
    """The jobs that run for at least one user."""
    running = {job for user in config.users for job in jobs_for(config, user)}
    return tuple(job for job in JOB_NAMES if job in running)


def job_problems(config: Config) -> list[JobProblem]:
    """Every job switched on in ``global.jobs`` for which a user (or the install) lacks what it needs."""
    switched_on = [job for job in JOB_NAMES if getattr(config.global_.jobs, job) is True]
    problems: list[JobProblem] = []
    if "wanted" in switched_on and config.global_.bookshelf.api_key is None:
        message = f"the wanted job is on but needs {WANTED_NEEDS}"
        problems.append(JobProblem(("global", "jobs", "wanted"), message))
    for i, user in enumerate(config.users):
        checked = [(job, *_needs(config, user, job)) for job in switched_on if job != "wanted"]
        lacking = [(job, needs) for job, present, needs in checked if not present]
        if not lacking:
            continue
        jobs = " and ".join(job for job, _ in lacking)
        switches = ", ".join(f"global.jobs.{job}" for job, _ in lacking)
        needs = "; ".join(dict.fromkeys(needs for _, needs in lacking))
        message = (
            f"user {user.id!r} has no source for the {jobs} job(s) switched on in {switches}: add {needs}, "
            "or leave the switch unset so that a job runs only for the users who have what it needs"
        )
        problems.append(JobProblem(("users", i), message))
    return problems
