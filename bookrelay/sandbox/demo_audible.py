"""The demo's Audible account: a small library for the demo user that overlaps the demo's Hardcover
catalogue by ASIN, so that one run shows the rules A1-A4 next to the Audiobookshelf cases.

- "The Midnight Library": also in Audiobookshelf, whose progress is older: Audible's newer update is
  written (SetProgress on the open read) and the Audiobookshelf item is held (``Hold:A4``).
- "Klara and the Sun": finished on Audible *before* Audiobookshelf finished it: Audiobookshelf wins and
  the Audible title is held (``Hold:A4``).
- "Hyperion": a title of the shared household account that is not the demo user's; its sync is
  switched off (A1), so it is skipped before matching.
- "Babel": bought but not started: never collected, costs nothing.

The titles are looked up in the demo fixture by name, so the ASINs always agree with it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bookrelay.sandbox.audible import new_device_auth

AUDIBLE_LOCALE = "us"
NEWER_BY = timedelta(days=2)
# Title → the first planned action of a first real run (the demo's DemoCase.action notation).
DEMO_AUDIBLE_EXPECTED = {
    "The Midnight Library": "SetProgress",
    "Klara and the Sun": "Hold:A4",
    "Hyperion": "disabled",
}
# The Audiobookshelf demo cases whose first action changes once the Audible section is plugged in.
ABS_CASES_SUPERSEDED = {"The Midnight Library": "Hold:A4"}
DISABLED_TITLES = ("Hyperion",)


def _audio_asin(fixture: dict[str, Any], title: str) -> tuple[str, int]:
    """The ASIN and length of the audio edition of the demo book called ``title``."""
    hardcover = fixture.get("hardcover", {})
    for book in hardcover.get("books", []):
        if book.get("title") != title:
            continue
        for edition in hardcover.get("editions", []):
            if edition.get("book_id") == book["id"] and edition.get("asin") and edition.get("audio_seconds"):
                return str(edition["asin"]), int(edition["audio_seconds"])
    raise ValueError(f"the demo fixture has no audio edition with an ASIN for {title!r}")


def _abs_progress(fixture: dict[str, Any], title: str) -> dict[str, Any]:
    for entry in fixture.get("audiobookshelf", {}).get("progress", []):
        if entry.get("title") == title and not entry.get("episodeId"):
            return dict(entry)
    raise ValueError(f"the demo fixture has no Audiobookshelf progress for {title!r}")


def _stamp(epoch_ms: int, shift: timedelta) -> str:
    return (datetime.fromtimestamp(epoch_ms / 1000, UTC) + shift).strftime("%Y-%m-%d %H:%M:%S.000")


def _item(asin: str, title: str, author: str, seconds: int, percent: float, finished: bool) -> dict[str, Any]:
    return {
        "asin": asin,
        "title": title,
        "authors": [{"asin": None, "name": author}],
        "narrators": [{"asin": None, "name": "Demo Narrator"}],
        "runtime_length_min": round(seconds / 60),
        "percent_complete": 100.0 if finished else percent,
        "is_finished": finished,
    }


def demo_audible_section(fixture: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``audible`` section of the sandbox fixture for the demo user, built against ``fixture`` (the
    demo fixture by default); its account's ``auth`` is what the store must hold for that user
    (:func:`demo_audible_login`)."""
    if fixture is None:
        from bookrelay.sandbox.demo_data import demo_fixture

        fixture = demo_fixture()
    midnight, midnight_secs = _audio_asin(fixture, "The Midnight Library")
    klara, klara_secs = _audio_asin(fixture, "Klara and the Sun")
    hyperion, hyperion_secs = _audio_asin(fixture, "Hyperion")
    babel, babel_secs = _audio_asin(fixture, "Babel")
    abs_midnight = _abs_progress(fixture, "The Midnight Library")
    abs_klara = _abs_progress(fixture, "Klara and the Sun")
    ahead = min(0.95, float(abs_midnight["progress"]) + 0.15)  # further, and newer: A4 picks it
    klara_done = abs_klara.get("finishedAt") or abs_klara["lastUpdate"]
    finished_at = datetime.fromtimestamp(klara_done / 1000, UTC) - NEWER_BY
    return {
        "rate_limit_per_minute": 120,
        "accounts": [
            {
                "name": "demo",
                "auth": new_device_auth(AUDIBLE_LOCALE, expires=time.time() + 3600, name="demo"),
                "library": [
                    _item(midnight, "The Midnight Library", "Matt Haig", midnight_secs, ahead * 100, False),
                    _item(klara, "Klara and the Sun", "Kazuo Ishiguro", klara_secs, 100.0, True),
                    _item(hyperion, "Hyperion", "Dan Simmons", hyperion_secs, 70.0, False),
                    _item(babel, "Babel", "R. F. Kuang", babel_secs, 0.0, False),
                ],
                "positions": {
                    midnight: {
                        "position_ms": int(ahead * midnight_secs * 1000),
                        "last_updated": _stamp(abs_midnight["lastUpdate"], NEWER_BY),
                    },
                    hyperion: {
                        "position_ms": int(0.7 * hyperion_secs * 1000),
                        "last_updated": "2026-11-10 20:00:00.000",
                    },
                },
                "finished_events": [
                    {
                        "asin": klara,
                        "event_timestamp": finished_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "is_marked_as_finished": True,
                    }
                ],
            }
        ],
    }


def demo_audible_login(section: dict[str, Any]) -> dict[str, Any]:
    """The auth data to store for the demo user (``bookrelay.sync.audible_auth.save_auth``)."""
    return dict(section["accounts"][0]["auth"])


def demo_audible_disabled(section: dict[str, Any]) -> list[str]:
    """The ASINs whose sync the demo user switched off (A1): set them with ``set_sync_enabled``."""
    return [item["asin"] for item in section["accounts"][0]["library"] if item["title"] in DISABLED_TITLES]
