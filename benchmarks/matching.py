"""Matching quality of the REAL pipeline on the labelled traps of ``benchmarks.datasets.matching_dataset``.

The set goes through :func:`bookrelay.app.run_progress` (a real run, so the store records every link)
against the in-process sandbox. Per trap and overall it prints:

* precision — right-book links / all links (a link: the store's link for the item has status ``linked``)
* recall — right-book links / items that should link
* edition accuracy — links on the expected edition / right-book links (where the label names one)

and checks that every item left without a link appears in the run's report as unmatched or in
conflict (M4: never silently "no change"); any that does not is printed. Targets: precision 1.000,
recall ≥ 0.95, edition accuracy ≥ 0.99. Each miss is listed with the pipeline step it points at
(``M3`` identifiers, ``M4`` search and score, ``M5`` edition), taken from the report's reason and the
link's method.

    .venv/bin/python -m benchmarks.matching [--per-trap 16] [--seed 0]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.datasets import UNLIMITED, MatchingDataset, MatchLabel, matching_dataset
from benchmarks.progress_budget import USER, bench_config
from bookrelay.app.progress import run_progress
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync.report import ProgressReport

TARGETS = {"precision": 1.0, "recall": 0.95, "edition_accuracy": 0.99}


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where the pipeline left one item."""

    status: str  # linked, conflict, unmatched, missing (no link recorded)
    book_id: int | None
    edition_id: int | None
    method: str | None
    reason: str  # from the report (unmatched / conflict) or the link's method and score


@dataclass
class Tally:
    """Counts behind the three figures for one trap (or all)."""

    links: int = 0
    right_book: int = 0
    should_link: int = 0
    edition_checked: int = 0
    right_edition: int = 0
    items: int = 0

    def add(self, label: MatchLabel, got: Outcome) -> None:
        """Count one item."""
        self.items += 1
        self.should_link += label.should_link
        if got.status != "linked":
            return
        self.links += 1
        if label.should_link and got.book_id == label.book_id:
            self.right_book += 1
            if label.edition_id is not None:
                self.edition_checked += 1
                self.right_edition += got.edition_id == label.edition_id

    @property
    def precision(self) -> float | None:
        """Right-book links over all links (None without links)."""
        return self.right_book / self.links if self.links else None

    @property
    def recall(self) -> float | None:
        """Right-book links over items that should link (None when none should)."""
        return self.right_book / self.should_link if self.should_link else None

    @property
    def edition_accuracy(self) -> float | None:
        """Right editions over right-book links with an expected edition."""
        return self.right_edition / self.edition_checked if self.edition_checked else None


@dataclass
class MatchingResult:
    """Per-trap and overall tallies, the misses with their suspected step, and unreported items."""

    per_trap: dict[str, Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    misses: list[tuple[MatchLabel, Outcome, str]] = field(default_factory=list)
    unreported: list[tuple[MatchLabel, Outcome]] = field(default_factory=list)
    error: str | None = None

    def meets_targets(self) -> bool:
        """True when every overall figure reaches its target."""
        figures = {
            "precision": self.overall.precision,
            "recall": self.overall.recall,
            "edition_accuracy": self.overall.edition_accuracy,
        }
        return all(v is not None and v >= TARGETS[k] for k, v in figures.items())


def _outcomes(report: ProgressReport, store: Store) -> dict[str, Outcome]:
    reasons = {item: f"unmatched: {why}" for item, _, why in report.unmatched}
    reasons.update({item: f"conflict: {why}" for item, _, why in report.conflicts})
    out: dict[str, Outcome] = {}
    for link in store.links.list_for_user(USER):
        status = str(link.status.value if isinstance(link.status, MatchOutcome) else link.status)
        method = link.method.value if link.method is not None else None
        reason = reasons.get(link.source_item_id) or f"{method} link, score {link.score}"
        out[link.source_item_id] = Outcome(
            status, link.hardcover_book_id, link.hardcover_edition_id, method, reason
        )
    return out


def suspected_step(label: MatchLabel, got: Outcome) -> str:
    """The pipeline step a miss points at, from the outcome's method and reason."""
    if got.status == "linked" and label.should_link and got.book_id == label.book_id:
        return "M5 edition choice"
    for rule in ("M3", "M4", "M5"):
        if f"{rule}:" in got.reason:
            return (
                f"{rule} ({'identifier' if rule == 'M3' else 'search/score' if rule == 'M4' else 'edition'})"
            )
    if got.method in ("asin", "isbn"):
        return "M3 (identifier link)"
    if got.method in ("fuzzy", "shelf"):
        return "M4 (score too generous)"
    return "unknown"


def evaluate(
    dataset: MatchingDataset, report: ProgressReport, outcomes: dict[str, Outcome]
) -> MatchingResult:
    """Tally the labels against what the run did."""
    result = MatchingResult(error=report.error)
    reported = {i for i, _, _ in report.unmatched} | {i for i, _, _ in report.conflicts}
    for label in dataset.labels:
        got = outcomes.get(label.item_id, Outcome("missing", None, None, None, "no link recorded"))
        result.per_trap.setdefault(label.trap, Tally()).add(label, got)
        result.overall.add(label, got)
        linked = got.status == "linked"
        right = linked and label.should_link and got.book_id == label.book_id
        edition_ok = label.edition_id is None or got.edition_id == label.edition_id
        if linked != label.should_link or (linked and not right) or (right and not edition_ok):
            result.misses.append((label, got, suspected_step(label, got)))
        if not linked and label.item_id not in reported:
            result.unreported.append((label, got))
    return result


async def run_matching(*, per_trap: int = 16, seed: int = 0) -> MatchingResult:
    """Run the labelled set through the real progress job and evaluate it."""
    dataset = matching_dataset(per_trap=per_trap, seed=seed)
    sandbox = build_sandbox(dataset.fixture)
    with tempfile.TemporaryDirectory(prefix="bookrelay-matching-") as tmp:
        config = bench_config(Path(tmp) / "matching.db", UNLIMITED)
        store = Store.open(config.database_url, secret_key=None)
        try:
            transport = httpx.ASGITransport(app=sandbox.app)
            [report] = await run_progress(config, [USER], transport=transport, store=store)
            return evaluate(dataset, report, _outcomes(report, store))
        finally:
            store.close()


def _pct(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "  -  "


def format_result(result: MatchingResult) -> str:
    """The figures per trap and overall, the misses and the unreported items."""
    lines = [f"{'trap':<26} {'items':>5} {'links':>5} {'prec':>6} {'recall':>6} {'edition':>7}"]
    rows = [*sorted(result.per_trap.items()), ("OVERALL", result.overall)]
    for trap, t in rows:
        lines.append(
            f"{trap:<26} {t.items:>5} {t.links:>5} {_pct(t.precision):>6} {_pct(t.recall):>6} "
            f"{_pct(t.edition_accuracy):>7}"
        )
    lines.append(
        "targets: "
        + ", ".join(f"{k} >= {v}" for k, v in TARGETS.items())
        + ("  -> met" if result.meets_targets() else "  -> NOT met")
    )
    if result.error:
        lines.append(f"run error: {result.error}")
    if result.misses:
        lines.append(f"\nmisses ({len(result.misses)}):")
        for label, got, step in result.misses:
            expected = f"book {label.book_id} ed {label.edition_id}" if label.should_link else "no link"
            lines.append(
                f"  [{label.trap}] {label.title!r}: expected {expected}; got {got.status} "
                f"book {got.book_id} ed {got.edition_id} ({got.reason}) -> {step}"
            )
    lines.append(f"\nnot linked and not reported as unmatched/conflict: {len(result.unreported)}")
    lines += [f"  [{lb.trap}] {lb.title!r}: {got.status} ({got.reason})" for lb, got in result.unreported]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``--per-trap N`` (default 16), ``--seed S``; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(
        description="Matching quality of the progress pipeline on labelled traps"
    )
    parser.add_argument("--per-trap", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = asyncio.run(run_matching(per_trap=args.per_trap, seed=args.seed))
    print(format_result(result))
    return 0 if result.meets_targets() and not result.unreported else 1


if __name__ == "__main__":
    raise SystemExit(main())
