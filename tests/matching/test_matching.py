"""Rule M4 (fuzzy matching, explainable score) and the M3 identifier-hit check."""

from __future__ import annotations

import pytest

from bookrelay.domain.models import Book, Edition, MediaKind, ReadingFormat, SeriesRef, Source, SourceItem
from bookrelay.matching.authors import author_similarity
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.score import (
    MatchThresholds,
    MatchWeights,
    decide,
    identifier_hit_agrees,
    score_candidate,
)
from bookrelay.matching.titles import title_forms, volumes_disagree, volumes_of

COREY = "James S. A. Corey"
EXPANSE_1 = Book(
    id=101,
    title="Leviathan Wakes",
    authors=(COREY,),
    series=(SeriesRef("The Expanse", "1"),),
    release_year=2011,
    editions=(Edition(id=1, book_id=101, audio_seconds=74_000, reading_format=ReadingFormat.AUDIO),),
)


def _item(title: str, *authors: str, **kwargs: object) -> SourceItem:
    return SourceItem(Source.AUDIOBOOKSHELF, "li_1", title, authors=authors, **kwargs)  # type: ignore[arg-type]


def _decide(item: SourceItem, *books: Book, thresholds: MatchThresholds | None = None) -> MatchOutcome:
    return decide(item, [(b, score_candidate(item, b)) for b in books], thresholds).kind


@pytest.mark.parametrize(
    "title",
    [
        "The Expanse 1: Leviathan Wakes",
        "Leviathan Wakes (The Expanse, Book 1)",
        "Leviathan Wakes: Expanse Series, Book 1",
        "Leviathan Wakes - The Expanse #1",
        "The Expanse, Book 1 - Leviathan Wakes",
    ],
)
def test_M4_series_wrapped_around_the_title_is_ignored(title: str) -> None:
    item = _item(title, COREY)
    score = score_candidate(item, EXPANSE_1)
    title_part = score.part("title")
    assert title_part is not None and title_part.value == pytest.approx(1.0)
    assert _decide(item, EXPANSE_1) is MatchOutcome.LINKED


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        ("The Hobbit", "The Hobbit: Or There and Back Again"),
        ("Sapiens: A Brief History of Humankind", "Sapiens"),
    ],
)
def test_M4_subtitle_present_on_one_side_only_is_ignored(mine: str, theirs: str) -> None:
    item = _item(mine, "Someone Real")
    book = Book(id=7, title=theirs, authors=("Someone Real",))
    assert _decide(item, book) is MatchOutcome.LINKED


def test_M4_subtitle_from_the_subtitle_field_counts_too() -> None:
    item = _item("The Hobbit", "J.R.R. Tolkien", subtitle="Or There and Back Again")
    book = Book(id=7, title="The Hobbit", authors=("J. R. R. Tolkien",))
    assert _decide(item, book) is MatchOutcome.LINKED


@pytest.mark.parametrize(
    "title",
    [
        "Project Hail Mary (Unabridged)",
        "Project Hail Mary: A Novel",
        "Project Hail Mary (Dramatized Adaptation)",
        "Project Hail Mary [Abridged]",
        "Project Hail Mary - Unabridged",
        "Project Häil Mary",
        "PROJECT HAIL MARY",
    ],
)
def test_M4_edition_suffixes_accents_and_case_are_ignored(title: str) -> None:
    item = _item(title, "Andy Weir")
    book = Book(id=9, title="Project Hail Mary", authors=("Andy Weir",))
    part = score_candidate(item, book).part("title")
    assert part is not None and part.value == pytest.approx(1.0)


def test_M4_leading_articles_are_optional() -> None:
    item = _item("Name of the Wind", "Patrick Rothfuss")
    book = Book(id=3, title="The Name of the Wind", authors=("Patrick Rothfuss",))
    assert _decide(item, book) is MatchOutcome.LINKED


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("J.R.R. Tolkien", "J. R. R. Tolkien"),
        ("JRR Tolkien", "J.R.R. Tolkien"),
        ("Tolkien, J.R.R.", "J. R. R. Tolkien"),
        ("James S.A. Corey", "James S. A. Corey"),
        ("Stanisław Lem", "Stanislaw Lem"),
    ],
)
def test_M4_author_initials_spacing_and_accents(a: str, b: str) -> None:
    assert author_similarity(a, b) == 1.0


def test_M4_initials_against_spelled_out_names_nearly_equal() -> None:
    assert author_similarity("J.R.R. Tolkien", "John Ronald Reuel Tolkien") >= 0.9
    assert author_similarity("J.R.R. Tolkien", "Christopher Tolkien") < 0.88


def test_M4_translated_title_links_through_alternative_titles() -> None:
    item = _item("Der Herr der Ringe", "J.R.R. Tolkien")
    plain = Book(id=1, title="The Lord of the Rings", authors=("J. R. R. Tolkien",))
    with_alt = Book(
        id=1, title=plain.title, authors=plain.authors, alternative_titles=("Der Herr der Ringe",)
    )
    assert _decide(item, plain) is not MatchOutcome.LINKED
    assert _decide(item, with_alt) is MatchOutcome.LINKED


def test_M4_translated_title_links_through_edition_titles() -> None:
    item = _item("Le Seigneur des anneaux", "J.R.R. Tolkien")
    book = Book(
        id=1,
        title="The Lord of the Rings",
        authors=("J. R. R. Tolkien",),
        editions=(Edition(id=5, book_id=1, title="Le Seigneur des Anneaux", language="fr"),),
    )
    assert _decide(item, book) is MatchOutcome.LINKED


def test_M4_volume_numbers_must_agree() -> None:
    assert volumes_disagree(volumes_of(title_forms("Dune (Book 2)"), []), volumes_of([], [("Dune", "1")]))
    assert not volumes_disagree(volumes_of(title_forms("Dune (Book 1)"), []), volumes_of([], [("Dune", "1")]))
    # Numbers of different series are not compared.
    assert not volumes_disagree(volumes_of([], [("Cosmere", "5")]), volumes_of([], [("Stormlight", "1")]))
    item = _item("Leviathan Wakes (The Expanse, Book 2)", COREY)
    score = score_candidate(item, EXPANSE_1)
    assert "volume numbers disagree" in score.caps
    assert score.total < MatchThresholds().conflict
    assert _decide(item, EXPANSE_1) is MatchOutcome.UNMATCHED


def test_M4_lookalike_with_another_volume_is_not_linked() -> None:
    item = _item("Caliban's War", COREY, series=(SeriesRef("The Expanse", "2"),))
    assert _decide(item, EXPANSE_1) is MatchOutcome.UNMATCHED


def test_M4_lookalike_by_a_clearly_different_author_is_not_linked() -> None:
    item = _item("Leviathan Wakes", "Rebecca Yarros")
    score = score_candidate(item, EXPANSE_1)
    assert "clearly different author" in score.caps
    assert _decide(item, EXPANSE_1) is MatchOutcome.UNMATCHED


def test_M4_another_book_by_the_same_author_is_not_even_a_conflict() -> None:
    item = _item("The Wise Man's Fear", "Patrick Rothfuss")
    other = Book(id=3, title="The Name of the Wind", authors=("Patrick Rothfuss",))
    assert _decide(item, other) is MatchOutcome.UNMATCHED


def test_M4_middling_score_opens_a_conflict() -> None:
    item = _item("Leviathan Wakes", COREY)
    near = Book(id=5, title="Leviathan", authors=(COREY,))
    decision = decide(item, [(near, score_candidate(item, near))])
    assert decision.kind is MatchOutcome.CONFLICT
    assert decision.book is None
    assert decision.candidates[0][0] is near


def test_M4_ambiguous_best_opens_a_conflict() -> None:
    item = _item("Leviathan Wakes", COREY)
    twin = Book(id=202, title="Leviathan Wakes", authors=(COREY,))
    decision = decide(item, [(b, score_candidate(item, b)) for b in (twin, EXPANSE_1)])
    assert decision.kind is MatchOutcome.CONFLICT
    assert "ambiguous" in decision.reason
    assert {b.id for b, _ in decision.candidates} == {101, 202}


def test_M4_clear_winner_links_and_candidates_are_sorted() -> None:
    item = _item("Leviathan Wakes", COREY, duration_seconds=74_100.0)
    near = Book(id=5, title="Leviathan", authors=(COREY,))
    decision = decide(item, [(b, score_candidate(item, b)) for b in (near, EXPANSE_1)])
    assert decision.kind is MatchOutcome.LINKED
    assert decision.book is EXPANSE_1
    totals = [s.total for _, s in decision.candidates]
    assert totals == sorted(totals, reverse=True)


def test_M4_no_candidates_is_unmatched() -> None:
    assert decide(_item("Anything"), []).kind is MatchOutcome.UNMATCHED


def test_M4_unknown_parts_are_skipped_and_weights_redistributed() -> None:
    item = _item("Leviathan Wakes", COREY, media_kind=MediaKind.EBOOK)
    score = score_candidate(item, EXPANSE_1)
    duration = score.part("duration")
    assert duration is not None and duration.weight == 0
    assert sum(p.weight for p in score.parts) == pytest.approx(1.0)
    assert score.total == pytest.approx(sum(p.value * p.weight for p in score.parts), abs=1e-3)


def test_M4_duration_compares_to_the_closest_audio_edition() -> None:
    book = Book(
        id=1,
        title="Leviathan Wakes",
        authors=(COREY,),
        editions=(
            Edition(id=1, book_id=1, audio_seconds=40_000, reading_format=ReadingFormat.AUDIO),
            Edition(id=2, book_id=1, audio_seconds=74_000, reading_format=ReadingFormat.AUDIO),
        ),
    )
    close = score_candidate(_item("Leviathan Wakes", COREY, duration_seconds=74_050.0), book).part("duration")
    far = score_candidate(_item("Leviathan Wakes", COREY, duration_seconds=20_000.0), book).part("duration")
    assert close is not None and far is not None
    assert close.value == pytest.approx(1.0)
    assert far.value < 0.5
    assert "74000" in close.detail


def test_M4_weights_are_passed_in() -> None:
    item = _item("Leviathan Wakes", COREY, published_year=2020)
    default = score_candidate(item, EXPANSE_1)
    year_heavy = score_candidate(item, EXPANSE_1, MatchWeights(title=0.1, author=0.1, year=0.8))
    assert year_heavy.total < default.total


def test_M4_co_authors_overlap_counts() -> None:
    item = _item("Good Omens", "Neil Gaiman")
    book = Book(id=4, title="Good Omens", authors=("Terry Pratchett", "Neil Gaiman"))
    author = score_candidate(item, book).part("author")
    assert author is not None and author.value == 1.0
    partial = score_candidate(_item("Good Omens", "Neil Gaiman", "Someone Else"), book).part("author")
    assert partial is not None and 0.6 < partial.value < 1.0


def test_M4_score_explains_itself() -> None:
    text = score_candidate(_item("Leviathan Wakes (Book 2)", COREY), EXPANSE_1).explain()
    for name in ("title", "author", "duration", "series", "year"):
        assert name in text
    assert "capped: volume numbers disagree" in text


def test_M3_identifier_hit_whose_title_and_author_disagree_is_a_conflict() -> None:
    item = _item("Leviathan Wakes", COREY)
    wrong = Book(id=9, title="Cooking for Cats", authors=("Jane Doe",))
    result = identifier_hit_agrees(item, wrong, MatchWeights())
    assert not result
    assert "disagree" in result.reason


@pytest.mark.parametrize(
    "book",
    [
        Book(id=9, title="Leviathan Wakes", authors=("Jane Doe",)),  # title agrees
        Book(id=9, title="Leviathan Wakes: The Expanse, Book 1", authors=(COREY,)),  # as catalogues vary
        Book(
            id=9, title="Die Leviathan-Katastrophe", authors=(COREY,), alternative_titles=("Leviathan Wakes",)
        ),
    ],
)
def test_M3_identifier_hit_agreeing_on_title_is_kept(book: Book) -> None:
    assert identifier_hit_agrees(_item("Leviathan Wakes", COREY), book, MatchWeights())


@pytest.mark.parametrize(
    "title",
    [
        "Caliban's War",  # another book of the same author
        "Leviathan Wakes, Book 2",  # another volume
        "Leviathan Sleeps",  # other words
        "Die Leviathan-Katastrophe",  # a translation the catalogue does not know
    ],
)
def test_M3_identifier_hit_whose_title_disagrees_is_no_link_whatever_the_author(title: str) -> None:
    item = _item(title, COREY, series=(SeriesRef("The Expanse", None),))
    result = identifier_hit_agrees(item, EXPANSE_1, MatchWeights())
    assert not result
    assert "Leviathan Wakes" in result.reason and "disagrees" in result.reason


def test_M3_identifier_hit_without_authors_never_overruled_by_title_alone() -> None:
    item = _item("Track 01")
    assert identifier_hit_agrees(item, EXPANSE_1, MatchWeights())


def _audio_book(book_id: int, title: str, seconds: int, author: str = COREY) -> Book:
    edition = Edition(
        id=book_id * 10, book_id=book_id, audio_seconds=seconds, reading_format=ReadingFormat.AUDIO
    )
    return Book(id=book_id, title=title, authors=(author,), editions=(edition,))


@pytest.mark.parametrize("seconds", [60_000, 90_000, 20_000])
def test_M4_a_length_far_from_every_audio_edition_is_at_most_a_conflict(seconds: int) -> None:
    item = _item("Leviathan Wakes", COREY, duration_seconds=float(seconds))
    score = score_candidate(item, EXPANSE_1)
    assert score.holds and "8%" in score.explain()
    decision = decide(item, [(EXPANSE_1, score)])
    assert decision.kind is MatchOutcome.CONFLICT and "length" in decision.reason


def test_M4_a_length_within_8_percent_does_not_hold() -> None:
    item = _item("Leviathan Wakes", COREY, duration_seconds=74_000 * 1.07)
    assert not score_candidate(item, EXPANSE_1).holds
    assert _decide(item, EXPANSE_1) is MatchOutcome.LINKED


@pytest.mark.parametrize("wanted", [0, 1])
def test_M4_length_decides_between_same_titled_books_of_one_author(wanted: int) -> None:
    original, revised = _audio_book(1, "Leviathan Wakes", 60_000), _audio_book(2, "Leviathan Wakes", 74_000)
    seconds = (60_000, 74_000)[wanted]
    item = _item("Leviathan Wakes", COREY, duration_seconds=seconds + 30.0)
    scored = [(b, score_candidate(item, b)) for b in (original, revised)]
    decision = decide(item, scored)
    assert decision.kind is MatchOutcome.LINKED
    assert decision.book is not None and decision.book.id == (1, 2)[wanted]


def test_M4_same_titled_books_of_one_author_with_close_lengths_ask() -> None:
    a, b = _audio_book(1, "Leviathan Wakes", 72_000), _audio_book(2, "Leviathan Wakes", 74_000)
    item = _item("Leviathan Wakes", COREY, duration_seconds=73_000.0)
    assert _decide(item, a, b) is MatchOutcome.CONFLICT
