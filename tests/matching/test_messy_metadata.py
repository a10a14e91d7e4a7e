"""Rule M4 on messier library metadata: orthography, what is not title, author-name forms."""

from __future__ import annotations

import pytest

from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import (
    Book,
    Edition,
    ReadingFormat,
    SeriesRef,
    Source,
    SourceItem,
    SourceProgress,
)
from bookrelay.matching.authors import author_similarity
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.score import decide, score_candidate
from bookrelay.matching.text import fold
from bookrelay.matching.titles import (
    canonical,
    is_placeholder,
    search_query,
    strip_author_prefix,
    title_forms,
    title_variants,
)

AUTHOR = "Travis Baldree"


def _book(title: str, author: str = AUTHOR, seconds: int = 40_000) -> Book:
    edition = Edition(id=1, book_id=7, audio_seconds=seconds, reading_format=ReadingFormat.AUDIO)
    return Book(id=7, title=title, authors=(author,), editions=(edition,))


def _item(title: str, *authors: str, seconds: float = 40_000.0) -> SourceItem:
    return SourceItem(
        Source.AUDIOBOOKSHELF, "li_1", title, authors=authors or (AUTHOR,), duration_seconds=seconds
    )


def _entry(title: str) -> SourceEntry:
    return SourceEntry(_item(title), SourceProgress(Source.AUDIOBOOKSHELF, "li_1"))


def _kind(item: SourceItem, book: Book) -> MatchOutcome:
    return decide(item, [(book, score_candidate(item, book))]).kind


@pytest.mark.parametrize(
    ("shown", "catalogued"),
    [
        ("Legends & Lattes", "Legends and Lattes"),
        ("The Fire-Born Queen", "The Fireborn Queen"),
        ("The Fire Born Queen", "The Fire-Born Queen"),
        ("Dr. Sleep", "Doctor Sleep"),
        ("Mister Pip", "Mr. Pip"),
        ("St. Lucy's Home", "Saint Lucy's Home"),
        ("Seven Kings of Arden", "7 Kings of Arden"),
        ("Twenty-Two Doors", "22 Doors"),
    ],
)
def test_M4_titles_that_differ_only_in_orthography_link(shown: str, catalogued: str) -> None:
    assert _kind(_item(shown), _book(catalogued)) is MatchOutcome.LINKED


@pytest.mark.parametrize(
    ("shown", "catalogued"),
    [
        ("Seven Kings of Arden", "Eight Kings of Arden"),
        ("7 Kings of Arden", "8 Kings of Arden"),
        ("Dr. Sleep", "Dr. Dream"),
    ],
)
def test_M4_other_numbers_or_words_stay_other_books(shown: str, catalogued: str) -> None:
    assert _kind(_item(shown), _book(catalogued)) is MatchOutcome.UNMATCHED


def test_M4_canonical_spelling_folds_abbreviations_numbers_and_leading_zeros() -> None:
    assert canonical(fold("Dr. Who and the 07 Twenty-Two Mr. Men")) == "doctor who and the 7 22 mister men"


@pytest.mark.parametrize(
    "shown", ["01 - Legends & Lattes", "Track 3 - Legends & Lattes", "2. Legends & Lattes"]
)
def test_M4_a_track_number_before_the_title_is_not_the_title(shown: str) -> None:
    assert _kind(_item(shown), _book("Legends & Lattes")) is MatchOutcome.LINKED
    entry = _entry(shown)
    assert "Legends & Lattes" in title_variants(entry.item)
    assert search_query(entry.item) == f"legends and lattes {AUTHOR}"  # folded, the track number gone


@pytest.mark.parametrize("shown", [f"{AUTHOR} - Legends & Lattes", f"{AUTHOR}: Legends & Lattes"])
def test_M4_the_items_author_before_a_dash_is_not_the_title(shown: str) -> None:
    assert strip_author_prefix(shown, [AUTHOR]) == "Legends & Lattes"
    assert _kind(_item(shown), _book("Legends & Lattes")) is MatchOutcome.LINKED
    assert search_query(_entry(shown).item) == f"legends and lattes {AUTHOR}"


def test_M4_another_name_before_a_dash_stays_part_of_the_title() -> None:
    assert strip_author_prefix("Star Wars - Thrawn", [AUTHOR]) is None
    assert strip_author_prefix("Legends & Lattes", [AUTHOR]) is None


@pytest.mark.parametrize("title", ["Track 01", "01", "Chapter 3", "", "Part 2 - Disc 1"])
def test_M3_a_placeholder_title_names_no_book(title: str) -> None:
    assert is_placeholder(title)
    assert title_forms("Leviathan Wakes") and not is_placeholder("Leviathan Wakes")


@pytest.mark.parametrize(
    "shown",
    [
        "Travis Baldree, Ph.D.",
        "Travis Baldree PhD",
        "Travis Baldree, Jr.",
        "Travis Baldree (Author)",
        "BALDREE, Travis",
    ],
)
def test_M4_degrees_roles_and_case_around_an_author_name_are_not_the_name(shown: str) -> None:
    assert author_similarity(shown, AUTHOR) >= 0.95
    assert _kind(_item("Legends & Lattes", shown), _book("Legends & Lattes")) is MatchOutcome.LINKED


def _volume(book_id: int, title: str, position: str, seconds: int = 40_000) -> Book:
    edition = Edition(id=book_id, book_id=book_id, audio_seconds=seconds, reading_format=ReadingFormat.AUDIO)
    series = (SeriesRef("Sun Eater", position),)
    return Book(
        id=book_id, title=title, authors=("Christopher Ruocchio",), series=series, editions=(edition,)
    )


def _series_item(position: str) -> SourceItem:
    series = (SeriesRef("Sun Eater", position),)
    return SourceItem(
        Source.AUDIOBOOKSHELF,
        "li_1",
        "Sun Eater",
        authors=("Christopher Ruocchio",),
        series=series,
        duration_seconds=40_000.0,
    )


def test_M4_a_series_name_standing_for_the_title_links_the_volume_in_the_series_field() -> None:
    volumes = [
        _volume(1, "Empire of Silence", "1"),
        _volume(6, "Disquiet Gods", "6"),
        _volume(2, "Howling Dark", "2"),
    ]
    item = _series_item("6")
    decision = decide(item, [(b, score_candidate(item, b)) for b in volumes])
    assert decision.kind is MatchOutcome.LINKED and decision.book is not None and decision.book.id == 6
    assert decision.score is not None and "series name" in decision.score.explain()


def test_M4_a_series_name_standing_for_a_missing_volume_links_none_of_its_siblings() -> None:
    volumes = [_volume(1, "Empire of Silence", "1"), _volume(2, "Howling Dark", "2")]
    item = _series_item("4")
    assert decide(item, [(b, score_candidate(item, b)) for b in volumes]).kind is MatchOutcome.UNMATCHED


def _narrated(seconds: float) -> SourceItem:
    return SourceItem(
        Source.AUDIOBOOKSHELF,
        "li_1",
        "Legends & Lattes",
        authors=("Jo Narrator",),
        narrators=("Jo Narrator",),
        duration_seconds=seconds,
    )


def test_M4_narrator_in_the_author_field_links_on_title_and_length_when_unique() -> None:
    item = _narrated(40_300.0)
    score = score_candidate(item, _book("Legends & Lattes"))
    author = score.part("author")
    assert author is not None and author.weight == 0 and "narrator" in author.detail
    assert _kind(item, _book("Legends & Lattes")) is MatchOutcome.LINKED


@pytest.mark.parametrize("seconds", [42_000.0, 38_500.0])
def test_M4_narrator_in_the_author_field_without_a_confirming_length_is_a_conflict(seconds: float) -> None:
    item = _narrated(seconds)  # 4-5 % off: within 8 %, not close enough to stand for the author
    assert _kind(item, _book("Legends & Lattes")) is MatchOutcome.CONFLICT


def test_M4_narrator_in_the_author_field_with_two_same_titled_books_asks() -> None:
    item = _narrated(40_000.0)
    one, other = _book("Legends & Lattes"), _book("Legends & Lattes", "Someone Else", seconds=40_200)
    other = Book(id=8, title=other.title, authors=other.authors, editions=other.editions)
    assert decide(item, [(b, score_candidate(item, b)) for b in (one, other)]).kind is MatchOutcome.CONFLICT


def test_M4_an_author_who_narrates_their_own_book_is_still_the_author() -> None:
    item = SourceItem(
        Source.AUDIOBOOKSHELF,
        "li_1",
        "Legends & Lattes",
        authors=(AUTHOR,),
        narrators=(AUTHOR,),
        duration_seconds=40_000.0,
    )
    author = score_candidate(item, _book("Legends & Lattes")).part("author")
    assert author is not None and author.value == 1.0 and author.weight > 0
