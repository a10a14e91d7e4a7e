"""Rules P3-P11 on the pure progress plan (no HTTP: the plan is asserted directly)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bookrelay.domain.models import (
    Edition,
    Read,
    ReadingFormat,
    Source,
    SourceItem,
    SourceProgress,
    Status,
    UserBook,
)
from bookrelay.domain.plan import (
    Action,
    AddToShelf,
    Hold,
    LastWritten,
    MarkFinished,
    OpenConflict,
    ProgressSettings,
    SetProgress,
    SetStatus,
    Skip,
    StartRead,
    TargetState,
    plan_progress,
    writes_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
LENGTH = 36_000
AUDIO = Edition(id=50, book_id=10, audio_seconds=LENGTH, reading_format=ReadingFormat.AUDIO)
PAGED = Edition(id=60, book_id=10, pages=400, reading_format=ReadingFormat.EBOOK)
ITEM = SourceItem(
    Source.AUDIOBOOKSHELF, "li_1", "Dune", authors=("Frank Herbert",), duration_seconds=float(LENGTH)
)
STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SETTINGS = ProgressSettings()


def _progress(fraction: float = 0.0, **kwargs: object) -> SourceProgress:
    base: dict[str, object] = {"progress": fraction, "started_at": STARTED, "last_update": STARTED}
    base.update(kwargs)
    return SourceProgress(Source.AUDIOBOOKSHELF, "li_1", **base)  # type: ignore[arg-type]


def _user_book(status: Status, *reads: Read) -> UserBook:
    return UserBook(id=700, book_id=10, status=status, edition_id=AUDIO.id, reads=reads)


def _open_read(seconds: int, started: date = date(2025, 3, 1), read_id: int = 900) -> Read:
    return Read(id=read_id, edition_id=AUDIO.id, started_at=started, progress_seconds=seconds)


def _plan(
    progress: SourceProgress,
    user_book: UserBook | None = None,
    *,
    edition: Edition | None = AUDIO,
    settings: ProgressSettings = SETTINGS,
    tz: ZoneInfo = BERLIN,
    last: LastWritten | None = None,
) -> list[Action]:
    target = TargetState(book_id=10, edition=edition, user_book=user_book)
    return list(plan_progress(ITEM, progress, target, settings, tz, last))


def test_P2_plan_writes_pages_on_a_text_edition() -> None:
    actions = _plan(_progress(0.5), None, edition=PAGED)
    start = actions[-1]
    assert isinstance(start, StartRead)
    assert (start.progress_pages, start.progress_seconds, start.edition_id) == (200, None, PAGED.id)


def test_P3_below_min_progress_nothing_is_written() -> None:
    actions = _plan(_progress(0.04))
    assert writes_of(actions) == []
    assert isinstance(actions[0], Skip) and "P3" in actions[0].reason
    assert writes_of(_plan(_progress(0.06)))


def test_P4_small_change_since_last_write_is_skipped() -> None:
    user_book = _user_book(Status.READING, _open_read(18_000))
    last = LastWritten(fraction=0.5, progress_seconds=18_000, read_id=900)
    # 0.1 % of 10 h is 36 s: below both 1 % and 60 s.
    actions = _plan(_progress(0.501), user_book, last=last)
    assert len(actions) == 1 and isinstance(actions[0], Skip) and "P4" in actions[0].reason


def test_P4_sixty_seconds_is_enough_even_below_one_percent() -> None:
    user_book = _user_book(Status.READING, _open_read(18_000))
    last = LastWritten(fraction=0.5, progress_seconds=18_000, read_id=900)
    actions = _plan(_progress(0.502), user_book, last=last)  # 72 s
    assert isinstance(actions[-1], SetProgress)
    assert actions[-1].progress_seconds == round(0.502 * LENGTH)


def test_P4_force_writes_a_small_change() -> None:
    user_book = _user_book(Status.READING, _open_read(18_000))
    last = LastWritten(fraction=0.5, read_id=900)
    actions = _plan(_progress(0.501), user_book, last=last, settings=ProgressSettings(force=True))
    assert isinstance(actions[-1], SetProgress)


def test_P5_progress_behind_hardcover_is_held_and_reported() -> None:
    user_book = _user_book(Status.READING, _open_read(27_000))
    actions = _plan(_progress(0.4), user_book)
    assert len(actions) == 1 and isinstance(actions[0], Hold) and actions[0].rule == "P5"
    assert "40.0 %" in actions[0].reason and "75.0 %" in actions[0].reason


def test_P5_allow_backwards_or_force_writes_it() -> None:
    user_book = _user_book(Status.READING, _open_read(27_000))
    for settings in (ProgressSettings(allow_backwards=True), ProgressSettings(force=True)):
        actions = _plan(_progress(0.4), user_book, settings=settings)
        assert isinstance(actions[-1], SetProgress)
        assert actions[-1].progress_seconds == 14_400


def test_P5_restart_after_the_open_read_began_may_go_back() -> None:
    user_book = _user_book(Status.READING, _open_read(27_000, started=date(2025, 1, 1)))
    actions = _plan(_progress(0.4), user_book)
    assert isinstance(actions[-1], SetProgress)
    assert actions[-1].started_at == date(2025, 3, 1)


def test_P6_source_finished_flag_marks_read_with_the_source_date() -> None:
    user_book = _user_book(Status.READING, _open_read(30_000))
    finished = datetime(2025, 3, 20, 20, 0, tzinfo=UTC)
    actions = _plan(_progress(0.3, is_finished=True, finished_at=finished), user_book)
    assert actions == [
        MarkFinished("li_1", 700, 10, 900, AUDIO.id, date(2025, 3, 1), date(2025, 3, 20), LENGTH, None)
    ]


def test_P6_fraction_at_finish_at_marks_read_with_last_update_as_fallback() -> None:
    user_book = _user_book(Status.READING, _open_read(30_000))
    updated = datetime(2025, 3, 22, 12, 0, tzinfo=UTC)
    actions = _plan(_progress(0.96, last_update=updated), user_book)
    assert isinstance(actions[0], MarkFinished)
    assert actions[0].finished_at == date(2025, 3, 22)
    assert actions[0].read_id == 900


def test_P6_below_finish_at_is_progress_not_finish() -> None:
    user_book = _user_book(Status.READING, _open_read(30_000))
    actions = _plan(_progress(0.94), user_book)
    assert isinstance(actions[-1], SetProgress)


def test_P7_absent_book_becomes_currently_reading_with_the_source_start() -> None:
    actions = _plan(_progress(0.3))
    assert actions == [
        AddToShelf("li_1", 10, AUDIO.id, Status.READING),
        StartRead("li_1", None, 10, AUDIO.id, date(2025, 3, 1), round(0.3 * LENGTH), None),
    ]


def test_P7_want_to_read_becomes_currently_reading() -> None:
    actions = _plan(_progress(0.3), _user_book(Status.WANT_TO_READ))
    assert isinstance(actions[0], SetStatus) and actions[0].status is Status.READING
    assert isinstance(actions[1], StartRead) and actions[1].user_book_id == 700


def test_P7_absent_and_finished_goes_straight_to_read() -> None:
    actions = _plan(_progress(is_finished=True, finished_at=datetime(2025, 3, 9, 8, tzinfo=UTC)))
    assert len(actions) == 1 and isinstance(actions[0], MarkFinished)
    assert actions[0].user_book_id is None and actions[0].finished_at == date(2025, 3, 9)


def test_P8_paused_dnf_and_ignored_are_respected() -> None:
    for status in (Status.PAUSED, Status.DID_NOT_FINISH, Status.IGNORED):
        actions = _plan(_progress(0.5), _user_book(status, _open_read(100)))
        assert len(actions) == 1 and isinstance(actions[0], Hold) and actions[0].rule == "P8"


def test_P8_respecting_statuses_is_configurable() -> None:
    settings = ProgressSettings(respect_statuses=frozenset())
    actions = _plan(_progress(0.5), _user_book(Status.PAUSED, _open_read(100)), settings=settings)
    assert actions[0] == SetStatus("li_1", 700, Status.READING)
    assert isinstance(actions[1], SetProgress)


def test_P9_new_progress_after_a_finished_read_starts_a_new_read() -> None:
    finished = Read(id=800, edition_id=AUDIO.id, started_at=date(2024, 1, 1), finished_at=date(2024, 2, 1))
    actions = _plan(_progress(0.2), _user_book(Status.READ, finished))
    assert actions[0] == SetStatus("li_1", 700, Status.READING)
    assert isinstance(actions[1], StartRead) and actions[1].user_book_id == 700
    assert not any(
        isinstance(a, SetProgress | MarkFinished) and getattr(a, "read_id", None) == 800 for a in actions
    )


def test_P9_progress_from_before_the_finished_read_never_overwrites_it() -> None:
    finished = Read(id=800, edition_id=AUDIO.id, started_at=date(2025, 2, 1), finished_at=date(2025, 3, 10))
    actions = _plan(_progress(0.2), _user_book(Status.READ, finished))
    assert writes_of(actions) == []
    assert isinstance(actions[0], Hold) and actions[0].rule == "P9"


def test_P9_finished_on_both_sides_is_nothing() -> None:
    finished = Read(id=800, edition_id=AUDIO.id, started_at=date(2025, 2, 1), finished_at=date(2025, 3, 10))
    actions = _plan(_progress(is_finished=True), _user_book(Status.READ, finished))
    assert len(actions) == 1 and isinstance(actions[0], Skip)


def test_P9_a_complete_reread_adds_a_new_finished_read() -> None:
    finished = Read(id=800, edition_id=AUDIO.id, started_at=date(2024, 1, 1), finished_at=date(2024, 2, 1))
    done = datetime(2025, 3, 9, 8, tzinfo=UTC)
    actions = _plan(_progress(is_finished=True, finished_at=done), _user_book(Status.READ, finished))
    assert len(actions) == 1 and isinstance(actions[0], MarkFinished)
    assert actions[0].read_id is None and actions[0].finished_at == date(2025, 3, 9)


def test_P10_finish_at_23_30_utc_is_dated_in_the_user_zone() -> None:
    late = datetime(2025, 3, 14, 23, 30, tzinfo=UTC)
    user_book = _user_book(Status.READING, _open_read(30_000))
    berlin = _plan(_progress(is_finished=True, finished_at=late), user_book, tz=BERLIN)
    new_york = _plan(
        _progress(is_finished=True, finished_at=late), user_book, tz=ZoneInfo("America/New_York")
    )
    assert isinstance(berlin[0], MarkFinished) and berlin[0].finished_at == date(2025, 3, 15)
    assert isinstance(new_york[0], MarkFinished) and new_york[0].finished_at == date(2025, 3, 14)


def test_P11_the_latest_open_read_is_updated_never_a_second_one() -> None:
    older = Read(id=800, edition_id=AUDIO.id, started_at=date(2024, 1, 1), finished_at=date(2024, 2, 1))
    actions = _plan(_progress(0.6), _user_book(Status.READING, _open_read(18_000), older))
    assert not any(isinstance(a, StartRead) for a in actions)
    assert actions == [SetProgress("li_1", 700, 900, AUDIO.id, round(0.6 * LENGTH), None, date(2025, 3, 1))]


def test_M5_no_edition_is_a_conflict_not_a_write() -> None:
    target = TargetState(
        book_id=10, edition=None, user_book=None, edition_conflict="no audio edition with a length"
    )
    actions = plan_progress(ITEM, _progress(0.5), target, SETTINGS, BERLIN, None)
    assert len(actions) == 1 and isinstance(actions[0], OpenConflict)
    assert "no audio edition with a length" in actions[0].reason


def test_P11_idempotency_key_is_deterministic() -> None:
    user_book = _user_book(Status.READING, _open_read(18_000))
    first = _plan(_progress(0.6), user_book)
    again = _plan(_progress(0.6), user_book)
    other = _plan(_progress(0.7), user_book)
    keys = [a.idempotency_key for a in first]
    assert keys == [a.idempotency_key for a in again]
    assert keys != [a.idempotency_key for a in other]
    assert all(len(k) == 32 for k in keys)


@given(
    hardcover_seconds=st.integers(min_value=0, max_value=LENGTH),
    fraction=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    days_before=st.integers(min_value=0, max_value=400),
    last_fraction=st.none() | st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
def test_P5_progress_never_moves_backwards(
    hardcover_seconds: int, fraction: float, days_before: int, last_fraction: float | None
) -> None:
    read_started = date.fromordinal(date(2025, 3, 1).toordinal() + days_before)  # source started on or before
    user_book = _user_book(Status.READING, _open_read(hardcover_seconds, started=read_started))
    last = LastWritten(fraction=last_fraction, read_id=900) if last_fraction is not None else None
    for action in _plan(_progress(fraction), user_book, last=last):
        if isinstance(action, SetProgress | MarkFinished | StartRead):
            assert action.progress_seconds is not None
            assert action.progress_seconds >= hardcover_seconds
