"""What a run shows people: human words first and the rule code as small print; each book changed,
held, failed or not placed named by title and author, with before → after; all of it kept on the run."""

from __future__ import annotations

from datetime import date

from bookrelay.domain.actions import AddToShelf, Hold, MarkFinished, OpenConflict, SetProgress, Skip
from bookrelay.domain.models import Read, Source, SourceItem, Status, UserBook
from bookrelay.store.facade import Store
from bookrelay.sync.report import changes_of, explain_action
from tests.sync.harness import Runner, World

ITEM = SourceItem(Source.AUDIOBOOKSHELF, "item-1", "Dune", ("Frank Herbert",), duration_seconds=72_000)


def test_held_write_reads_as_words_then_its_rule() -> None:
    words = explain_action(Hold("item-1", "P5", "source at 40.0 % is behind Hardcover at 62.0 %"))
    assert words == "held: source at 40.0 % is behind Hardcover at 62.0 % [P5]"
    skipped = explain_action(Skip("item-1", "P3: 3.0 % is below 5.0 %"))
    assert skipped == "nothing to write: 3.0 % is below 5.0 % [P3]"
    conflict = explain_action(OpenConflict("item-1", "M4: two close candidates"))
    assert conflict == "needs your choice: two close candidates [M4]"


def test_writes_read_as_words_without_ids() -> None:
    add = explain_action(AddToShelf("item-1", 124, 1031, Status.READING))
    progress = explain_action(SetProgress("item-1", 5, 6, 1031, 18_300, None, None))
    finished = explain_action(MarkFinished("item-1", 5, 124, 6, 1031, None, date(2026, 11, 20)))
    assert add == "add to your Hardcover shelf as Currently Reading"
    assert progress == "set progress to 5 h 05 min"
    assert finished == "mark as Read, finished 2026-11-20"
    assert not any(("=" in w or "124" in w or "1031" in w) for w in (add, progress, finished))


def test_a_written_book_shows_before_and_after_by_title_and_author() -> None:
    before = UserBook(5, 124, Status.READING, reads=(Read(6, 1031, progress=40.0),))
    write = SetProgress("item-1", 5, 6, 1031, 44_640, None, None)
    (change,) = changes_of(
        ITEM, [write], before=before, fraction=0.62, unmatched=None, written=True, error=None, dry_run=False
    )
    assert change.kind == "written" and change.book == "Dune — Frank Herbert"
    assert change.words == "Currently Reading at 40 % → Currently Reading at 62 % (12 h 24 min)"
    failed = changes_of(
        ITEM, [write], before=before, fraction=0.62, unmatched=None, written=False, error="429", dry_run=False
    )
    assert [(c.kind, c.words) for c in failed] == [("failed", "failed: 429")]
    would = changes_of(
        ITEM, [write], before=None, fraction=0.62, unmatched=None, written=None, error=None, dry_run=True
    )
    assert would[0].kind == "would write" and would[0].before == "not on your shelf"


async def test_a_run_records_each_change_as_an_event_and_labels_its_books(store: Store) -> None:
    world = World()
    dune = world.book("Dune", "Frank Herbert", editions=[{"audio_seconds": 72_000, "reading_format_id": 2}])
    hyperion = world.book(
        "Hyperion", "Dan Simmons", editions=[{"audio_seconds": 74_000, "reading_format_id": 2}]
    )
    (hyperion_edition,) = world.edition_ids(hyperion)
    world.shelve(hyperion, 2, hyperion_edition, [{"progress_seconds": 50_000, "started_at": "2026-10-01"}])
    listened = world.item("Dune", "Frank Herbert", duration=72_000, asin="B002V1OF70")
    behind = world.item("Hyperion", "Dan Simmons", duration=74_000)
    world.listen(listened, current=36_000, duration=72_000)
    world.listen(behind, current=20_000, duration=74_000, started="2026-09-20T10:00:00")
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert report.error is None

    _, events = store.runs.get_with_events(report.run_id or 0)
    by_title = {e.item: e for e in events}
    assert by_title["Dune"].kind == "written" and "→ Currently Reading at 50 %" in by_title["Dune"].message
    assert by_title["Dune"].data is not None and by_title["Dune"].data["authors"] == ["Frank Herbert"]
    assert by_title["Hyperion"].kind == "held" and by_title["Hyperion"].message.endswith("[P5]")

    labels = store.labels.for_user("alice")
    dune_label = labels[("abs", listened)]
    assert dune_label.title == "Dune" and dune_label.authors == ("Frank Herbert",)
    assert dune_label.identifiers == {"asin": "B002V1OF70"} and dune_label.duration_seconds == 72_000
    assert dune_label.hardcover_book_id == dune and dune_label.hardcover_title == "Dune"
    assert labels[("abs", behind)].hardcover_authors == ("Dan Simmons",)


async def test_an_unchanged_library_writes_no_label_again(store: Store) -> None:
    world = World()
    world.book("Dune", "Frank Herbert", editions=[{"audio_seconds": 72_000, "reading_format_id": 2}])
    item = world.item("Dune", "Frank Herbert", duration=72_000)
    world.listen(item, current=36_000, duration=72_000)
    runner = Runner.start(world, store)
    await runner.sync()
    first = store.labels.for_user("alice")[("abs", item)]
    from bookrelay.store.repositories import ItemFacts

    again = ItemFacts("abs", item, "Dune", ("Frank Herbert",), metadata_hash="different")
    assert store.labels.remember("alice", [again]) == 1  # a changed item is written …
    assert store.labels.remember("alice", [again]) == 0  # … once
    assert first.hardcover_title == "Dune"
