"""Rule M4 on real-world metadata: joined author strings, "Last, First", edition words around titles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookrelay.domain.models import Book, Edition, ReadingFormat, Source, SourceItem
from bookrelay.matching.authors import author_similarity, split_authors
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.score import decide, score_candidate
from bookrelay.matching.titles import strip_edition_words, title_forms

PRESTON_CHILD = ("Douglas Preston", "Lincoln Child")


def _item(title: str, *authors: str) -> SourceItem:
    return SourceItem(Source.AUDIOBOOKSHELF, "li_1", title, authors=authors, duration_seconds=50_000.0)


def _book(title: str, *authors: str) -> Book:
    audio = Edition(id=1, book_id=7, audio_seconds=50_000, reading_format=ReadingFormat.AUDIO)
    return Book(id=7, title=title, authors=authors, editions=(audio,))


@pytest.mark.parametrize(
    "joined",
    [
        "Douglas Preston & Lincoln Child",
        "Douglas Preston and Lincoln Child",
        "Douglas Preston; Lincoln Child",
    ],
)
def test_M4_an_author_string_joining_full_names_is_several_authors(joined: str) -> None:
    assert split_authors([joined]) == PRESTON_CHILD


@pytest.mark.parametrize(
    "name",
    [
        "Mary Robinette Kowal",
        "Ursula K. Le Guin",
        "Smith, John",
        "Le Guin, Ursula K.",
        "Martin Luther King, Jr.",
        "Preston & Child",  # surnames only: no full names to split into
        "J.R.R. Tolkien",
    ],
)
def test_M4_a_single_name_is_never_split(name: str) -> None:
    assert split_authors([name]) == (name,)


def test_M4_comma_separated_full_names_are_several_authors_and_duplicates_count_once() -> None:
    assert split_authors(["Kevin J. Anderson, Rebecca Moesta", "Rebecca Moesta"]) == (
        "Kevin J. Anderson",
        "Rebecca Moesta",
    )


@pytest.mark.parametrize(
    ("item_authors", "book_authors"),
    [
        (("Douglas Preston & Lincoln Child",), PRESTON_CHILD),  # joined on the item's side
        (PRESTON_CHILD, ("Douglas Preston and Lincoln Child",)),  # joined on Hardcover's side
        (("Lincoln Child; Douglas Preston",), PRESTON_CHILD),
    ],
)
def test_M4_joined_authors_link_on_both_sides(
    item_authors: tuple[str, ...], book_authors: tuple[str, ...]
) -> None:
    item = _item("Relic", *item_authors)
    book = _book("Relic", *book_authors)
    score = score_candidate(item, book)
    author = score.part("author")
    assert author is not None and author.value == 1.0
    assert decide(item, [(book, score)]).kind is MatchOutcome.LINKED


def test_M4_joined_authors_sharing_only_surnames_do_not_link() -> None:
    item = _item("Relic", "Dana Preston & Laura Child")
    book = _book("Relic", *PRESTON_CHILD)
    score = score_candidate(item, book)
    assert "clearly different author" in score.caps
    assert decide(item, [(book, score)]).kind is MatchOutcome.UNMATCHED


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Clara Marsh", "Ada Marsh", False),
        ("Kira Marsh", "Kate Marsh", False),  # same initial, another given name
        ("K. Marsh", "Kira Marsh", True),
        ("JRR Tolkien", "John Ronald Reuel Tolkien", True),
        ("Le Guin, Ursula K.", "Ursula K. Le Guin", True),
        ("Jon Smith", "John Smith", True),  # a spelling variant
    ],
)
def test_M4_a_shared_surname_alone_is_not_the_same_author(a: str, b: str, same: bool) -> None:
    assert (author_similarity(a, b) >= 0.88) is same


@pytest.mark.parametrize(
    "shown",
    [
        "Relic (Unabridged)",
        "Relic [Unabridged Audiobook]",
        "Relic (Dramatized Adaptation)",
        "Relic (Full Cast)",
        "Relic - Unabridged",
        "Relic: A Novel",
        "Relic: A Novel (Unabridged) [Full Cast]",
        "Relic [Dramatized Adaptation, Full Cast] - Unabridged Audiobook",
    ],
)
def test_M4_edition_words_in_brackets_or_after_a_dash_are_not_the_title(shown: str) -> None:
    assert strip_edition_words(shown) == "Relic"
    assert {f.full for f in title_forms(shown)} == {"relic"}
    item = _item(shown, "Douglas Preston")
    book = _book("Relic", "Douglas Preston")
    assert decide(item, [(book, score_candidate(item, book))]).kind is MatchOutcome.LINKED


@pytest.mark.parametrize("title", ["Edition", "Abridged", "The Definitive Edition", "Version Control"])
def test_M4_a_title_made_of_edition_words_stays_a_title(title: str) -> None:
    assert strip_edition_words(title) == title


def test_M4_edition_words_do_not_hide_a_volume_number() -> None:
    item = _item("Saga, Vol. 6 (Unabridged) [Full Cast]", "Brian K. Vaughan")
    book = _book("Saga, Vol. 3", "Brian K. Vaughan")
    score = score_candidate(item, book)
    assert "volume numbers disagree" in score.caps


_WORDS = ["Unabridged", "Abridged", "Full Cast", "Dramatized Adaptation", "Audiobook", "A Novel"]
_NAMES = st.sampled_from(["Ada", "Boris", "Clara", "Milo"]).flatmap(
    lambda first: st.sampled_from(["Marsh", "Thorne", "Le Quill"]).map(lambda last: f"{first} {last}")
)


@given(
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
    st.sampled_from(["({})", "[{}]", " - {}", ": {}"]),
)
def test_M4_any_combination_of_edition_words_is_peeled_off(words: list[str], wrapper: str) -> None:
    shown = "The Silver Lantern" + (" " if wrapper[0] in "([" else "") + wrapper.format(" ".join(words))
    assert strip_edition_words(shown) == "The Silver Lantern"


@given(st.lists(_NAMES, min_size=1, max_size=3, unique=True), st.sampled_from([" & ", " and ", "; ", ", "]))
def test_M4_joined_full_names_split_back_into_the_same_people(names: list[str], joiner: str) -> None:
    assert split_authors([joiner.join(names)]) == tuple(names)
