"""Shelf files: Goodreads-compatible CSV out, Goodreads and StoryGraph CSV in (pure)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bookrelay.config import Config
from bookrelay.domain.models import Status
from bookrelay.domain.shelves import ShelfRow, blank_features, check_rating, parse_shelf_csv, to_goodreads_csv
from bookrelay.errors import ConfigError

ROW = ShelfRow(
    title="Dune, Messiah",  # a comma: the CSV must quote it
    authors=("Frank Herbert", "Brian Herbert"),
    isbn="0441172717",
    isbn13="9780441172719",
    status=Status.DID_NOT_FINISH,
    rating=3.5,
    date_added=date(2024, 1, 2),
    date_started=date(2024, 1, 3),
    date_read=None,
    shelves=("sci-fi",),
    owned_copies=1,
    hardcover_book_id=42,
)


def test_goodreads_csv_reads_back_to_the_same_row() -> None:
    text = to_goodreads_csv([ROW])
    assert text.splitlines()[0].startswith("Book Id,Title,Author,Author l-f")
    cells = next(csv.DictReader(io.StringIO(text)))
    assert (cells["ISBN13"], cells["Date Added"], cells["Exclusive Shelf"]) == (
        '="9780441172719"',
        "2024/01/02",
        "did-not-finish",
    )
    (back,) = parse_shelf_csv(text)
    assert (back.title, back.authors, back.isbn13, back.isbn, back.status) == (
        ROW.title, ROW.authors, ROW.isbn13, ROW.isbn, ROW.status
    )  # fmt: skip
    assert (back.rating, back.date_added, back.date_started, back.shelves) == (
        3.5,
        ROW.date_added,
        ROW.date_started,
        ("sci-fi",),
    )
    assert back.hardcover_book_id == 42 and back.line == 1


def test_storygraph_export_is_read_with_its_own_columns() -> None:
    text = (
        "Title,Authors,Contributors,ISBN/UID,Format,Read Status,Date Added,Last Date Read,Dates Read,"
        "Read Count,Star Rating,Tags,Owned?\n"
        "Circe,Madeline Miller,,9780316556347,audio,read,2024/01/01,2024/02/10,"
        '2024/01/05-2024/02/10,1,4.25,"myth, greek",Yes\n'
        "Piranesi,Susanna Clarke,,,paperback,currently-reading,2024/03/01,,,0,,,No\n"
    )
    circe, piranesi = parse_shelf_csv(text)
    assert circe.status is Status.READ and circe.rating == 4.0  # quarter stars → nearest half
    assert (circe.date_started, circe.date_read) == (date(2024, 1, 5), date(2024, 2, 10))
    assert circe.isbn13 == "9780316556347" and circe.owned_copies == 1 and circe.shelves == ("myth", "greek")
    assert piranesi.status is Status.READING and piranesi.rating is None and piranesi.isbn13 is None


@pytest.mark.parametrize("bad", [0.0, 0.25, 5.5, 3.3])
def test_ratings_are_half_steps_from_half_to_five(bad: float) -> None:
    with pytest.raises(ConfigError, match="half steps"):
        check_rating(bad)
    assert check_rating(4.5) == 4.5 and check_rating(None) is None


def test_S10_blanked_features_are_left_out_of_a_row() -> None:
    row = blank_features(ROW, ["status"])
    assert row.status is Status.DID_NOT_FINISH
    assert (row.rating, row.date_added, row.date_read, row.owned_copies, row.shelves) == (
        None,
        None,
        None,
        0,
        (),
    )


def test_S10_directions_merge_global_and_user_and_oauth_needs_a_client_id() -> None:
    config = Config.model_validate(
        {
            "global": {"directions": {"rating": "to_hardcover", "on_conflict": {"progress": "local"}}},
            "users": [
                {
                    "id": "a",
                    "hardcover": {"token": "t"},
                    "directions": {"rating": "off", "on_conflict": {"lists": "hardcover"}},
                }
            ],
        }
    )
    merged = config.effective_directions("a")
    assert (merged.rating, merged.status, merged.on_conflict.progress, merged.on_conflict.lists) == (
        "off", "both", "local", "hardcover"
    )  # fmt: skip
    with pytest.raises(ValueError, match="oauth_client_id"):
        Config.model_validate(
            {"global": {"hardcover": {"auth": "oauth"}}, "users": [{"id": "a", "hardcover": {}}]}
        )
    with pytest.raises(ValueError, match=r"users\[0\]\.hardcover\.token"):
        Config.model_validate({"users": [{"id": "a", "hardcover": {}}]})
