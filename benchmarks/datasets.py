"""Seeded generators of sandbox fixtures with labels, for the two progress benchmarks.

* :func:`budget_dataset` — a library of N items and a matching Hardcover catalogue: about 60 % of the items
  carry an ASIN, 25 % only an ISBN, 10 % only a title and author (found by ``search``), 5 % are absent from
  Hardcover. Every item has ABS progress (in progress or finished); :func:`change_progress` moves 1 % of them
  on in a running sandbox for the "1 % changed" run.
* :func:`matching_dataset` — ≥ 300 labelled items spread over the traps real libraries show; each label is
  the Hardcover book the item must link to (None: must not link) and the edition progress must go on.

Same seed, same fixture: the generators use their own :class:`random.Random`, never the global one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import httpx

from bookrelay.sandbox.demo_data import (
    AUDIO,
    DEMO_ABS_KEY,
    EBOOK,
    PRINT,
    FixtureBuilder,
    make_asin,
    make_isbn10,
    make_isbn13,
    spoil_checksum,
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Generated titles and names: enough combinations for 10,000 distinct books.
ADJECTIVES = _words(
    "Amber Ashen Bitter Broken Burning Crimson Crooked Distant Dreaming Drowned Emerald Endless Fallen "
    "Forgotten Frozen Gilded Glass Golden Hidden Hollow Iron Last Lonely Lost Midnight Northern "
    "Obsidian Pale Quiet Restless Salt Scarlet Secret Shattered Silent Silver Sleeping Stone Sunken "
    "Velvet Wandering"
)
NOUNS = _words(
    "Archive Bell Bridge Cartographer Citadel Clock Compass Crown Engine Garden Gate Harbor Heir "
    "Horizon Island Key Lantern Library Lighthouse Machine Map Mirror Monastery Orchard Oracle River "
    "Sailor Sea Signal Sky Song Star Storm Tide Tower Voyage Watcher Winter Wolf Witness"
)
PLACES = _words(
    "Arden Bellhaven Caldera Dunmore Elsewhere Farrow Glenhollow Ilium Kestrel Lorn Marrow Nightfall "
    "Orris Pellam Quarry Ravel Sorrow Thule Umber Vesper"
)
FIRST = _words(
    "Ada Alan Amara Boris Clara Dara Eliot Farah Gideon Hana Ilse Jonah Kira Lena Milo Nadia Oren "
    "Priya Quinn Rosa Silas Tova Ulric Vera Wren Yara Zane"
)
LAST = _words(
    "Abbott Baines Castell Draper Everly Fontaine Greaves Hollis Ingram Jarrow Keane Lindqvist Marsh "
    "Nakamura Okafor Pryce Quill Rourke Sato Thorne Underhill Vance Whitlock Yardley Zeller"
)


def unique_titles(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct generated titles (``The Silver Lantern of Arden``…), in a seeded order."""
    combos = [f"The {a} {n}" for a in ADJECTIVES for n in NOUNS]
    combos += [f"The {a} {n} of {p}" for a in ADJECTIVES for n in NOUNS for p in PLACES]
    if count > len(combos):
        raise ValueError(f"at most {len(combos)} distinct titles, {count} asked")
    return rng.sample(combos, count)


def person(rng: random.Random) -> str:
    """A generated author name."""
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


# ------------------------------------------------------------------------------------------ budget


@dataclass(frozen=True, slots=True)
class BudgetItem:
    """One item of the budget library: how it can be found, and whether it is finished."""

    item_id: str
    kind: str  # asin, isbn, title, absent
    book_id: int | None
    identifier: str | None
    finished: bool


@dataclass(frozen=True, slots=True)
class BudgetDataset:
    """The fixture and what each item is."""

    fixture: dict[str, Any]
    items: tuple[BudgetItem, ...]

    def count(self, kind: str) -> int:
        """How many items are of this kind."""
        return sum(1 for i in self.items if i.kind == kind)


BUDGET_SHARES = (("asin", 0.60), ("isbn", 0.25), ("title", 0.10), ("absent", 0.05))
UNLIMITED = {"per_minute": 10_000_000, "burst": 1_000_000, "daily": 1_000_000_000, "max_top_level": 5}


def _kinds(n: int, rng: random.Random) -> list[str]:
    kinds: list[str] = []
    for kind, share in BUDGET_SHARES[:-1]:
        kinds += [kind] * round(n * share)
    kinds += [BUDGET_SHARES[-1][0]] * (n - len(kinds))
    rng.shuffle(kinds)
    return kinds


def budget_dataset(n: int, *, seed: int = 0, limits: dict[str, int] | None = None) -> BudgetDataset:
    """A library of ``n`` items with progress, and the Hardcover catalogue that holds 95 % of them.

    ``limits`` go into the fake Hardcover (default: so high that nothing waits, see :data:`UNLIMITED`).
    """
    rng = random.Random(seed)
    builder = FixtureBuilder()
    titles = unique_titles(rng, n)
    items: list[BudgetItem] = []
    for i, kind in enumerate(_kinds(n, rng)):
        item_id = f"li_budget_{i:05d}"
        title, author = titles[i], person(rng)
        duration = float(rng.randrange(18_000, 90_000, 60))
        asin, isbn = make_asin(i, "A"), make_isbn13(i, "9781")
        book_id = None
        if kind != "absent":
            book_id = builder.book(title, [author], year=rng.randrange(1990, 2026))
            builder.edition(book_id, AUDIO, asin=asin, isbn_13=isbn, audio_seconds=int(duration))
        identifier = {"asin": asin, "isbn": isbn}.get(kind)
        keys = {"asin": {"asin": asin}, "isbn": {"isbn": isbn}}.get(kind, {})
        if kind == "absent":  # a book Hardcover does not know: its title words are not in the catalogue
            title = f"Unknown Book {i} Zzyzx"
        builder.item(title, [author], duration=duration, item_id=item_id, **keys)
        finished = rng.random() < 0.2
        start = start_day(rng)
        if finished:
            builder.listen(title, 1.0, started=start, finished=start[:8] + "28", item_id=item_id)
        else:
            builder.listen(
                title, rng.uniform(0.06, 0.85), started=start, updated="2026-11-01", item_id=item_id
            )
        items.append(BudgetItem(item_id, kind, book_id, identifier, finished))
    return BudgetDataset(builder.fixture(limits=limits or UNLIMITED), tuple(items))


def items_to_change(dataset: BudgetDataset, share: float = 0.01, *, seed: int = 1) -> list[BudgetItem]:
    """A seeded ``share`` of the items (at least one) that are linked and in progress, to move on."""
    rng = random.Random(seed)
    candidates = [i for i in dataset.items if i.kind != "absent" and not i.finished]
    count = max(1, math.ceil(len(dataset.items) * share))
    return sorted(rng.sample(candidates, min(count, len(candidates))), key=lambda i: i.item_id)


def change_progress(http: httpx.Client, items: list[BudgetItem], *, step: float = 0.05) -> int:
    """Move these items' progress on by ``step`` (staying below finished) in a running sandbox, over HTTP.

    ``http`` points at the sandbox (``base_url``); as a player would, it reads the user's progress
    (``GET /abs/api/me/progress``) and sends ``PATCH /abs/api/me/progress/:id`` with the user's API key.
    Returns how many items the fake accepted.
    """
    auth = {"Authorization": f"Bearer {DEMO_ABS_KEY}"}
    answer = http.get("/abs/api/me/progress", headers=auth)
    answer.raise_for_status()
    current = {p["libraryItemId"]: p for p in answer.json()["mediaProgress"] if not p.get("episodeId")}
    changed = 0
    for item in items:
        record = current.get(item.item_id)
        if record is None or record["isFinished"]:
            continue
        fraction = min(0.9, float(record["progress"]) + step)
        payload = {
            "progress": round(fraction, 4),
            "currentTime": round(fraction * float(record["duration"]), 1),
        }
        sent = http.patch(f"/abs/api/me/progress/{item.item_id}", json=payload, headers=auth)
        changed += sent.status_code == 200
    return changed


def start_day(rng: random.Random) -> str:
    """A seeded day of 2026 before November, YYYY-MM-DD."""
    return f"2026-{rng.randrange(1, 10):02d}-{rng.randrange(1, 28):02d}"


# ------------------------------------------------------------------------------------------ matching

GERMAN_ADJ = _words("Stille Verlorene Goldene Dunkle Letzte Gläserne Vergessene Ewige Kalte Rote")
GERMAN_NOUN = _words("Bibliothek Insel Karte Glocke Krone Brücke Mühle Stadt Zeit Welle")
COMICS = _words("Saga Monstress Lazarus Descender Invincible Fables Lumberjanes Criminal Hellboy Bone")


@dataclass(frozen=True, slots=True)
class MatchLabel:
    """The truth for one item: the book it is (None: not in Hardcover), the edition progress belongs on,
    and whether a link must be made (False: it must end unmatched or in conflict)."""

    item_id: str
    title: str
    trap: str
    book_id: int | None
    edition_id: int | None
    should_link: bool


@dataclass(frozen=True, slots=True)
class MatchingDataset:
    """The fixture and one label per item."""

    fixture: dict[str, Any]
    labels: tuple[MatchLabel, ...]

    def traps(self) -> dict[str, int]:
        """Items per trap."""
        out: dict[str, int] = {}
        for label in self.labels:
            out[label.trap] = out.get(label.trap, 0) + 1
        return out


class _Library:
    """Adds catalogue books and labelled ABS items; every identifier and title is fresh."""

    def __init__(self, builder: FixtureBuilder, rng: random.Random, per_trap: int) -> None:
        self.b, self.rng, self.per_trap = builder, rng, per_trap
        self.titles = iter(unique_titles(rng, 3000))
        self.serial = 0
        self.labels: list[MatchLabel] = []

    def number(self) -> int:
        self.serial += 1
        return self.serial

    def book(
        self, title: str | None = None, authors: list[str] | None = None, **kwargs: Any
    ) -> tuple[int, int, str, list[str], int]:
        """A book with an audio edition (ASIN, ISBN-13): (book, audio edition, title, authors, seconds)."""
        title = title or next(self.titles)
        authors = authors or [person(self.rng)]
        book_id = self.b.book(title, authors, year=self.rng.randrange(1990, 2026), **kwargs)
        seconds = self.rng.randrange(20_000, 90_000, 60)
        k = self.number()
        edition = self.b.edition(
            book_id, AUDIO, asin=make_asin(k, "A"), isbn_13=make_isbn13(k, "9781"), audio_seconds=seconds
        )
        return book_id, edition, title, authors, seconds

    def edition_of(self, edition_id: int) -> dict[str, Any]:
        return next(e for e in self.b.editions if e["id"] == edition_id)

    def item(
        self,
        trap: str,
        title: str,
        authors: list[str],
        book_id: int | None,
        edition_id: int | None,
        *,
        duration: float,
        should_link: bool | None = None,
        **metadata: Any,
    ) -> None:
        """An ABS item with 30 % progress, and its label."""
        item_id = f"li_match_{len(self.labels):04d}"
        self.b.item(
            title, authors, duration=duration + self.rng.randrange(-30, 30), item_id=item_id, **metadata
        )
        self.b.listen(title, 0.3, started=start_day(self.rng), updated="2026-11-01", item_id=item_id)
        link = book_id is not None if should_link is None else should_link
        self.labels.append(MatchLabel(item_id, title, trap, book_id, edition_id, link))


def _identifier_traps(lib: _Library) -> None:
    variants = {
        "asin": lambda e: {"asin": e["asin"]},
        "isbn13": lambda e: {"isbn": e["isbn_13"]},
        "isbn10_in_isbn_field": lambda e: {"isbn": make_isbn10(e["isbn_13"])},
        "isbn_in_asin_field": lambda e: {"asin": e["isbn_13"]},
        "asin_in_isbn_field": lambda e: {"isbn": e["asin"]},
        "lower_case_asin": lambda e: {"asin": e["asin"].lower()},
        "hyphenated_isbn": lambda e: {
            "isbn": f"{e['isbn_13'][:3]}-{e['isbn_13'][3:5]}-{e['isbn_13'][5:12]}-{e['isbn_13'][12]}"
        },
        # Found by title and author: the broken identifier is ignored, never linked on (M3).
        "bad_checksum": lambda e: {"isbn": spoil_checksum(e["isbn_13"])},
    }
    for trap, keys in variants.items():
        for _ in range(lib.per_trap):
            book, edition, title, authors, seconds = lib.book()
            lib.item(trap, title, authors, book, edition, duration=seconds, **keys(lib.edition_of(edition)))


def _edition_traps(lib: _Library) -> None:
    rng = lib.rng
    for _ in range(lib.per_trap):  # a Kindle ASIN on an audiobook: progress goes on the audio edition
        book, edition, title, authors, seconds = lib.book()
        kindle = make_asin(lib.number(), "K")
        lib.b.edition(book, EBOOK, asin=kindle, pages=rng.randrange(200, 600))
        lib.item("kindle_asin_on_audiobook", title, authors, book, edition, duration=seconds, asin=kindle)
    for _ in range(lib.per_trap):  # a print ISBN on an audiobook
        book, edition, title, authors, seconds = lib.book()
        isbn = make_isbn13(lib.number(), "9780")
        lib.b.edition(book, PRINT, isbn_13=isbn, pages=rng.randrange(200, 600), users_count=200)
        lib.item("print_isbn_on_audiobook", title, authors, book, edition, duration=seconds, isbn=isbn)
    for k in range(lib.per_trap):  # several audio editions (abridged, re-recorded): the closest length
        book, first, title, authors, seconds = lib.book()
        other = lib.b.edition(
            book, AUDIO, audio_seconds=int(seconds * rng.choice((0.5, 1.25))), users_count=50
        )
        isbn = make_isbn13(lib.number(), "9780")
        lib.b.edition(book, PRINT, isbn_13=isbn, pages=400)
        target, length = (first, seconds) if k % 2 else (other, lib.edition_of(other)["audio_seconds"])
        keys: dict[str, Any] = {"isbn": isbn} if k % 3 else {}
        lib.item("several_audio_editions", title, authors, book, target, duration=length, **keys)
    for _ in range(lib.per_trap):  # the only audio edition has no length: page progress in print (M5)
        book_id = lib.b.book(next(lib.titles), [person(rng)], year=2020)
        title = lib.b.books[-1]["title"]
        authors = [a for a, i in lib.b.authors.items() if i in lib.b.books[-1]["author_ids"]]
        asin = make_asin(lib.number(), "A")
        lib.b.edition(book_id, AUDIO, asin=asin)
        paged = lib.b.edition(book_id, PRINT, isbn_13=make_isbn13(lib.number(), "9780"), pages=300)
        lib.item("audio_without_length", title, authors, book_id, paged, duration=40_000, asin=asin)


def _title_traps(lib: _Library) -> None:
    rng = lib.rng
    for k in range(lib.per_trap):  # a subtitle on one side only
        sub = f"A Novel of the {rng.choice(NOUNS)}s" if k % 2 else f"Book of {rng.choice(PLACES)}"
        if k % 2:
            book, edition, title, authors, seconds = lib.book()
            lib.item("subtitle_one_side", f"{title}: {sub}", authors, book, edition, duration=seconds)
        else:
            book, edition, title, authors, seconds = lib.book(subtitle=sub)
            lib.item("subtitle_one_side", title, authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # the series name and number wrapped around the title
        series, position = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} Cycle", k % 5 + 1
        book, edition, title, authors, seconds = lib.book(series=(series, position))
        shown = (
            f"{series} {position}: {title}",
            f"{title} ({series}, Book {position})",
            f"{title}: {series}, Book {position}",
        )[k % 3]
        ref = [{"name": series, "sequence": str(position)}]
        lib.item("series_wrapped", shown, authors, book, edition, duration=seconds, series=ref)
    suffixes = (" (Unabridged)", ": A Novel", " [Unabridged]", " (Unabridged Edition)")
    for k in range(lib.per_trap):  # edition suffixes
        book, edition, title, authors, seconds = lib.book()
        lib.item("edition_suffix", title + suffixes[k % 4], authors, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # author initials spelled differently
        first, middle, last = rng.choice("ABCDEGJKLMNR"), rng.choice("ABCDEGJKLMNR"), rng.choice(LAST)
        book, edition, title, _, seconds = lib.book(authors=[f"{first}. {middle}. {last}"])
        shown = (f"{first}.{middle}. {last}", f"{first} {middle} {last}", f"{first}.{middle}.{last}")[k % 3]
        lib.item("author_initials", title, [shown], book, edition, duration=seconds)
    for k in range(lib.per_trap):  # co-authors: one of them, or both in the other order
        pair = [person(rng), person(rng)]
        book, edition, title, _, seconds = lib.book(authors=pair)
        listed = [pair[0]] if k % 2 else [pair[1], pair[0]]
        lib.item("co_authors", title, listed, book, edition, duration=seconds)
    for k in range(lib.per_trap):  # a translation: Hardcover lists it under the original title
        german = f"Die {GERMAN_ADJ[k % 10]} {GERMAN_NOUN[(k * 3 + k // 10) % 10]}"
        book, edition, title, authors, seconds = lib.book(alternative_titles=(german,))
        lib.item("translated_title", german, authors, book, edition, duration=seconds)


def _lookalike_traps(lib: _Library) -> None:
    rng = lib.rng
    for k in range(lib.per_trap):  # volumes by number: "Saga, Vol. 3" must be volume 3
        name = f"{COMICS[k % len(COMICS)]} {rng.choice(PLACES)}"
        author = [person(rng)]
        volumes = [lib.book(f"{name}, Vol. {v}", author, series=(name, v)) for v in range(1, 5)]
        book, edition, title, authors, seconds = volumes[k % 4]
        ref = [{"name": name, "sequence": str(k % 4 + 1)}]
        lib.item("series_volume", title, authors, book, edition, duration=seconds, series=ref)
        # the next volume is not in Hardcover yet: it must not land on one of its siblings
        missing = f"{name}, Vol. 6"
        ref = [{"name": name, "sequence": "6"}]
        lib.item("lookalike_missing_volume", missing, authors, None, None, duration=seconds, series=ref)
    for _ in range(lib.per_trap):  # the same title by another author
        _, _, title, _, seconds = lib.book()
        lib.item("lookalike_other_author", title, [person(rng)], None, None, duration=seconds)
    for _ in range(lib.per_trap):  # another book by the same author with a similar title
        _, _, title, authors, seconds = lib.book()
        words = title.split()
        similar = " ".join([*words[:-1], rng.choice([n for n in NOUNS if n != words[-1]])])
        lib.item("lookalike_same_author", similar, authors, None, None, duration=seconds)
    for _ in range(lib.per_trap):  # a valid ISBN of an unrelated book (a wrong tag): conflict, not link
        _, edition, _, _, seconds = lib.book()
        wrong = lib.edition_of(edition)["isbn_13"]
        title = f"Zephyr {rng.choice(PLACES)} {lib.number()}"
        lib.item("identifier_disagrees", title, [person(rng)], None, None, duration=seconds, isbn=wrong)
    for _ in range(lib.per_trap):  # nothing like it in Hardcover
        title = f"Quixotic {rng.choice(GERMAN_NOUN)} {lib.number()}"
        lib.item("absent", title, [person(rng)], None, None, duration=36_000)


EDITION_WORDS = (
    " [Unabridged Audiobook]",
    " (Dramatized Adaptation)",
    " (Full Cast)",
    " - Unabridged",
    ": A Novel (Unabridged)",
    " (Unabridged) [Full Cast]",
    " - Unabridged Audiobook",
    " [Dramatized Adaptation, Full Cast]",
)
JOINERS = (" & ", " and ", "; ", ", ")


def _other_first(rng: random.Random, name: str) -> str:
    """Another person of the same surname: a given name that is not ``name``'s."""
    first, last = name.split(" ", 1)
    return f"{rng.choice([f for f in FIRST if f != first])} {last}"


def _metadata_traps(lib: _Library) -> None:
    """Real-world metadata: joined author strings, "Last, First", edition words around titles, and the
    look-alikes that must stay unlinked however they are written (M4)."""
    rng = lib.rng
    for k in range(lib.per_trap):  # "A & B" as one author string, on the item's side or Hardcover's
        pair = [person(rng), person(rng)]
        joined = JOINERS[k % 4].join(pair)
        if k % 4 == 3:
            book, edition, title, _, seconds = lib.book(authors=[joined])
            lib.item("joined_authors", title, pair, book, edition, duration=seconds)
        else:
            book, edition, title, _, seconds = lib.book(authors=pair)
            lib.item("joined_authors", title, [joined], book, edition, duration=seconds)
    for k in range(lib.per_trap):  # "Last, First" and a surname with a particle: one person, not two
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if k % 2:
            shown, full = f"{last}, {first}", f"{first} {last}"
        else:
            shown, full = f"Le {last}, {first} K.", f"{first} K. Le {last}"
        book, edition, title, _, seconds = lib.book(authors=[full])
        lib.item("last_first_author", title, [shown], book, edition, duration=seconds)
    for k in range(lib.per_trap):  # edition and format words in brackets or after a dash, combined
        book, edition, title, authors, seconds = lib.book()
        shown = title + EDITION_WORDS[k % len(EDITION_WORDS)]
        lib.item("edition_words", shown, authors, book, edition, duration=seconds)
    for _ in range(lib.per_trap):  # the same title by two people who only share the surnames
        pair = [person(rng), person(rng)]
        _, _, title, _, seconds = lib.book(authors=pair)
        others = " and ".join(_other_first(rng, name) for name in pair)
        lib.item("lookalike_joined_authors", title, [others], None, None, duration=seconds)
    for k in range(lib.per_trap):  # edition words around a volume Hardcover lacks, or another title
        words = EDITION_WORDS[k % len(EDITION_WORDS)]
        if k % 2:
            name = f"{COMICS[k % len(COMICS)]} {rng.choice(PLACES)} {lib.number()}"
            author = [person(rng)]
            for v in range(1, 4):
                lib.book(f"{name}, Vol. {v}", author, series=(name, v))
            ref = [{"name": name, "sequence": "5"}]
            lib.item(
                "lookalike_edition_words",
                f"{name}, Vol. 5{words}",
                author,
                None,
                None,
                duration=40_000,
                series=ref,
            )
        else:
            _, _, title, authors, seconds = lib.book()
            head = title.split()
            similar = " ".join([*head[:-1], rng.choice([n for n in NOUNS if n != head[-1]])])
            lib.item("lookalike_edition_words", similar + words, authors, None, None, duration=seconds)
    for _ in range(lib.per_trap):  # no audio edition with a length and no pages: still a conflict (M5)
        book_id = lib.b.book(next(lib.titles), [person(rng)], year=2021)
        title = lib.b.books[-1]["title"]
        authors = [a for a, i in lib.b.authors.items() if i in lib.b.books[-1]["author_ids"]]
        asin = make_asin(lib.number(), "A")
        lib.b.edition(book_id, AUDIO, asin=asin)
        lib.item(
            "no_edition_with_a_length",
            title,
            authors,
            book_id,
            None,
            duration=40_000,
            should_link=False,
            asin=asin,
        )


def matching_dataset(*, per_trap: int = 16, seed: int = 0, messy: bool = True) -> MatchingDataset:
    """About ``per_trap`` labelled items for each of 29 traps, and with ``messy`` each of the second set's
    (``benchmarks.matching_traps``), with their catalogue."""
    lib = _Library(FixtureBuilder(), random.Random(seed), per_trap)
    _identifier_traps(lib)
    _edition_traps(lib)
    _title_traps(lib)
    _lookalike_traps(lib)
    _metadata_traps(lib)
    if messy:
        from benchmarks.matching_traps import messy_traps  # imports this module: loaded when asked

        messy_traps(lib)
    return MatchingDataset(lib.b.fixture(limits=UNLIMITED), tuple(lib.labels))
