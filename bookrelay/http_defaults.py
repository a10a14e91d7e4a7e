"""What every part of bookrelay that talks HTTP shares, said once: Hardcover's addresses, the User-Agent
and the default time-outs in seconds.

A leaf: it imports nothing of bookrelay but the version (nor httpx), so ``config`` can use it while
depending on nothing above it. ``connectors/http.py`` turns the time-outs into the policy's ``httpx.Timeout``.
"""

from __future__ import annotations

from bookrelay import __version__

HARDCOVER_URL = "https://api.hardcover.app/v1/graphql"
HARDCOVER_OAUTH_URL = "https://api.hardcover.app"
USER_AGENT = f"bookrelay/{__version__} (+https://github.com/bookrelay)"

# Every service: wait up to 30 s for an answer, 10 s for a connection.
TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
# Hardcover stops a query after 30 s (ref/hardcover.md §3): wait a little longer so its 408 reaches us first.
HARDCOVER_TIMEOUT_SECONDS = 35.0
# The doctor's first raw probes: a setup check should not hang on a wrong address.
PROBE_TIMEOUT_SECONDS = 15.0
PROBE_CONNECT_TIMEOUT_SECONDS = 5.0
