"""Rule M3 (identifier normalisation) and the M2/M4 hashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookrelay.domain.identifiers import (
    identifiers_hash,
    identifiers_of,
    isbn10_of,
    metadata_hash,
    normalize_asin,
    normalize_isbn,
)
from bookrelay.domain.models import Source, SourceItem

DUNE_13 = "9780441172719"
DUNE_10 = "0441172717"


def _item(**kwargs: object) -> SourceItem:
    base: dict[str, object] = {"source": Source.AUDIOBOOKSHELF, "item_id": "li_1", "title": "Dune"}
    base.update(kwargs)
    return SourceItem(**base)  # type: ignore[arg-type]


def _isbn10_check(nine: str) -> str:
    """The ISBN-10 check character, computed here from the definition (weights 10..2, mod 11)."""
    total = sum((10 - i) * int(d) for i, d in enumerate(nine))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(twelve: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(twelve))
    return str((10 - total % 10) % 10)


@pytest.mark.parametrize(
    "raw",
    [
        "978-0-441-17271-9",
        "978 0 441 17271 9",
        "ISBN 978-0-441-17271-9",
        "isbn-13: 9780441172719",
        "ISBN:9780441172719",
        "  9780441172719  ",
        "978\u20130\u2013441\u201317271\u20139",  # en dashes from a copy-paste
    ],
)
def test_M3_isbn_hyphens_spaces_case_and_prefixes_are_stripped(raw: str) -> None:
    assert normalize_isbn(raw) == DUNE_13


def test_M3_isbn10_lowercase_x_is_normalised() -> None:
    assert normalize_isbn("0-8044-2957-x") == normalize_isbn("080442957X") == "9780804429573"
    assert isbn10_of("9780804429573") == "080442957X"


def test_M3_isbn10_in_the_13_field_is_recognised() -> None:
    ids = identifiers_of(_item(isbn=DUNE_10))
    assert ids.isbn13s == (DUNE_13,)
    assert ids.isbn10s == (DUNE_10,)
    assert ids.invalid == ()


@pytest.mark.parametrize(
    "bad", ["9780441172718", "0441172718", "97804411727", "1234567890123", "not an isbn"]
)
def test_M3_checksum_or_form_failures_are_not_identifiers(bad: str) -> None:
    assert normalize_isbn(bad) is None
    ids = identifiers_of(_item(isbn=bad))
    assert ids.is_empty
    assert ids.isbn13s == () and ids.asins == ()
    assert ids.invalid == (bad,)


def test_M3_either_value_in_either_field() -> None:
    swapped = identifiers_of(_item(isbn="b00b4e7ux4", asin="978-0-441-17271-9"))
    assert swapped.asins == ("B00B4E7UX4",)
    assert swapped.isbn13s == (DUNE_13,)


def test_M3_an_all_digit_asin_is_an_isbn10() -> None:
    assert normalize_asin(DUNE_10) == DUNE_10
    ids = identifiers_of(_item(asin=DUNE_10))
    assert ids.asins == ()
    assert ids.isbn13s == (DUNE_13,)


@pytest.mark.parametrize("bad", ["B0ABC", "A0B4E7UX4Z", "0441172718", "B00B4E7UX4Z", ""])
def test_M3_asin_with_wrong_form_is_refused(bad: str) -> None:
    assert normalize_asin(bad) is None


def test_M3_979_isbn_has_no_isbn10() -> None:
    isbn = "979103230569" + _isbn13_check("979103230569")
    assert normalize_isbn(isbn) == isbn
    assert isbn10_of(isbn) is None


def test_M3_several_values_in_one_field_and_duplicates() -> None:
    ids = identifiers_of(_item(isbn=f"{DUNE_10}, 978-0-441-17271-9; 123", asin="B00B4E7UX4"))
    assert ids.isbn13s == (DUNE_13,)
    assert ids.asins == ("B00B4E7UX4",)
    assert ids.invalid == ("123",)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_M3_isbn10_and_13_round_trip(nine: str) -> None:
    isbn10 = nine + _isbn10_check(nine)
    isbn13 = normalize_isbn(isbn10)
    assert isbn13 is not None
    assert isbn13 == "978" + nine + _isbn13_check("978" + nine)
    assert isbn10_of(isbn13) == isbn10
    assert normalize_isbn(isbn13) == isbn13


@given(
    nine_digits, st.lists(st.sampled_from(["-", " ", "\u2010", ""]), min_size=10, max_size=10), st.booleans()
)
def test_M3_hyphenation_and_case_never_change_the_value(nine: str, seps: list[str], lower: bool) -> None:
    isbn10 = nine + _isbn10_check(nine)
    spelled = "".join(ch + sep for ch, sep in zip(isbn10, seps, strict=True)).strip()
    if lower:
        spelled = spelled.lower()
    assert normalize_isbn(spelled) == normalize_isbn(isbn10)


@given(nine_digits, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_M3_a_single_wrong_digit_never_links(nine: str, position: int, shift: int) -> None:
    isbn10 = nine + _isbn10_check(nine)
    wrong = isbn10[:position] + str((int(isbn10[position]) + shift) % 10) + isbn10[position + 1 :]
    assert normalize_isbn(wrong) is None
    assert identifiers_of(_item(isbn=wrong)).is_empty


def test_M2_identifiers_hash_ignores_spelling_and_field() -> None:
    a = identifiers_hash(_item(isbn=DUNE_10, asin="B00B4E7UX4"))
    b = identifiers_hash(_item(isbn="b00b4e7ux4", asin="ISBN 978-0-441-17271-9"))
    c = identifiers_hash(_item(isbn="9780804429573", asin="B00B4E7UX4"))
    assert a == b
    assert a != c


def test_M4_metadata_hash_changes_with_title_authors_or_duration() -> None:
    base = _item(authors=("Frank Herbert",), duration_seconds=75600.0)
    same = _item(title="  DUNE ", authors=("frank  herbert",), duration_seconds=75610.0)
    assert metadata_hash(base) == metadata_hash(same)
    assert metadata_hash(base) != metadata_hash(_item(authors=("Frank Herbert",), duration_seconds=36000.0))
    assert metadata_hash(base) != metadata_hash(_item(title="Dune Messiah", authors=("Frank Herbert",)))
    assert metadata_hash(base) != metadata_hash(_item(duration_seconds=75600.0))
