"""Logging for the command line: bookrelay's own lines, not the libraries' chatter.

bookrelay logs at INFO by default (run start and end, how far a long run has come, retries) and at
DEBUG with ``-v`` (each item's decision); the libraries (httpx, SQLAlchemy, asyncio…) stay at WARNING
either way, so ``-v`` shows bookrelay's decisions rather than every HTTP request.
"""

from __future__ import annotations

import logging
import sys

from bookrelay.redact import install_log_redaction

_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def setup_logging(*, verbose: bool) -> None:
    """One handler on stderr; the ``bookrelay`` loggers at INFO (DEBUG when verbose), the rest at WARNING."""
    root = logging.getLogger()
    if not root.handlers:
        handler: logging.Handler
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.logging import RichHandler

            # Lines print above a live progress bar instead of tearing it.
            handler = RichHandler(console=Console(stderr=True), show_path=False, markup=False)
            handler.setFormatter(logging.Formatter("%(message)s"))
        else:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("bookrelay").setLevel(logging.DEBUG if verbose else logging.INFO)
    install_log_redaction()
