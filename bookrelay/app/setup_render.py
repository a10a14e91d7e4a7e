"""What ``bookrelay init`` writes: a commented ``bookrelay.yaml`` and, when asked, the secrets in an env
file that both ``set -a; . FILE`` and Docker compose's ``env_file`` read back unchanged."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from bookrelay.app.doctor_checks import HARDCOVER_SCOPES
from bookrelay.app.setup_wizard import Answers
from bookrelay.domain.jobs import JOB_NAMES
from bookrelay.errors import ConfigError
from bookrelay.redact import register_secret


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def env_line(name: str, value: str) -> str:
    """``NAME='value'``: single quotes keep a space (``Bearer hc_pat…``), ``$`` and ``#`` literal for a
    shell and for compose alike; a value holding a single quote gets double quotes with escapes."""
    if "'" not in value:
        return f"{name}='{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'{name}="{escaped}"'


def render(answers: Answers, env_file: Path | None) -> tuple[str, str | None]:
    """The commented YAML, and the env file's text when the secrets go there. A missing API key for
    ``serve`` is made here (random, 32 characters), so the web page is never left open."""
    if not answers.server_api_key:
        answers.server_api_key = secrets.token_urlsafe(24)
        register_secret(answers.server_api_key)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    jobs = ", ".join(f"{job}: {'true' if job in answers.jobs else 'false'}" for job in JOB_NAMES)
    lines = [
        f"# bookrelay configuration, written by `bookrelay init` on {now}.",
        "# Check it with `bookrelay config check`, the connections with `bookrelay doctor`.",
        '# Every key is described in README.md, section "Configuration reference".',
        "# Relative paths below are relative to this file's folder.",
        "global:",
        f"  timezone: {_q(answers.timezone)}  # dates on Hardcover are calendar dates in this zone",
        '  database: "sqlite:///./data/bookrelay.db"  # or postgresql://user@host:5432/bookrelay',
        '  secret_key_file: "./data/secret.key"  # encrypts stored logins (Audible); keep it with the store',
        f"  jobs: {{{jobs}}}",
        "  hardcover:",
        f"    url: {_q(answers.hardcover_url)}",
    ]
    env: list[str] = []

    def secret(key: str, name: str, value: str, indent: str, note: str) -> None:
        """A secret goes in the YAML, or in the env file with a comment in the YAML saying where."""
        if env_file is None:
            lines.append(f"{indent}{key}: {_q(value)}  # {note}")
        else:
            lines.append(f"{indent}# {key}: {name} in {env_file} ({note})")
            env.append(env_line(name, value))

    if "wanted" in answers.jobs:
        lines += ["  bookshelf:", f"    url: {_q(answers.bookshelf_url)}"]
        secret(
            "api_key", "BOOKSHELF_API_KEY", answers.bookshelf_api_key, "    ", "Bookshelf: Settings → General"
        )
        lines += ["  rreading_glasses:", f"    url: {_q(answers.rreading_glasses_url)}"]
    # With the secrets in the env file a section may hold comments only: "{}" keeps it a mapping.
    empty = " {}" if env_file is not None else ""
    lines.append(f"  server:{empty}  # bookrelay serve: the API (X-Api-Key) and the web page")
    secret(
        "api_key",
        "BOOKRELAY_API_KEY",
        answers.server_api_key,
        "    ",
        "the API's key; also signs in to the web page",
    )
    if answers.web_password:
        secret("password", "BOOKRELAY_WEB_PASSWORD", answers.web_password, "    ", "the web page's password")
    lines += ["users:", f"  - id: {_q(answers.user_id)}", f"    hardcover:{empty}"]
    secret(
        "token", "HARDCOVER_TOKEN", answers.hardcover_token, "      ", f"scopes: {' '.join(HARDCOVER_SCOPES)}"
    )
    if answers.abs_url:
        lines += ["    audiobookshelf:", f"      url: {_q(answers.abs_url)}  # the server root, without /api"]
        secret("api_key", "ABS_TOKEN", answers.abs_api_key, "      ", "Settings → API Keys; must be active")
    if answers.audible_locale:
        lines += [
            f"    audible: {{locale: {_q(answers.audible_locale)}}}"
            f"  # log in once: bookrelay audible login --user {answers.user_id}",
        ]
    text = "\n".join(lines) + "\n"
    if env_file is None:
        return text, None
    return text, "\n".join(["# secrets for bookrelay (written by bookrelay init)", *env]) + "\n"


def write_private(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` readable by the owner only (it may hold tokens); refuses to overwrite unless told."""
    if path.exists() and not overwrite:
        raise ConfigError("exists already (give --force to overwrite it)", place=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through os.open
