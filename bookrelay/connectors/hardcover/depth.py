"""Which Hardcover servers refuse documents for their query depth, remembered per server URL.

Hardcover's API docs announce a maximum query depth of 3 (ref/hardcover.md §3 roadmap). bookrelay sends
its usual documents until a server refuses one for its depth; from then on it sends that server the
depth-3 forms (``flat_documents.flat_documents``), for every user of this process. The refusal is a
validation error, answered before anything runs, so the refused request is safe to send again in its
flat form: nothing of it was applied.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class DepthMemory:
    """Server URLs that refused a document for its depth, and the first refusal's words for each."""

    def __init__(self) -> None:
        self._refusals: dict[str, str] = {}
        self._lock = threading.Lock()

    def flat(self, url: str) -> bool:
        """True once ``url`` has refused a document for its depth: send it the depth-3 forms."""
        return url in self._refusals

    def learn(self, url: str, message: str) -> None:
        """Remember that ``url`` refused a document for its depth; logged once per server."""
        with self._lock:
            if url in self._refusals:
                return
            self._refusals[url] = message
        log.warning(
            "Hardcover at %s limits query depth (%s); bookrelay now sends it documents at most 3 deep, "
            "which costs more units per book",
            url,
            message,
        )

    def forget(self) -> None:
        """Forget every server (tests; a new process starts with nothing learnt)."""
        with self._lock:
            self._refusals.clear()


# One per process: every session to the same server shares what was learnt.
SERVERS = DepthMemory()
