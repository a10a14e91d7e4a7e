"""Keeps secrets out of logs, errors and output (rule S1).

Every secret bookrelay reads (tokens, API keys, passwords) is registered here when the config is
loaded; :func:`redact` replaces each registered value, and a logging filter applies it to every record.
"""

from __future__ import annotations

import logging
import re
import threading

_MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
_WORD_LENGTH = 8  # letters-only values shorter than this are words, not secrets (is_plain_word)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

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
    global _pattern
    with _lock:
        variants = {value, value.strip()}
        lowered = value.lower()
        if lowered.startswith("bearer "):
            variants.add(value[7:].strip())
        _secrets.update(v for v in variants if len(v) >= _MIN_LENGTH and not is_plain_word(v))
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every token-shaped string masked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(_MASK, text)
    return _SHAPES.sub(lambda m: (m.group(1) or "") + _MASK, text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
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
