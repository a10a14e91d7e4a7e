"""What each demo item shows (:class:`DemoCase`), and :class:`DemoBook`, the state the functions that add
the demo's items share: the fixture builder, the expected outcomes and one identifier counter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bookrelay.sandbox.demo_data.builder import FixtureBuilder


@dataclass(frozen=True, slots=True)
class DemoCase:
    """What one demo item shows and what a first real run must do with it.

    ``outcome`` is linked, conflict, unmatched or skipped (never collected: podcasts); ``action`` is the
    first planned action's class name, with the rule for holds and skips (``Hold:P5``, ``Skip:P3``).
    """

    rule: str
    outcome: str
    action: str = ""
    book_id: int | None = None
    edition_id: int | None = None


@dataclass
class DemoBook:
    """The demo being built: books and items go to ``builder``, what each item shows to ``cases``;
    ``numbers`` numbers the generated identifiers, so the order the items are added in is part of the data."""

    builder: FixtureBuilder = field(default_factory=FixtureBuilder)
    cases: dict[str, DemoCase] = field(default_factory=dict)
    numbers: Iterator[int] = field(default_factory=lambda: iter(range(1, 1000)))

    def case(
        self,
        title: str,
        rule: str,
        outcome: str,
        action: str = "",
        book: int | None = None,
        ed: int | None = None,
    ) -> None:
        """Record what the item ``title`` shows and what a first run must do with it."""
        self.cases[title] = DemoCase(rule, outcome, action, book, ed)
