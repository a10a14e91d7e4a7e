"""Rules P1 (source fraction), P2 (Hardcover units) and P10 (calendar dates in the user's zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bookrelay.domain.models import Edition, MediaKind, Read, ReadingFormat, Source, SourceProgress
from bookrelay.domain.progress import local_date, read_fraction, source_fraction, to_hardcover_units
from bookrelay.errors import BadResponse


def _progress(**kwargs: object) -> SourceProgress:
    return SourceProgress(Source.AUDIOBOOKSHELF, "li_1", **kwargs)  # type: ignore[arg-type]


def test_P1_stored_progress_wins_when_above_zero() -> None:
    assert source_fraction(_progress(progress=0.42, current_time=10, duration=100), 1000) == pytest.approx(
        0.42
    )


def test_P1_zero_progress_falls_back_to_current_time_over_duration() -> None:
    assert source_fraction(_progress(current_time=50, duration=200), 1000) == pytest.approx(0.25)


def test_P1_zero_duration_falls_back_to_the_item_duration() -> None:
    assert source_fraction(_progress(current_time=300, duration=0), 1200) == pytest.approx(0.25)
    assert source_fraction(_progress(current_time=300, duration=0), None) == 0.0


def test_P1_ebook_progress_for_ebook_only_entries() -> None:
    assert source_fraction(_progress(ebook_progress=0.6), None) == pytest.approx(0.6)


def test_P1_is_finished_is_authoritative() -> None:
    assert source_fraction(_progress(progress=0.3, is_finished=True), 1000) == 1.0
    assert source_fraction(_progress(is_finished=True), None) == 1.0


def test_P1_fraction_never_exceeds_one() -> None:
    assert source_fraction(_progress(current_time=1300, duration=1200), None) == 1.0


@pytest.mark.parametrize("field", ["progress", "current_time", "duration", "ebook_progress"])
def test_P1_nonsense_from_the_source_is_a_clear_error(field: str) -> None:
    with pytest.raises(BadResponse, match=r"li_1.*not a non-negative number") as caught:
        source_fraction(_progress(**{field: float("nan")}), 1000)
    assert caught.value.service == "abs"


def test_P2_seconds_on_audio_editions() -> None:
    audio = Edition(id=1, book_id=1, audio_seconds=36_000, reading_format=ReadingFormat.AUDIO)
    value = to_hardcover_units(0.25, audio)
    assert (value.seconds, value.pages) == (9_000, None)


def test_P2_pages_on_text_editions() -> None:
    book = Edition(id=2, book_id=1, pages=400, audio_seconds=36_000, reading_format=ReadingFormat.PHYSICAL)
    value = to_hardcover_units(0.25, book)
    assert (value.seconds, value.pages) == (None, 100)


def test_P2_edition_with_both_units_follows_the_item_kind() -> None:
    both = Edition(id=3, book_id=1, pages=400, audio_seconds=36_000, reading_format=ReadingFormat.BOTH)
    assert to_hardcover_units(0.5, both, MediaKind.AUDIO).seconds == 18_000
    assert to_hardcover_units(0.5, both, MediaKind.EBOOK).pages == 200


def test_P2_edition_without_length_gives_nothing_to_write() -> None:
    assert to_hardcover_units(0.5, Edition(id=4, book_id=1, reading_format=ReadingFormat.AUDIO)).is_empty


def test_P2_read_fraction_from_percent_or_units() -> None:
    edition = Edition(id=1, book_id=1, audio_seconds=1000, reading_format=ReadingFormat.AUDIO)
    assert read_fraction(Read(id=1, progress=40.0), edition) == pytest.approx(0.4)
    assert read_fraction(Read(id=1, progress_seconds=250), edition) == pytest.approx(0.25)
    assert read_fraction(Read(id=1), edition) is None


def test_P10_late_utc_finish_is_the_next_day_in_berlin_and_same_day_in_new_york() -> None:
    ts = datetime(2025, 3, 14, 23, 30, tzinfo=UTC)
    assert local_date(ts, ZoneInfo("Europe/Berlin")).isoformat() == "2025-03-15"
    assert local_date(ts, ZoneInfo("America/New_York")).isoformat() == "2025-03-14"


def test_P10_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        local_date(datetime(2025, 3, 14, 23, 30), ZoneInfo("Europe/Berlin"))
