"""The benchmark datasets have the promised shape, and both benchmark scripts run end to end on a small
library and return their figures (the budget benchmark with the sandbox and each sync in processes of
their own, as on a real machine)."""

from __future__ import annotations

import httpx

from benchmarks.datasets import (
    BudgetDataset,
    MatchingDataset,
    MatchLabel,
    budget_dataset,
    change_progress,
    items_to_change,
    matching_dataset,
)
from benchmarks.matching import Outcome, evaluate, format_result, run_matching
from benchmarks.progress_budget import (
    changed_sync_bound,
    first_sync_bound,
    format_mode_comparison,
    format_pace,
    format_results,
    paced_window,
    run_pace,
    run_scenarios,
)
from benchmarks.sandbox_process import SandboxProcess
from bookrelay.domain.identifiers import normalize_asin, normalize_isbn
from bookrelay.matching.titles import strip_edition_words
from bookrelay.sandbox.demo_data import DEMO_ABS_KEY
from bookrelay.sync.report import ProgressReport

SMOKE = 20


def _abs_items(dataset: BudgetDataset | MatchingDataset) -> dict[str, dict[str, object]]:
    libraries = dataset.fixture["audiobookshelf"]["libraries"]
    return {str(item["id"]): item for lib in libraries for item in lib["items"]}


def test_budget_dataset_has_the_label_distribution() -> None:
    dataset = budget_dataset(SMOKE)
    counts = {kind: dataset.count(kind) for kind in ("asin", "isbn", "title", "absent")}
    assert counts == {"asin": 12, "isbn": 5, "title": 2, "absent": 1}
    big = budget_dataset(1000)
    assert [big.count(k) for k in ("asin", "isbn", "title", "absent")] == [600, 250, 100, 50]


def test_budget_items_carry_only_their_kind_of_identifier_and_all_have_progress() -> None:
    dataset = budget_dataset(SMOKE)
    items = _abs_items(dataset)
    progress = {p["libraryItemId"] for p in dataset.fixture["audiobookshelf"]["progress"]}
    catalogue = {b["id"] for b in dataset.fixture["hardcover"]["books"]}
    for label in dataset.items:
        item = items[label.item_id]
        assert label.item_id in progress
        assert (label.book_id in catalogue) == (label.kind != "absent")
        if label.kind == "asin":
            assert normalize_asin(str(item["asin"])) and "isbn" not in item
        elif label.kind == "isbn":
            assert normalize_isbn(str(item["isbn"])) and "asin" not in item
        else:
            assert not {"asin", "isbn"} & set(item)


def test_budget_dataset_is_seeded() -> None:
    assert budget_dataset(SMOKE, seed=3).fixture == budget_dataset(SMOKE, seed=3).fixture
    assert budget_dataset(SMOKE, seed=3).fixture != budget_dataset(SMOKE, seed=4).fixture


def test_change_progress_moves_items_on_in_the_fake_over_http() -> None:
    dataset = budget_dataset(SMOKE)
    chosen = items_to_change(dataset, 0.1)
    assert chosen and all(i.kind != "absent" and not i.finished for i in chosen)
    with SandboxProcess(dataset.fixture) as sandbox, httpx.Client(base_url=sandbox.base_url) as http:

        def fractions() -> dict[str, float]:
            me = http.get("/abs/api/me", headers={"Authorization": f"Bearer {DEMO_ABS_KEY}"})
            return {p["libraryItemId"]: p["progress"] for p in me.json()["mediaProgress"]}

        before = fractions()
        writes_before = sandbox.stats()["audiobookshelf"]["writes"]
        assert change_progress(http, chosen) == len(chosen)
        after = fractions()
        assert sandbox.stats()["audiobookshelf"]["writes"] == writes_before + len(
            chosen
        )  # PATCHes, as a player
    for item in chosen:
        assert after[item.item_id] > before[item.item_id]
    untouched = set(before) - {i.item_id for i in chosen}
    assert all(after[i] == before[i] for i in untouched)


def test_matching_dataset_has_300_labelled_items_over_every_trap() -> None:
    dataset = matching_dataset()
    traps = dataset.traps()
    assert len(dataset.labels) >= 300
    assert len(traps) >= 20 and min(traps.values()) >= 10
    books = {b["id"] for b in dataset.fixture["hardcover"]["books"]}
    edition_book = {e["id"]: e["book_id"] for e in dataset.fixture["hardcover"]["editions"]}
    items = _abs_items(dataset)
    for label in dataset.labels:
        assert label.item_id in items
        if label.should_link:
            assert label.book_id in books
            assert label.edition_id is not None and edition_book[label.edition_id] == label.book_id
    assert any(not lb.should_link and lb.book_id for lb in dataset.labels)  # M5: book known, no edition


def test_matching_traps_are_what_their_names_say() -> None:
    dataset = matching_dataset(per_trap=4)
    items = _abs_items(dataset)
    first = {lb.trap: items[lb.item_id] for lb in reversed(dataset.labels)}
    assert normalize_isbn(str(first["bad_checksum"]["isbn"])) is None
    assert len(str(first["isbn10_in_isbn_field"]["isbn"])) == 10
    assert str(first["lower_case_asin"]["asin"]).islower()
    assert "-" in str(first["hyphenated_isbn"]["isbn"])
    assert normalize_isbn(str(first["isbn_in_asin_field"]["asin"])) is not None
    # point 5 of the matching details: one author string naming two people, edition words on the title
    joined = first["joined_authors"]["authors"]
    assert len(joined) == 1 and any(j in str(joined[0]) for j in (" & ", " and ", "; ", ", "))
    assert "," in str(first["last_first_author"]["authors"][0])
    assert strip_edition_words(str(first["edition_words"]["title"])) != first["edition_words"]["title"]
    assert (
        strip_edition_words(str(first["lookalike_edition_words"]["title"]))
        != (first["lookalike_edition_words"]["title"])
    )


def _report(unmatched: list[str], conflicts: list[str]) -> ProgressReport:
    report = ProgressReport("bench")
    report.unmatched = [(i, i, "M4: weak") for i in unmatched]
    report.conflicts = [(i, i, "M3: disagrees") for i in conflicts]
    return report


def test_evaluate_counts_precision_recall_and_editions() -> None:
    labels = (
        MatchLabel("a", "A", "t", 1, 10, True),
        MatchLabel("b", "B", "t", 2, 20, True),
        MatchLabel("c", "C", "t", None, None, False),
        MatchLabel("d", "D", "t", None, None, False),
    )
    outcomes = {
        "a": Outcome("linked", 1, 10, "asin", ""),
        "b": Outcome("linked", 2, 21, "fuzzy", ""),  # right book, wrong edition
        "c": Outcome("linked", 5, 50, "fuzzy", ""),  # a link that must not be
        "d": Outcome("unmatched", None, None, None, ""),  # not reported: must be listed
    }
    result = evaluate(MatchingDataset({}, labels), _report([], []), outcomes)
    assert result.overall.precision == 2 / 3
    assert result.overall.recall == 1.0
    assert result.overall.edition_accuracy == 0.5
    assert [lb.item_id for lb, _, _ in result.misses] == ["b", "c"]
    assert [lb.item_id for lb, _ in result.unreported] == ["d"]
    assert not result.meets_targets()


def test_bounds_follow_the_definition() -> None:
    dataset = budget_dataset(SMOKE)
    bound = first_sync_bound(dataset)
    assert (bound.me, bound.shelf_pages, bound.identifier_batches) == (1, 1, 1)
    assert bound.total == 3 + 2 * 19
    assert changed_sync_bound(0).total == 0
    assert changed_sync_bound(150).total == 1 + 2 + 150


def test_progress_budget_smoke_run_measures_each_sync_in_its_own_process() -> None:
    results = run_scenarios(SMOKE)
    assert [r.scenario for r in results] == ["first", "1% changed", "unchanged"]
    first, changed, unchanged = results
    assert all(r.error is None for r in results)
    assert first.units > 0 and first.hc_requests > 0 and first.abs_requests > 0
    assert first.written == 19  # every findable item gets its progress
    assert changed.bound.changed_books == 1 and changed.units == changed.bound.total  # moved on over HTTP
    assert unchanged.units == 0 and unchanged.ratio is None
    for r in results:  # bookrelay's own process: the sandbox's CPU and memory are counted apart
        assert r.worker.wall_s > 0 and r.worker.cpu_s > 0 and r.sandbox_cpu_s > 0
        assert r.worker.rss_start_mb < r.worker.rss_imported_mb <= r.worker.peak_rss_mb
    table = format_results(results)
    assert "first" in table and "unchanged" in table and "fake cpu" in table


def test_progress_budget_depth_mode_syncs_under_a_depth_limit_and_costs_more() -> None:
    open_mode = run_scenarios(SMOKE)
    limited = run_scenarios(SMOKE, max_depth=3)
    assert all(r.error is None for r in limited)
    assert [r.written for r in limited] == [r.written for r in open_mode]  # same work done
    assert limited[0].units > open_mode[0].units  # the depth-3 forms cost more units
    assert limited[2].units == 0  # and nothing when nothing changed
    table = format_mode_comparison(open_mode, limited, "open", "depth 3")
    more = limited[0].units - open_mode[0].units
    assert f"{more:+d}" in table.splitlines()[1] and "per 1,000" in table


def test_paced_window_starts_where_the_burst_is_used_up() -> None:
    timeline = [(0.0, 5, 200), (0.1, 10, 200), (0.2, 10, 429), (1.1, 20, 200), (2.1, 30, 200)]
    assert paced_window(timeline, burst=10) == (20, 2.0)
    assert paced_window(timeline, burst=100) == (0, 0.0)  # never past the burst: no paced part


def test_pace_smoke_run_reports_the_rate_after_the_burst_and_429s() -> None:
    limits = {"per_minute": 60_000, "burst": 10, "daily": 1_000_000, "max_top_level": 5}
    result = run_pace(SMOKE, limits=limits)
    assert result.error is None
    assert result.units > result.burst and result.paced_units > 0 and result.paced_s > 0
    assert result.rate_limited >= 0 and result.share > 0
    assert "429" in format_pace(result)


async def test_matching_smoke_run_returns_the_figures() -> None:
    result = await run_matching(per_trap=1)
    labels = matching_dataset(per_trap=1).labels
    assert result.error is None
    assert result.overall.items == len(labels)
    assert result.overall.recall is not None and result.overall.precision is not None
    assert set(result.per_trap) == {lb.trap for lb in labels}
    assert "OVERALL" in format_result(result)


def test_the_messy_traps_are_thirty_kinds_with_more_popular_decoys() -> None:
    plain, messy = matching_dataset(per_trap=2, messy=False), matching_dataset(per_trap=2)
    new_kinds = set(messy.traps()) - set(plain.traps())
    assert len(new_kinds) >= 30 and len(messy.traps()) >= 59
    hardcover = messy.fixture["hardcover"]
    popularity = {b["id"]: b["users_count"] for b in hardcover["books"]}
    edition_book = {e["id"]: e["book_id"] for e in hardcover["editions"]}
    by_asin = {e["asin"]: e["book_id"] for e in hardcover["editions"] if e.get("asin")}
    items = _abs_items(messy)
    for label in messy.labels:
        item = items[label.item_id]
        if label.trap == "wrong_identifier_same_author":
            # the identifier names another, more popular book: the right one is found by title only
            named = by_asin.get(item.get("asin")) or next(
                edition_book[e["id"]] for e in hardcover["editions"] if e.get("isbn_13") == item.get("isbn")
            )
            assert named != label.book_id and popularity[named] > popularity[label.book_id]  # type: ignore[index]
        if label.trap in {
            "shared_surname_popular",
            "length_disagrees",
            "box_set",
            "narrator_as_author_ambiguous",
        }:
            assert not label.should_link
    assert any(lb.trap == "same_title_revised" and lb.should_link for lb in messy.labels)
