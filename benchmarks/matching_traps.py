"""Messier, real-world-shaped traps for ``benchmarks.matching`` (the second labelled set).

Each kind is a metadata shape reported on the trackers of Audiobookshelf, ShelfBridge and Hardcover's
own importers, rebuilt with generated names:

* a wrong ASIN/ISBN that names another book of the same author (ShelfBridge #168, #181; ABS #2550:
  outdated or mismatched identifiers), with the right book present or absent;
* a popular book of another author sharing the surname, or with a near-identical name (ABS #1924
  "Alex Ross"/"Alex Rogers", #2624 "Stephen Fry"/"Stephen Fried");
* abridged against unabridged, and an original against a revised edition of one title (ABS #1042 asks
  for the duration in matching): only the length tells them apart;
* titles carrying what is not title: a folder name "Author - Title" (ABS #1042), a track number
  "02 - Title" (ABS #2418's "2 - Book of the Dead 2"), a genre subtitle ("A Xianxia Cultivation Novel",
  ShelfBridge #93), a series suffix ("Disquiet Gods: Sun Eater, Book 6", ShelfBridge #226);
* orthography: "&" against "and" ("Legends & Lattes", ShelfBridge #9), hyphenated compounds,
  "Dr."/"Mr."/"St." against the words, numbers in digits against words;
* author fields: the narrator added as a co-author (ABS #2418), "John Doe, Ph.D." (ABS #2661), the
  author in upper case or as "LAST, First";
* a box set of the series whose first volume is popular (must not link to a volume).

Decoys are more popular (``users_count``) than the right book, so Hardcover's search ranks them first.
"""

from __future__ import annotations

from typing import Any

from benchmarks.datasets import NOUNS, PLACES, _Library, person
from bookrelay.sandbox.demo_data import AUDIO

POPULAR = 5_000


def _other_given(lib: _Library, name: str) -> str:
    """Another person with ``name``'s surname whose given name shares its first letter."""
    first, last = name.split(" ", 1)
    given = {"A": "Alvar", "B": "Bertil", "C": "Cosimo", "D": "Dagny", "E": "Edric", "F": "Fenna",
             "G": "Gunnar", "H": "Harlan", "I": "Ilsa", "J": "Jorund", "K": "Kasimir", "L": "Linnea",
             "M": "Magnus", "N": "Nessa", "O": "Osric", "P": "Petra", "R": "Roswitha", "S": "Sigrun",
             "T": "Tobiah", "V": "Verity", "W": "Wendeline", "Y": "Yorick", "Z": "Zenobia"}  # fmt: skip
    other = given.get(first[0], "Quillon")
    return f"{other if other != first else other + 'a'} {last}"


def _identifier_traps(lib: _Library) -> None:
    rng = lib.rng
    for k in range(lib.per_trap):  # the ASIN of another (popular) book by the same author
        author = [person(rng)]
        _, wrong_ed, _, _, _ = lib.book(authors=author, users_count=POPULAR)
        book, edition, title, _, seconds = lib.book(authors=author)
        asin = lib.edition_of(wrong_ed)["asin"]
        keys: dict[str, Any] = {"asin": asin} if k % 2 else {"isbn": lib.edition_of(wrong_ed)["isbn_13"]}
        lib.item("wrong_identifier_same_author", title, author, book, edition, duration=seconds, **keys)
    for _ in range(lib.per_trap):  # the same, and the item's own book is not in Hardcover
        author = [person(rng)]
        _, wrong_ed, _, _, seconds = lib.book(authors=author, users_count=POPULAR)
        title = next(lib.titles)
        asin = lib.edition_of(wrong_ed)["asin"]
        lib.item("wrong_identifier_book_absent", title, author, None, None, duration=seconds * 1.3, asin=asin)
    for k in range(lib.per_trap):  # the ASIN of another volume of the same series
        author, name = [person(rng)], f"{rng.choice(NOUNS)} {rng.choice(PLACES)} Saga {lib.number()}"
        volumes = [lib.book(f"{name}, Vol. {v}", author, series=(name, v)) for v in (1, 2)]
        (_, wrong_ed, *_), (book, edition, title, _, seconds) = volumes[k % 2], volumes[1 - k % 2]
        ref = [{"name": name, "sequence": str(2 - k % 2)}]
        asin = lib.edition_of(wrong_ed)["asin"]
        lib.item(
            "wrong_identifier_other_volume",
            title,
            author,
            book,
            edition,
            duration=seconds,
            asin=asin,
            series=ref,
        )


def _author_traps(lib: _Library) -> None:
    rng = lib.rng
    for _ in range(lib.per_trap):  # the same title, another given name with the same surname, popular
        _, _, title, authors, seconds = lib.book(users_count=POPULAR)
        lib.item(
            "shared_surname_popular", title, [_other_given(lib, authors[0])], None, None, duration=seconds
        )
    for _ in range(lib.per_trap):  # a near-identical surname ("Fry"/"Fried")
        _, _, title, authors, seconds = lib.book(users_count=POPULAR)
        first, last = authors[0].split(" ", 1)
        lib.item("near_identical_author", title, [f"{first} {last}ington"], None, None, duration=seconds)
    for k in range(lib.per_trap):  # the narrator added as a co-author, or mashed into one string
        book, edition, title, authors, seconds = lib.book()
        narrator = person(rng)
        shown = [authors[0], narrator] if k % 2 else [f"{authors[0]}, {narrator}"]
        lib.item("narrator_as_coauthor", title, shown, book, edition, duration=seconds)
    suffixes = (", Ph.D.", " PhD", ", Jr.", " (Author)")
    for k in range(lib.per_trap):  # degrees and roles after the name
        book, edition, title, authors, seconds = lib.book()
        lib.item("author_with_suffix", title, [authors[0] + suffixes[k % 4]], book, edition, duration=seconds)
    for k in range(lib.per_trap):  # shouted, or "LAST, First"
        book, edition, title, authors, seconds = lib.book()
        first, last = authors[0].split(" ", 1)
        shown = authors[0].upper() if k % 2 else f"{last.upper()}, {first}"
        lib.item("author_case", title, [shown], book, edition, duration=seconds)


def _length_traps(lib: _Library) -> None:
    rng = lib.rng
    for _ in range(lib.per_trap):  # only an abridged (or much longer) recording is catalogued
        _, _, title, authors, seconds = lib.book(users_count=POPULAR)
        factor = rng.choice((0.5, 0.6, 1.25, 1.4))
        lib.item("length_disagrees", title, authors, None, None, duration=seconds * factor)
    for k in range(lib.per_trap):  # an original and a revised edition of one title: the length decides
        author = [person(rng)]
        title = next(lib.titles)
        first = lib.book(title, author, users_count=POPULAR)
        second = lib.book(title, author)
        book, edition, _, _, seconds = (first, second)[k % 2]
        if abs(first[4] - second[4]) / max(first[4], second[4]) < 0.2:
            continue  # lengths too close to tell apart: not this trap
        lib.item("same_title_revised", title, author, book, edition, duration=seconds)


_HYPHENS = (("Fire", "born"), ("Star", "fall"), ("Dragon", "heart"), ("Shadow", "blade"), ("Sea", "ward"))
_ABBREVIATIONS = (("Dr.", "Doctor"), ("Mr.", "Mister"), ("St.", "Saint"), ("Mrs.", "Missus"))
_NUMBERS = (("Seven", "7"), ("Three", "3"), ("Twelve", "12"), ("Twenty-Two", "22"), ("Forty", "40"))


def _title_traps(lib: _Library) -> None:
    rng = lib.rng
    for k in range(lib.per_trap):  # "&" against "and", either side
        noun_a, noun_b = rng.sample(NOUNS, 2)
        spelled = f"{noun_a}s and {noun_b}s {lib.number()}"
        catalogued, shown = (spelled, spelled.replace(" and ", " & "))[:: 1 if k % 2 else -1]
        book, edition, _, authors, seconds = lib.book(catalogued)
        lib.item("ampersand_and", shown, authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # hyphenated compound, closed compound, or two words
        a, b = _HYPHENS[k % len(_HYPHENS)]
        noun = rng.choice(NOUNS)
        forms = (f"The {a}-{b} {noun}", f"The {a}{b} {noun}", f"The {a} {b.capitalize()} {noun}")
        place = f" of {rng.choice(PLACES)} {lib.number()}"
        book, edition, _, authors, seconds = lib.book(forms[k % 3] + place)
        lib.item("hyphen_compound", forms[(k + 1) % 3] + place, authors, book, edition, duration=seconds)
    # "Dr." against "Doctor", "Seven Kings" against "7 Kings": either spelling on either side
    for trap, pairs in (("abbreviation", _ABBREVIATIONS), ("number_words", _NUMBERS)):
        for k in range(lib.per_trap):
            one, other = pairs[k % len(pairs)]
            tail = f"{rng.choice(NOUNS)}s of {rng.choice(PLACES)} {lib.number()}"
            catalogued, shown = (f"{one} {tail}", f"{other} {tail}")[:: 1 if k % 2 else -1]
            book, edition, _, authors, seconds = lib.book(catalogued)
            lib.item(trap, shown, authors, book, edition, duration=seconds)
    for _ in range(lib.per_trap):  # a folder name: "Author - Title"
        book, edition, title, authors, seconds = lib.book()
        lib.item("author_dash_title", f"{authors[0]} - {title}", authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # a track number before the title
        book, edition, title, authors, seconds = lib.book()
        shown = (f"{k + 1:02d} - {title}", f"Track {k + 1} - {title}", f"{k + 1}. {title}")[k % 3]
        lib.item("track_number_prefix", shown, authors, book, edition, duration=seconds)
    genres = (": A LitRPG Adventure", ": A Xianxia Cultivation Novel", ": A Cozy Fantasy", " - A Space Opera")
    for k in range(lib.per_trap):  # a genre subtitle the catalogue lacks
        book, edition, title, authors, seconds = lib.book()
        lib.item("genre_subtitle", title + genres[k % 4], authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # a box set: never one of its volumes (the first is popular)
        author, name = [person(rng)], f"{rng.choice(NOUNS)} {rng.choice(PLACES)} Chronicles {lib.number()}"
        for v in (1, 2, 3):
            lib.book(f"{name}, Vol. {v}", author, series=(name, v), users_count=POPULAR if v == 1 else 100)
        shown = (
            f"{name} Box Set: Books 1-3",
            f"{name}: The Complete Trilogy",
            f"{name} Omnibus (Books 1-3)",
        )[k % 3]
        lib.item("box_set", shown, author, None, None, duration=150_000)


_NON_LATIN = (
    "Тихая библиотека",
    "Золотая карта",
    "静かな図書館",
    "黄金の地図",
    "고요한 도서관",
    "الخريطة الذهبية",
)
_ROLES = (" (Translator)", " (Narrator)", " (Editor)", " (Illustrator)")


def _form_traps(lib: _Library) -> None:
    """Library forms of titles and names: sort forms, years, accents, quotes, scripts, roles."""
    rng = lib.rng
    for _ in range(lib.per_trap):  # a library sort form: "Silver Lantern, The"
        book, edition, title, authors, seconds = lib.book()
        lib.item("article_at_end", f"{title[4:]}, The", authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # a year in brackets after the title
        book, edition, title, authors, seconds = lib.book()
        lib.item("year_in_title", f"{title} ({2000 + k})", authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # accents on one side only
        accented = f"Les Misérables de {rng.choice(PLACES)} {lib.number()}"
        plain = accented.replace("é", "e")
        catalogued, shown = (accented, plain) if k % 2 else (plain, accented)
        book, edition, _, authors, seconds = lib.book(catalogued)
        lib.item("accents_one_side", shown, authors, book, edition, duration=seconds)
    for _ in range(lib.per_trap):  # typographic quotes and apostrophes against plain ones
        name = f"{rng.choice(NOUNS)}'s {rng.choice(NOUNS)} {lib.number()}"
        book, edition, _, authors, seconds = lib.book(name)
        lib.item(
            "curly_quotes",
            f"\u201c{name.replace(chr(39), chr(0x2019))}\u201d",
            authors,
            book,
            edition,
            duration=seconds,
        )
    for k in range(lib.per_trap):  # Hardcover holds the original-script title as an alternative title
        original = f"{_NON_LATIN[k % len(_NON_LATIN)]} {lib.number()}"
        book, edition, _, authors, seconds = lib.book(alternative_titles=(original,))
        lib.item("non_latin_title", original, authors, book, edition, duration=seconds)
    for _ in range(lib.per_trap):  # a middle initial on Hardcover's side only
        first, last = (
            rng.choice(("Ursula", "Philip", "Octavia", "Iain")),
            rng.choice(("Le Guin", "Dick", "Butler", "Banks")),
        )
        middle = rng.choice("KEMJ")
        book, edition, title, _, seconds = lib.book(authors=[f"{first} {middle}. {last}"])
        shown = f"{first} {last}"
        lib.item("middle_initial_one_side", title, [shown], book, edition, duration=seconds)
    for k in range(lib.per_trap):  # a translator, narrator or editor listed among the authors
        book, edition, title, authors, seconds = lib.book()
        lib.item(
            "role_in_authors",
            title,
            [authors[0], person(rng) + _ROLES[k % 4]],
            book,
            edition,
            duration=seconds,
        )
    for _ in range(lib.per_trap):  # a half volume (a novella "2.5") Hardcover lacks: not 2, not 3
        author, name = [person(rng)], f"{rng.choice(NOUNS)} {rng.choice(PLACES)} Tales {lib.number()}"
        volumes = [
            lib.book(f"{name}, Vol. {v}", author, series=(name, v), users_count=POPULAR) for v in (1, 2, 3)
        ]
        ref = [{"name": name, "sequence": "2.5"}]
        lib.item(
            "novella_half_volume",
            f"{name}, Vol. 2.5",
            author,
            None,
            None,
            duration=volumes[1][4] * 0.3,
            series=ref,
        )


def _stand_in_traps(lib: _Library) -> None:
    """What stands in for a title or an author: a series name with the volume in the series field
    (ShelfBridge #226's "Sun Eater, Book 6"), the narrator in the author field (ABS #674, #2418)."""
    rng = lib.rng
    for k in range(lib.per_trap):  # the title is the series' name; the volume only in the series field
        author, name = [person(rng)], f"{rng.choice(NOUNS)} {rng.choice(PLACES)} Sequence {lib.number()}"
        volumes = [
            lib.book(None, author, series=(name, v), users_count=POPULAR if v == 1 else 100)
            for v in (1, 2, 3)
        ]
        book, edition, _, _, seconds = volumes[k % 3]
        ref = [{"name": name, "sequence": str(k % 3 + 1)}]
        lib.item("series_name_as_title", name, author, book, edition, duration=seconds, series=ref)
    for _ in range(lib.per_trap):  # the same, and that volume is not in Hardcover: none of its siblings
        author, name = [person(rng)], f"{rng.choice(NOUNS)} {rng.choice(PLACES)} Sequence {lib.number()}"
        for v in (1, 2):
            lib.book(None, author, series=(name, v), users_count=POPULAR)
        ref = [{"name": name, "sequence": "4"}]
        lib.item("series_name_as_title_absent", name, author, None, None, duration=40_000, series=ref)
    for _ in range(lib.per_trap):  # a late volume of a long series, crowded out of the title search
        author, name = [person(rng)], f"{rng.choice(NOUNS)} {rng.choice(PLACES)} Sequence {lib.number()}"
        volumes = [
            lib.book(None, author, series=(name, v), users_count=POPULAR - v if v < 8 else 10)
            for v in range(1, 9)
        ]
        book, edition, _, _, seconds = volumes[7]
        ref = [{"name": name, "sequence": "8"}]
        lib.item("long_series_late_volume", name, author, book, edition, duration=seconds, series=ref)
    for _ in range(lib.per_trap):  # the narrator in the author field: title and length, unique → link
        book, edition, title, _, seconds = lib.book()
        narrator = person(rng)
        lib.item(
            "narrator_as_author", title, [narrator], book, edition, duration=seconds, narrators=[narrator]
        )
    for _ in range(lib.per_trap):  # the same with two same-titled books close in length: ask, never guess
        title, narrator = next(lib.titles), person(rng)
        _, _, _, _, seconds = lib.book(title, users_count=POPULAR)
        other = lib.book(title)
        lib.b.edition(other[0], AUDIO, audio_seconds=int(seconds * 1.01))
        lib.item(
            "narrator_as_author_ambiguous",
            title,
            [narrator],
            None,
            None,
            duration=seconds,
            narrators=[narrator],
        )


def messy_traps(lib: _Library) -> None:
    """The second set's trap kinds (see the module's docstring), ``lib.per_trap`` items each."""
    _identifier_traps(lib)
    _author_traps(lib)
    _length_traps(lib)
    _title_traps(lib)
    _form_traps(lib)
    _stand_in_traps(lib)
