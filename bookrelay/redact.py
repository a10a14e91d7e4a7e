"""Keeps secrets out of logs, errors and output (rule S1).

Every secret bookrelay reads (tokens, API keys, passwords) is registered here when the config is
loaded; :func:`redact` replaces each registered value, and a logging filter applies it to every record.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from typing import Any

import ahocorasick

_MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
_WORD_LENGTH = 8  # a letters-only value shorter than this is a word someone typed, not a credential

_lock = threading.Lock()
_secrets: set[str] = set()
# One Aho-Corasick automaton finds every registered secret in a single pass over a text, whatever
# their number; it is rebuilt (in linear time) on the first redact() after a registration, so that
# loading thousands of users registers in linear time instead of recompiling a pattern per secret.
_automaton: ahocorasick.Automaton | None = None
_stale = False

# Things that look like credentials even when nobody registered them.
_SHAPES = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}|\bhc_(?:pat|at|rt)_[A-Za-z0-9._-]+|"
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
)


def is_plain_word(value: str) -> bool:
    """A short value of letters only ("wrong", "secret", "token"): what a person types to try the
    checks, never a real token or key. Masking it would garble every sentence that holds the word
    ("the token is *** or expired"), so it is not registered; real credentials are longer or mixed."""
    return len(value) < _WORD_LENGTH and value.isalpha()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` masks it everywhere from now on."""
    if not value or len(value) < _MIN_LENGTH or is_plain_word(value.strip()):
        return
    global _stale
    variants = {value, value.strip()}
    if value.lower().startswith("bearer "):
        variants.add(value[7:].strip())
    fresh = {v for v in variants if len(v) >= _MIN_LENGTH and not is_plain_word(v)} - _secrets
    if fresh:
        with _lock:
            _secrets.update(fresh)
            _stale = True


def _current_automaton() -> ahocorasick.Automaton | None:
    global _automaton, _stale
    if not _stale:
        return _automaton
    with _lock:
        if _stale:
            automaton = ahocorasick.Automaton()
            for secret in _secrets:
                automaton.add_word(secret, len(secret))
            automaton.make_automaton()
            _automaton, _stale = automaton, False
    return _automaton


def _mask_registered(text: str, automaton: ahocorasick.Automaton) -> str:
    # Every occurrence, overlapping ones too, is masked as the union of their spans: taking only the
    # leftmost match would leave the rest of a secret that overlaps another one readable.
    spans: list[list[int]] = []
    for end, length in sorted(automaton.iter(text), key=lambda hit: hit[0] - hit[1]):
        start = end - length + 1
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end + 1)
        else:
            spans.append([start, end + 1])
    if not spans:
        return text
    pieces, cursor = [], 0
    for start, stop in spans:
        pieces += [text[cursor:start], _MASK]
        cursor = stop
    pieces.append(text[cursor:])
    return "".join(pieces)


# A query parameter whose name says it carries a credential (`?api_key=…`, `&token=…`, an OAuth `code`):
# its value is masked even when nobody registered it, since a client may send a wrong or foreign key.
_QUERY_SECRET = re.compile(
    r"(?i)([?&;][\w.-]*(?:key|token|secret|passw|auth|session|signature|credential|\bcode)[\w.-]*=)[^&;#\s\"']+"
)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret, every token-shaped string and the value of every
    credential-named query parameter masked."""
    automaton = _current_automaton()
    if automaton is not None:
        text = _mask_registered(text, automaton)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + _MASK, text)
    return _SHAPES.sub(lambda m: (m.group(1) or "") + _MASK, text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # uvicorn's access formatter reads the request line from the arguments: mask each one.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
            return True
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the redacting filter on both of its handlers, so that
    neither the access log (the request line with its query) nor the error log shows a secret."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactingFilter}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact"]
    return config
