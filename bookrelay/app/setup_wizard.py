"""``bookrelay init``: ask for every service of the config (Hardcover, Audiobookshelf, Bookshelf with
rreading-glasses, Audible, the key of ``serve``, which jobs run), check each answer with the doctor's
checks, and hand the answers to :mod:`bookrelay.app.setup_render` to write.

The questions go through an injected ``ask(question, default, secret) -> str`` so the same flow runs
with prompts on a terminal and with flag values in scripts; both go through the same validation, so
a script cannot write what a person would have been asked again for (an unknown zone, a bad id).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import ValidationError

from bookrelay.app.clients import http_client
from bookrelay.app.doctor_checks import HARDCOVER_SCOPES, TOKEN_LINK, Check, check_hardcover
from bookrelay.app.doctor_services import check_audiobookshelf, check_bookshelf, check_rreading_glasses
from bookrelay.config.models import AudibleLocale, Config
from bookrelay.domain.jobs import JOB_NAMES
from bookrelay.errors import ConfigError
from bookrelay.http_defaults import HARDCOVER_URL
from bookrelay.redact import register_secret

BOOKSHELF_URL = "http://bookshelf:8787"
RREADING_GLASSES_URL = "http://rreading-glasses:8080"
JOBS = JOB_NAMES
LOCALES: tuple[str, ...] = get_args(AudibleLocale)
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
Ask = Callable[[str, str | None, bool], str]
Report = Callable[[list[Check]], None]
Say = Callable[[str], None]


def system_zone() -> str:
    """The machine's IANA time zone (tzlocal reads /etc/localtime, $TZ and the platform's ways), UTC if
    it has none that ZoneInfo knows."""
    try:
        import tzlocal  # tzlocal: only the setup wizard asks for the machine's zone

        name = tzlocal.get_localzone_name() or "UTC"
    except Exception:  # tzlocal raises its own errors on odd set-ups; the default is only a suggestion
        return "UTC"
    return name if valid_zone(name) else "UTC"


@dataclass
class Answers:
    """What ``init`` writes; empty strings are "not given"."""

    user_id: str = "me"
    timezone: str = "UTC"
    hardcover_url: str = HARDCOVER_URL
    hardcover_token: str = ""
    abs_url: str = ""
    abs_api_key: str = ""
    jobs: tuple[str, ...] = ("progress",)
    bookshelf_url: str = ""
    bookshelf_api_key: str = ""
    rreading_glasses_url: str = ""
    audible_locale: str = ""
    server_api_key: str = ""
    web_password: str = ""
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        """The checks that failed on the final answers."""
        return [c for c in self.checks if not c.ok]


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def with_scheme(url: str) -> str:
    """``url`` without a trailing slash, with ``http://`` put in front when it names no scheme (a bare
    ``abs:13378`` would otherwise be read as scheme "abs" and fail far from here)."""
    url = url.strip().rstrip("/")
    if url and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        url = f"http://{url}"
    return url


def parse_jobs(text: str) -> tuple[str, ...]:
    """Job names from "progress, wanted" (commas or spaces); ConfigError names an unknown one."""
    names = tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", text.strip().lower()) if part))
    unknown = [name for name in names if name not in JOBS]
    if unknown:
        raise ConfigError(f"unknown job {unknown[0]!r}; the jobs are {', '.join(JOBS)}", place="jobs")
    return names


def validate(answers: Answers) -> None:
    """Normalise the answers as the prompts would, raising ConfigError naming the first bad one."""
    if not USER_ID.match(answers.user_id):
        raise ConfigError("letters, digits, '.', '_' and '-' only, at most 64", place="user id")
    if not valid_zone(answers.timezone):
        raise ConfigError(f"{answers.timezone!r} is not an IANA time zone name", place="time zone")
    if answers.audible_locale and answers.audible_locale not in LOCALES:
        raise ConfigError(f"not one of {', '.join(LOCALES)}", place="Audible marketplace")
    for name in ("hardcover_url", "abs_url", "bookshelf_url", "rreading_glasses_url"):
        setattr(answers, name, with_scheme(getattr(answers, name)))
    if "wanted" in answers.jobs:
        answers.bookshelf_url = answers.bookshelf_url or BOOKSHELF_URL
        answers.rreading_glasses_url = answers.rreading_glasses_url or RREADING_GLASSES_URL


async def _with_client(run: Callable[[httpx.AsyncClient], Awaitable[list[Check]]]) -> list[Check]:
    async with http_client() as http:  # our time-outs and User-Agent, as every other client
        return await run(http)


def check_hardcover_answer(url: str, token: str, user: str = "init") -> list[Check]:
    """The doctor's Hardcover checks for an answer (a missing token is one of them)."""
    register_secret(token)
    return asyncio.run(_with_client(lambda http: check_hardcover(http, url, token, user)))


def check_abs_answer(url: str, api_key: str, user: str = "init") -> list[Check]:
    """The doctor's Audiobookshelf checks for an answer."""
    register_secret(api_key)
    return asyncio.run(
        _with_client(lambda http: check_audiobookshelf(http, url, user, api_key=api_key or None))
    )


def check_wanted_answers(answers: Answers) -> list[Check]:
    """The doctor's Bookshelf and rreading-glasses checks for the answers of the wanted job."""
    register_secret(answers.bookshelf_api_key)
    shelf: dict[str, str] = {"url": answers.bookshelf_url}
    if answers.bookshelf_api_key:
        shelf["api_key"] = answers.bookshelf_api_key
    try:
        config = _wanted_config(answers, shelf)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"][1:])
        raise ConfigError(str(error["msg"]), place=where) from None

    async def both(http: httpx.AsyncClient) -> list[Check]:
        return [*await check_bookshelf(http, config), *await check_rreading_glasses(http, config)]

    return asyncio.run(_with_client(both))


def _wanted_config(answers: Answers, shelf: dict[str, str]) -> Config:
    return Config.model_validate(
        {
            "global": {
                "bookshelf": shelf,
                "rreading_glasses": {"url": answers.rreading_glasses_url},
            },
            # Only the shared services are checked from this config; the user is there to make it whole.
            "users": [{"id": answers.user_id, "hardcover": {"token": "not-used-here"}}],
        }
    )


def _ask_until(ask: Ask, question: str, default: str, ok: Callable[[str], bool], why: str) -> str:
    answer = ask(question, default, False).strip()
    while not ok(answer):
        answer = ask(f"{answer!r} {why}; try again", default, False).strip()
    return answer


def _ask_identity(answers: Answers, ask: Ask) -> None:
    answers.user_id = _ask_until(
        ask,
        "Your user id (letters, digits, . _ -)",
        answers.user_id,
        lambda text: USER_ID.match(text) is not None,
        "is not a user id",
    )
    answers.timezone = _ask_until(
        ask, "Your time zone (IANA name)", answers.timezone, valid_zone, "is not a time zone name"
    )

    def jobs_ok(text: str) -> bool:
        try:
            return bool(parse_jobs(text))
        except ConfigError:
            return False

    jobs = _ask_until(
        ask, f"Jobs to run ({', '.join(JOBS)})", ", ".join(answers.jobs), jobs_ok, "names an unknown job"
    )
    answers.jobs = parse_jobs(jobs)


def _retry(
    attempts: int, ask: Ask | None, step: Callable[[], list[Check] | None], report: Report
) -> list[Check]:
    """Run ``step`` (which asks, then checks) until its checks pass or the attempts are spent."""
    checks: list[Check] = []
    for attempt in range(attempts):
        found = step()
        if found is None:
            return []
        checks = found
        report(checks)
        if ask is None or all(c.ok for c in checks) or attempt == attempts - 1:
            break
    return checks


def gather(answers: Answers, ask: Ask | None, report: Report, say: Say, *, attempts: int = 3) -> Answers:
    """Fill ``answers``: with ``ask`` each service is asked (again, up to ``attempts`` times, while its
    checks fail); without it the given answers are validated and checked once. The final checks are
    kept; ConfigError names an answer that cannot be used."""
    if ask is not None:
        _ask_identity(answers, ask)
    validate(answers)
    user = answers.user_id

    def hardcover() -> list[Check]:
        if ask is not None:
            answers.hardcover_url = with_scheme(ask("Hardcover API URL", answers.hardcover_url, False))
            answers.hardcover_token = ask(
                f"Hardcover token (scopes {' '.join(HARDCOVER_SCOPES)}; {TOKEN_LINK})", None, True
            ).strip()
        return check_hardcover_answer(answers.hardcover_url, answers.hardcover_token, user)

    def audiobookshelf() -> list[Check] | None:
        if ask is not None:
            given = ask("Audiobookshelf URL (server root; empty to skip)", answers.abs_url, False)
            answers.abs_url = with_scheme(given)
            if answers.abs_url and answers.abs_url != given.strip().rstrip("/"):
                say(f"no scheme given: using {answers.abs_url}")
            if not answers.abs_url:
                return None
            answers.abs_api_key = ask("Audiobookshelf API key (Settings → API Keys)", None, True).strip()
        if not answers.abs_url:
            return None
        return check_abs_answer(answers.abs_url, answers.abs_api_key, user)

    def wanted() -> list[Check] | None:
        if "wanted" not in answers.jobs:
            return None
        if ask is not None:
            answers.bookshelf_url = with_scheme(ask("Bookshelf URL", answers.bookshelf_url, False))
            answers.bookshelf_api_key = ask("Bookshelf API key (Settings → General)", None, True).strip()
            answers.rreading_glasses_url = with_scheme(
                ask("rreading-glasses URL", answers.rreading_glasses_url, False)
            )
        return check_wanted_answers(answers)

    checks = _retry(attempts, ask, hardcover, report)
    checks += _retry(attempts, ask, audiobookshelf, report)
    checks += _retry(attempts, ask, wanted, report)
    if ask is not None:
        _ask_extras(answers, ask)
    answers.checks = checks
    return answers


def _ask_extras(answers: Answers, ask: Ask) -> None:
    """Audible and ``serve``: nothing to check without a login or a running server."""
    answers.audible_locale = _ask_until(
        ask,
        f"Audible marketplace ({', '.join(LOCALES)}; empty to skip)",
        answers.audible_locale,
        lambda text: text in ("", *LOCALES),
        "is not a marketplace",
    )
    answers.server_api_key = ask(
        "API key for `bookrelay serve` (empty: a random one is made)", None, True
    ).strip()
    answers.web_password = ask("Password for the web page (empty: the API key only)", None, True).strip()
