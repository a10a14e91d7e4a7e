"""``bookrelay init``: ask for each service's URL and token, check each answer with the doctor's checks,
write a commented ``bookrelay.yaml`` (and, if asked, the secrets to an env file instead).

The questions go through an injected ``ask(question, default, secret) -> str`` so the same flow runs
with Rich prompts on a terminal and with flag values in scripts.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from bookrelay.doctor import HARDCOVER_SCOPES, TOKEN_LINK, Check, check_hardcover
from bookrelay.doctor_services import check_audiobookshelf
from bookrelay.errors import ConfigError
from bookrelay.redact import register_secret

HARDCOVER_URL = "https://api.hardcover.app/v1/graphql"
Ask = Callable[[str, str | None, bool], str]
Report = Callable[[list[Check]], None]


@dataclass
class Answers:
    """What ``init`` writes; empty strings are "not given"."""

    user_id: str = "me"
    timezone: str = "UTC"
    hardcover_url: str = HARDCOVER_URL
    hardcover_token: str = ""
    abs_url: str = ""
    abs_api_key: str = ""
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        """The checks that failed on the final answers."""
        return [c for c in self.checks if not c.ok]


async def _with_client(run: Callable[[httpx.AsyncClient], Awaitable[list[Check]]]) -> list[Check]:
    async with httpx.AsyncClient(follow_redirects=False) as http:
        return await run(http)


def check_hardcover_answer(url: str, token: str) -> list[Check]:
    """The doctor's Hardcover checks for an answer (a missing token is one of them)."""
    register_secret(token)
    return asyncio.run(_with_client(lambda http: check_hardcover(http, url, token, "init")))


def check_abs_answer(url: str, api_key: str) -> list[Check]:
    """The doctor's Audiobookshelf checks for an answer."""
    register_secret(api_key)
    return asyncio.run(
        _with_client(lambda http: check_audiobookshelf(http, url, "init", api_key=api_key or None))
    )


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def gather(answers: Answers, ask: Ask | None, report: Report, *, attempts: int = 3) -> Answers:
    """Fill ``answers``: with ``ask`` each service is asked (again, up to ``attempts`` times, while its
    checks fail); without it the given answers are checked once. The final checks are kept."""
    if ask is not None:
        answers.user_id = ask("Your user id (letters, digits, . _ -)", answers.user_id, False).strip()
        zone = ask("Your time zone (IANA name, like Europe/Berlin)", answers.timezone, False).strip()
        while not _valid_zone(zone):
            zone = ask(f"{zone!r} is not a time zone name; try again", "UTC", False).strip()
        answers.timezone = zone
    for attempt in range(attempts):
        if ask is not None:
            answers.hardcover_url = ask("Hardcover API URL", answers.hardcover_url, False).strip()
            answers.hardcover_token = ask(
                f"Hardcover token (scopes {' '.join(HARDCOVER_SCOPES)}; {TOKEN_LINK})", None, True
            ).strip()
        hardcover = check_hardcover_answer(answers.hardcover_url, answers.hardcover_token)
        report(hardcover)
        if ask is None or all(c.ok for c in hardcover) or attempt == attempts - 1:
            break
    abs_checks: list[Check] = []
    for attempt in range(attempts):
        if ask is not None:
            answers.abs_url = ask("Audiobookshelf URL (server root; empty to skip)", answers.abs_url, False)
            answers.abs_url = answers.abs_url.strip().rstrip("/")
            if not answers.abs_url:
                break
            answers.abs_api_key = ask("Audiobookshelf API key (Settings → API Keys)", None, True).strip()
        if not answers.abs_url:
            break
        abs_checks = check_abs_answer(answers.abs_url, answers.abs_api_key)
        report(abs_checks)
        if ask is None or all(c.ok for c in abs_checks) or attempt == attempts - 1:
            break
    answers.checks = hardcover + abs_checks
    return answers


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def render(answers: Answers, env_file: Path | None) -> tuple[str, str | None]:
    """The commented YAML, and the env file's text when the secrets go there."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# bookrelay configuration, written by `bookrelay init` on {now}.",
        "# Check it with `bookrelay config check`, the connections with `bookrelay doctor`.",
        '# Every key is described in README.md, section "Configuration reference".',
        "global:",
        f"  timezone: {_q(answers.timezone)}  # dates on Hardcover are calendar dates in this zone",
        '  database: "sqlite:///./data/bookrelay.db"  # or postgresql://user@host:5432/bookrelay',
        "  hardcover:",
        f"    url: {_q(answers.hardcover_url)}",
        "users:",
        f"  - id: {_q(answers.user_id)}",
    ]
    env: list[str] = []
    scopes = " ".join(HARDCOVER_SCOPES)
    if env_file is None:
        lines += ["    hardcover:", f"      token: {_q(answers.hardcover_token)}  # scopes: {scopes}"]
    else:
        lines.append(f"    hardcover: {{}}  # token: HARDCOVER_TOKEN in {env_file} (scopes: {scopes})")
        env.append(f"HARDCOVER_TOKEN={answers.hardcover_token}")
    if answers.abs_url:
        lines += ["    audiobookshelf:", f"      url: {_q(answers.abs_url)}  # the server root, without /api"]
        if env_file is None:
            lines.append(f"      api_key: {_q(answers.abs_api_key)}  # Settings → API Keys; must be active")
        else:
            lines.append(f"      # api_key: ABS_TOKEN in {env_file}")
            env.append(f"ABS_TOKEN={answers.abs_api_key}")
    text = "\n".join(lines) + "\n"
    return text, (
        "\n".join(["# secrets for bookrelay (written by bookrelay init)", *env]) + "\n"
    ) if env_file else None


def write_private(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` readable by the owner only (it may hold tokens); refuses to overwrite unless told."""
    if path.exists() and not overwrite:
        raise ConfigError("exists already (give --force to overwrite it)", place=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through os.open
