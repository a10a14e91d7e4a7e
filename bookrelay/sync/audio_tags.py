"""ISBN/ASIN tags and durations of local audio files (m4b, m4a, mp3, flac), read with mutagen.

``enrich --scan-dir PATH`` points at the folder Audiobookshelf's library folder is mounted at on this
machine; an item's files are then under ``PATH/<item relPath>``. Tag names follow what taggers and
Audiobookshelf's own scanner use: an ``ISBN``/``ASIN`` (or ``AUDIBLE_ASIN``) text frame in ID3 (TXXX),
a Vorbis comment in FLAC, an iTunes freeform atom (``----:com.apple.iTunes:ISBN``) in MP4.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen import MutagenError

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".m4b", ".m4a", ".mp3", ".flac"})
_ISBN_NAMES = frozenset({"isbn", "isbn13", "isbn_13", "isbn-13", "isbn10", "isbn_10", "isbn-10"})
_ASIN_NAMES = frozenset({"asin", "audible_asin", "audibleasin", "amazon_asin"})


@dataclass(frozen=True, slots=True)
class FolderTags:
    """What the audio files of one item say: identifiers (raw, in file order), total duration, files read."""

    isbns: tuple[str, ...] = ()
    asins: tuple[str, ...] = ()
    duration_seconds: float = 0.0
    files: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = field(default=())

    @property
    def found_anything(self) -> bool:
        """True when a file was read."""
        return bool(self.files)


def _tag_name(key: str) -> str:
    """The bare tag name: ``TXXX:ASIN`` → asin, ``----:com.apple.iTunes:ISBN`` → isbn, ``isbn`` → isbn."""
    return key.rsplit(":", 1)[-1].strip().casefold()


def _texts(value: Any) -> list[str]:
    values = getattr(value, "text", value)  # ID3 frames keep their strings in .text
    if not isinstance(values, list | tuple):
        values = [values]
    texts = []
    for v in values:
        if isinstance(v, bytes):  # MP4 freeform atoms hold bytes
            v = v.decode("utf-8", errors="replace")
        text = str(v).strip()
        if text:
            texts.append(text)
    return texts


def read_file(path: Path) -> tuple[list[str], list[str], float] | None:
    """(ISBN values, ASIN values, duration in seconds) of one audio file; None when unreadable."""
    try:
        audio = mutagen.File(path)
    except (MutagenError, OSError) as exc:
        log.info("cannot read %s: %s", path, exc)
        return None
    if audio is None:
        return None
    isbns: list[str] = []
    asins: list[str] = []
    for key, value in (audio.tags or {}).items():
        name = _tag_name(str(key))
        if name in _ISBN_NAMES:
            isbns += _texts(value)
        elif name in _ASIN_NAMES:
            asins += _texts(value)
    length = float(getattr(audio.info, "length", 0.0) or 0.0)
    return isbns, asins, length


def item_folder(scan_dir: Path, rel_path: str) -> Path | None:
    """``scan_dir/rel_path`` when it stays inside ``scan_dir`` (a relPath is server data, not trusted)."""
    root = scan_dir.resolve()
    target = (root / rel_path).resolve()
    if target != root and root not in target.parents:
        return None
    return target


def read_item_tags(scan_dir: Path, rel_path: str) -> FolderTags:
    """The tags and total duration of the audio files at ``scan_dir/rel_path`` (a folder or one file)."""
    target = item_folder(scan_dir, rel_path)
    if target is None or not target.exists():
        return FolderTags()
    paths = [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
    isbns: list[str] = []
    asins: list[str] = []
    files: list[str] = []
    unreadable: list[str] = []
    total = 0.0
    for path in paths:
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        read = read_file(path)
        if read is None:
            unreadable.append(path.name)
            continue
        file_isbns, file_asins, length = read
        isbns += [v for v in file_isbns if v not in isbns]
        asins += [v for v in file_asins if v not in asins]
        total += length
        files.append(path.name)
    return FolderTags(tuple(isbns), tuple(asins), total, tuple(files), tuple(unreadable))
