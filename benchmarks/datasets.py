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

from bookrelay.sandbox.audiobookshelf import AbsState
from bookrelay.sandbox.demo_data import AUDIO, FixtureBuilder, make_asin, make_isbn13, ms
from benchmarks.matching_traps import add_matching_traps

# Generated titles and names: enough combinations for 10,000 distinct books.
ADJECTIVES = (
    "Amber Ashen Bitter Broken Burning Crimson Crooked Distant Dreaming Drowned Emerald Endless Fallen "
    "Forgotten Frozen Gilded Glass Golden Hidden Hollow Iron Last Lonely Lost Midnight Northern Obsidian "
    "Pale Quiet Restless Salt Scarlet Secret Shattered Silent Silver Sleeping Stone Sunken Velvet Wandering"
).split()
NOUNS = (
    "Archive Bell Bridge Cartographer Citadel Clock Compass Crown Engine Garden Gate Harbor Heir Horizon "
    "Island Key Lantern Library Lighthouse Machine Map Mirror Monastery Orchard Oracle River Sailor "
    "Sea Signal Sky Song Star Storm Tide Tower Voyage Watcher Winter Wolf Witness"
).split()
PLACES = (
    "Arden Bellhaven Caldera Dunmore Elsewhere Farrow Glenhollow Ilium Kestrel Lorn Marrow Nightfall Orris "
    "Pellam Quarry Ravel Sorrow Thule Umber Vesper"
).split()
FIRST = (
    "Ada Alan Amara Boris Clara Dara Eliot Farah Gideon Hana Ilse Jonah Kira Lena Milo Nadia Oren Priya "
    "Quinn Rosa Silas Tova Ulric Vera Wren Yara Zane"
).split()
LAST = (
    "Abbott Baines Castell Draper Everly Fontaine Greaves Hollis Ingram Jarrow Keane Lindqvist Marsh "
    "Nakamura Okafor Pryce Quill Rourke Sato Thorne Underhill Vance Whitlock Yardley Zeller"
).split()


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
        start = f"2026-{rng.randrange(1, 10):02d}-{rng.randrange(1, 28):02d}"
        if finished:
            builder.listen(title, 1.0, started=start, finished=start.replace("-", "-", 1)[:8] + "28", item_id=item_id)
        else:
            builder.listen(title, rng.uniform(0.06, 0.85), started=start, updated="2026-11-01", item_id=item_id)
        items.append(BudgetItem(item_id, kind, book_id, identifier, finished))
    return BudgetDataset(builder.fixture(limits=limits or UNLIMITED), tuple(items))


def items_to_change(dataset: BudgetDataset, share: float = 0.01, *, seed: int = 1) -> list[BudgetItem]:
    """A seeded ``share`` of the items (at least one) that are linked and in progress, to move on."""
    rng = random.Random(seed)
    candidates = [i for i in dataset.items if i.kind != "absent" and not i.finished]
    count = max(1, math.ceil(len(dataset.items) * share))
    return sorted(rng.sample(candidates, min(count, len(candidates))), key=lambda i: i.item_id)


def change_progress(abs_state: AbsState, items: list[BudgetItem], *, step: float = 0.05) -> int:
    """Move these items' progress on by ``step`` (staying below finished) in a running fake ABS.

    Goes through the fake's own progress records (what a PATCH from a player would change); returns
    how many changed.
    """
    changed = 0
    wanted = {i.item_id for i in items}
    for record in abs_state.progress_records():
        if record.library_item_id not in wanted or record.is_finished:
            continue
        fraction = min(0.9, record.progress + step)
        record.progress = round(fraction, 4)
        record.current_time = round(fraction * record.duration, 1)
        record.last_update += 86_400_000
        changed += 1
    return changed


# ------------------------------------------------------------------------------------------ matching


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


def matching_dataset(*, per_trap: int = 16, seed: int = 0) -> MatchingDataset:
    """About ``per_trap`` labelled items for each trap (≥ 300 at the default), with their catalogue."""
    rng = random.Random(seed)
    builder = FixtureBuilder()
    labels = add_matching_traps(builder, rng, per_trap=per_trap)
    return MatchingDataset(builder.fixture(limits=UNLIMITED), tuple(labels))


def start_day(rng: random.Random) -> str:
    """A seeded day in 2026 before November, YYYY-MM-DD."""
    return f"2026-{rng.randrange(1, 10):02d}-{rng.randrange(1, 28):02d}"


__all__ = [
    "BudgetDataset",
    "BudgetItem",
    "MatchLabel",
    "MatchingDataset",
    "budget_dataset",
    "change_progress",
    "items_to_change",
    "matching_dataset",
    "ms",
]
