"""The one error tree of bookrelay.

Connectors translate foreign exceptions (httpx, SQLAlchemy, pydantic) into these at their boundary;
front ends map them to exit codes and HTTP statuses through :func:`exit_code_for` and
:func:`http_status_for`, and nowhere else.
"""

from __future__ import annotations

from bookrelay.redact import redact


class BookrelayError(Exception):
    """Base of every error bookrelay raises on purpose; its message is safe to show (no secrets)."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, service: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.service = service

    def __str__(self) -> str:
        return f"{self.service}: {self.message}" if self.service else self.message


class ConfigError(BookrelayError):
    """The configuration (file, environment or CLI arguments) is wrong; ``place`` names where."""

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, *, place: str | None = None) -> None:
        super().__init__(f"{place}: {message}" if place else message)
        self.place = place


class AuthError(BookrelayError):
    """A token is wrong, expired or lacks a scope (N4): stops that user's run at once."""

    exit_code = 3
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        service: str | None = None,
        token_name: str | None = None,
        scope: str | None = None,
        user: str | None = None,
    ) -> None:
        parts = [message]
        if token_name:
            parts.append(f"token: {token_name}")
        if user:
            parts.append(f"user: {user}")
        if scope:
            parts.append(f"missing scope: {scope}")
        super().__init__("; ".join(parts), service=service)
        self.token_name = token_name
        self.scope = scope
        self.user = user


class RateLimited(BookrelayError):
    """The service answered 429 and retries ran out; ``retry_after`` is in seconds when known."""

    exit_code = 4
    http_status = 503

    def __init__(self, message: str, *, service: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, service=service)
        self.retry_after = retry_after


class QuotaExhausted(BookrelayError):
    """The daily budget of a token is spent (N1): the run stops cleanly and continues next time."""

    exit_code = 5
    http_status = 503

    def __init__(self, message: str, *, service: str | None = None, resets_in: float | None = None) -> None:
        super().__init__(message, service=service)
        self.resets_in = resets_in


class ServiceUnavailable(BookrelayError):
    """The service could not be reached or kept failing (5xx, timeouts, refused connections)."""

    exit_code = 6
    http_status = 503


class NotFound(BookrelayError):
    """The thing asked for does not exist (on a service, or in the store)."""

    exit_code = 7
    http_status = 404


class BadResponse(BookrelayError):
    """A service answered something we cannot use: malformed JSON, a GraphQL ``errors`` array,
    or a mutation's ``error`` field (N3)."""

    exit_code = 8
    http_status = 502


class AlreadyRunning(BookrelayError):
    """Another run of the same job for the same user is going (its lease is held); try again later."""

    exit_code = 9
    http_status = 409


def kind_of(error: BaseException) -> str | None:
    """The name of the class of this tree an error belongs to (``AmbiguousWrite`` → ``ServiceUnavailable``
    when that is its nearest class defined here); None for a foreign error."""
    for cls in type(error).__mro__:
        if cls.__module__ == __name__ and cls is not BookrelayError:
            return cls.__name__
    return None


def unexpected_error_text(error: BaseException) -> str:
    """What a run records when an error outside this tree stops it: the run failed, never "ok"."""
    detail = redact(str(error))[:200]
    named = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return f"stopped by an unexpected error ({named}); see the log"


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error; 1 for anything unexpected."""
    return error.exit_code if isinstance(error, BookrelayError) else 1


def http_status_for(error: BaseException) -> int:
    """The HTTP status the API answers for an error; 500 for anything unexpected."""
    return error.http_status if isinstance(error, BookrelayError) else 500
