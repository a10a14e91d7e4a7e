"""Rule M5: which edition progress goes on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bookrelay.domain.models import Edition, MediaKind, ReadingFormat, Source, SourceItem
from bookrelay.matching.editions import (
    NO_AUDIO_EDITION,
    NO_EDITION_AT_ALL,
    NO_TEXT_EDITION,
    choose_edition,
    is_audio_capable,
)

AUDIO_SHORT = Edition(
    id=1, book_id=10, audio_seconds=30_000, reading_format=ReadingFormat.AUDIO, users_count=50
)
AUDIO_LONG = Edition(
    id=2, book_id=10, audio_seconds=61_000, reading_format=ReadingFormat.AUDIO, users_count=5
)
AUDIO_NO_LENGTH = Edition(id=3, book_id=10, reading_format=ReadingFormat.AUDIO, users_count=900)
HARDCOVER = Edition(
    id=4, book_id=10, pages=480, isbn_13="9780441172719", reading_format=ReadingFormat.PHYSICAL
)
KINDLE = Edition(
    id=5, book_id=10, pages=470, asin="B00B4E7UX4", reading_format=ReadingFormat.EBOOK, users_count=3
)
PAPERBACK = Edition(id=6, book_id=10, pages=512, reading_format=ReadingFormat.PHYSICAL, users_count=400)
ALL = (AUDIO_SHORT, AUDIO_LONG, AUDIO_NO_LENGTH, HARDCOVER, KINDLE, PAPERBACK)


def _item(kind: MediaKind = MediaKind.AUDIO, duration: float | None = 60_000.0) -> SourceItem:
    return SourceItem(Source.AUDIOBOOKSHELF, "li_1", "Dune", media_kind=kind, duration_seconds=duration)


def test_M5_existing_edition_is_kept() -> None:
    choice = choose_edition(_item(), ALL, hit_edition=AUDIO_LONG, existing_edition_id=PAPERBACK.id)
    assert choice.ok
    assert choice.edition_id == PAPERBACK.id
    assert choice.edition is PAPERBACK


def test_M5_existing_edition_is_kept_even_when_not_in_the_list() -> None:
    choice = choose_edition(_item(), ALL, hit_edition=None, existing_edition_id=999)
    assert choice.ok
    assert choice.edition_id == 999
    assert choice.edition is None


def test_M5_audio_item_gets_the_closest_audio_length() -> None:
    assert choose_edition(_item(duration=60_000.0), ALL).edition_id == AUDIO_LONG.id
    assert choose_edition(_item(duration=31_000.0), ALL).edition_id == AUDIO_SHORT.id


def test_M5_audio_item_without_duration_takes_the_most_used_audio_edition_with_a_length() -> None:
    assert choose_edition(_item(duration=None), ALL).edition_id == AUDIO_SHORT.id


def test_M5_asin_hit_on_an_audio_edition_with_length_is_taken() -> None:
    assert choose_edition(_item(duration=60_000.0), ALL, hit_edition=AUDIO_SHORT).edition_id == AUDIO_SHORT.id


def test_M5_kindle_asin_on_audio_item_goes_to_the_audio_edition() -> None:
    choice = choose_edition(_item(), ALL, hit_edition=KINDLE)
    assert choice.edition is not None
    assert choice.edition.reading_format is ReadingFormat.AUDIO
    assert choice.edition_id == AUDIO_LONG.id


def test_M5_print_isbn_on_audio_item_goes_to_the_audio_edition() -> None:
    choice = choose_edition(_item(), ALL, hit_edition=HARDCOVER)
    assert choice.edition_id == AUDIO_LONG.id


def test_M5_no_audio_seconds_is_a_conflict_not_a_text_edition_when_the_setting_asks() -> None:
    choice = choose_edition(
        _item(), (AUDIO_NO_LENGTH, HARDCOVER, KINDLE), hit_edition=HARDCOVER, no_audio_edition="conflict"
    )
    assert not choice.ok
    assert choice.edition_id is None
    assert choice.conflict == NO_AUDIO_EDITION


def test_M5_text_item_takes_the_named_edition_with_pages() -> None:
    choice = choose_edition(_item(MediaKind.EBOOK), ALL, hit_edition=HARDCOVER)
    assert choice.edition_id == HARDCOVER.id


def test_M5_ebook_item_prefers_an_ebook_edition_with_pages() -> None:
    assert choose_edition(_item(MediaKind.EBOOK), ALL).edition_id == KINDLE.id


def test_M5_text_item_falls_back_to_the_most_used_paged_edition() -> None:
    named_without_pages = Edition(
        id=7, book_id=10, isbn_13="9780441172719", reading_format=ReadingFormat.PHYSICAL
    )
    choice = choose_edition(
        _item(MediaKind.EBOOK),
        (AUDIO_LONG, HARDCOVER, PAPERBACK, named_without_pages),
        hit_edition=named_without_pages,
    )
    assert choice.edition_id == PAPERBACK.id


def test_M5_text_item_never_goes_on_an_audio_edition() -> None:
    choice = choose_edition(_item(MediaKind.EBOOK), (AUDIO_SHORT, AUDIO_LONG), hit_edition=AUDIO_SHORT)
    assert not choice.ok
    assert choice.conflict == NO_TEXT_EDITION


def test_M5_no_audio_edition_puts_page_progress_on_the_edition_the_identifier_named() -> None:
    choice = choose_edition(_item(), (AUDIO_NO_LENGTH, HARDCOVER, KINDLE, PAPERBACK), hit_edition=HARDCOVER)
    assert choice.ok
    assert choice.edition_id == HARDCOVER.id
    assert choice.note == "no audio edition: page progress on edition 4, print, 480 pages"


def test_M5_no_audio_edition_without_a_paged_hit_takes_the_most_read_paged_edition() -> None:
    named_audio = Edition(id=8, book_id=10, asin="B0AUDIO001", reading_format=ReadingFormat.AUDIO)
    titled = Edition(
        id=9, book_id=10, title="Dune", pages=600, edition_format="Mass Market Paperback", users_count=9_000
    )
    choice = choose_edition(
        _item(), (named_audio, AUDIO_NO_LENGTH, KINDLE, PAPERBACK, titled), hit_edition=named_audio
    )
    assert choice.edition_id == titled.id
    assert choice.note == "no audio edition: page progress on Dune, Mass Market Paperback, 600 pages"


def test_M5_no_audio_edition_and_no_pages_is_a_conflict() -> None:
    choice = choose_edition(_item(), (AUDIO_NO_LENGTH,))
    assert not choice.ok
    assert choice.conflict == NO_EDITION_AT_ALL


def test_M5_an_audio_edition_with_a_length_still_wins_over_pages() -> None:
    choice = choose_edition(_item(), (AUDIO_SHORT, HARDCOVER, PAPERBACK), hit_edition=HARDCOVER)
    assert choice.edition_id == AUDIO_SHORT.id
    assert choice.note is None


_EDITIONS = st.builds(
    Edition,
    id=st.integers(1, 50),
    book_id=st.just(10),
    pages=st.one_of(st.none(), st.integers(0, 900)),
    audio_seconds=st.one_of(st.none(), st.integers(0, 90_000)),
    reading_format=st.one_of(st.none(), st.sampled_from(list(ReadingFormat))),
    users_count=st.integers(0, 1_000),
)


@given(st.lists(_EDITIONS, max_size=6, unique_by=lambda e: e.id), st.sampled_from(["pages", "conflict"]))
def test_M5_an_audiobook_never_lands_on_an_edition_without_a_length(
    editions: list[Edition], mode: str
) -> None:
    choice = choose_edition(_item(), editions, no_audio_edition=mode)  # type: ignore[arg-type]
    if not choice.ok:
        assert choice.conflict
        return
    assert choice.edition is not None
    if is_audio_capable(choice.edition):
        return
    # The page fallback only when no audio edition has a length, only with the setting, only with pages.
    assert mode == "pages"
    assert not any(is_audio_capable(e) for e in editions)
    assert choice.edition.pages and choice.edition.reading_format is not ReadingFormat.AUDIO
    assert choice.note and choice.note.startswith("no audio edition: page progress on")
