"""Reading Hardcover's answers: in-band errors and error bodies (ref/hardcover.md §2, §3, §5).

Pure helpers for ``session.py``; every text they return is redacted (S1).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bookrelay.redact import redact


def result_error(result: Any) -> str | None:
    """The in-band error of one top-level result (a mutation's ``error``/``errors``, search ``error``)."""
    if not isinstance(result, dict):
        return None
    for key in ("error", "errors"):
        value = result.get(key)
        if value:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return redact(text)
    return None


def json_or_none(response: httpx.Response) -> Any:
    """The answer's JSON body, or None when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def graphql_codes(body: Any) -> set[str]:
    """The ``extensions.code`` (or ``code``) values of an ``errors`` array in ``body``."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return set()
    codes = set()
    for error in body["errors"]:
        if isinstance(error, dict):
            extensions = error.get("extensions")
            if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
                codes.add(extensions["code"])
            if isinstance(error.get("code"), str):
                codes.add(error["code"])
    return codes


def error_text(body: Any, lead: str = ": ") -> str:
    """The server's own words from an error body, redacted, or '' when it said nothing usable."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for key in ("error", "error_description", "message"):
        if isinstance(body.get(key), str) and body[key] not in parts:
            parts.append(body[key])
    if isinstance(body.get("errors"), list):
        parts.extend(
            str(e.get("message")) for e in body["errors"] if isinstance(e, dict) and e.get("message")
        )
    text = redact(" - ".join(parts))[:300]
    return f"{lead}{text}" if text else ""
