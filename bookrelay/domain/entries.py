"""One book a source reports progress on, as the matching and the progress job take it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bookrelay.domain.identifiers import metadata_hash
from bookrelay.domain.models import SourceItem, SourceProgress


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One book a source reports progress on."""

    item: SourceItem
    progress: SourceProgress

    @property
    def fingerprint(self) -> str:
        """A digest of everything that could change what is written: progress and metadata.

        An item whose fingerprint equals the one recorded after its last settled run needs no
        Hardcover request at all (zero units when nothing changed).
        """
        p = self.progress
        payload = [
            round(p.progress, 4),
            round(p.current_time, 1),
            round(p.duration, 1),
            round(p.ebook_progress, 4),
            p.is_finished,
            p.started_at.isoformat() if p.started_at else None,
            p.finished_at.isoformat() if p.finished_at else None,
            metadata_hash(self.item),
            self.item.isbn,
            self.item.asin,
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]
