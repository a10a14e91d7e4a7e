"""The pure scrobble rules S10-S15: directions, the conflict rule, the Hardcover → ABS progress plan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bookrelay.domain.directions import (
    ConflictRule,
    Direction,
    Directions,
    Feature,
    HardcoverReading,
    LocalPosition,
    ReverseSettings,
    Seen,
    Side,
    plan_reverse_progress,
    winner,
)
from bookrelay.errors import ConfigError

TZ = ZoneInfo("Europe/Berlin")
BACK = Directions({**{f: Direction.BOTH for f in Feature}})
SETTINGS = ReverseSettings(BACK)


def reading(fraction: float, *, read_id: int = 7, finished_on: date | None = None) -> HardcoverReading:
    return HardcoverReading(read_id, fraction, finished_on is not None, date(2026, 11, 1), finished_on)


def local(
    current: float, *, duration: float = 1000.0, finished: bool = False, updated_ms: int = 1_000
) -> LocalPosition:
    return LocalPosition(current, duration, finished, datetime.fromtimestamp(updated_ms / 1000, UTC))


def seen_of(old: HardcoverReading, updated_ms: int = 1_000) -> Seen:
    return Seen(old.fingerprint(), updated_ms)


@pytest.mark.parametrize(
    ("direction", "to_hc", "from_hc"),
    [
        ("to_hardcover", True, False),
        ("from_hardcover", False, True),
        ("both", True, True),
        ("off", False, False),
    ],
)
def test_S10_a_direction_says_which_way_a_feature_flows(direction: str, to_hc: bool, from_hc: bool) -> None:
    way = Direction(direction)
    assert (way.to_hardcover, way.from_hardcover) == (to_hc, from_hc)


def test_S10_writing_a_feature_that_does_not_flow_to_hardcover_names_the_setting() -> None:
    directions = Directions({Feature.RATING: Direction.FROM_HARDCOVER})
    with pytest.raises(ConfigError, match=r"directions\.rating"):
        directions.require_to_hardcover(Feature.RATING)
    directions.require_to_hardcover(Feature.STATUS)  # default both: allowed


def test_S10_progress_back_to_audiobookshelf_is_opt_in() -> None:
    plan = plan_reverse_progress("i", reading(0.5), None, None, 1000.0, ReverseSettings(), TZ)
    assert not plan.writes and plan.rule == "S10"


@pytest.mark.parametrize(
    ("rule", "hc_day", "local_day", "expected"),
    [
        (ConflictRule.NEWER, date(2026, 11, 21), date(2026, 11, 20), Side.HARDCOVER),
        (ConflictRule.NEWER, date(2026, 11, 20), date(2026, 11, 20), Side.LOCAL),  # a tie: local is exact
        (ConflictRule.NEWER, None, date(2026, 11, 20), Side.LOCAL),
        (ConflictRule.HARDCOVER, date(2026, 1, 1), date(2026, 11, 20), Side.HARDCOVER),
        (ConflictRule.LOCAL, date(2026, 12, 1), date(2026, 11, 20), Side.LOCAL),
    ],
)
def test_S11_when_both_changed_the_rule_decides(
    rule: ConflictRule, hc_day: date | None, local_day: date, expected: Side
) -> None:
    local_at = datetime(local_day.year, local_day.month, local_day.day, 22, 30, tzinfo=TZ)
    got = winner(
        rule, hardcover_changed=True, local_changed=True, hardcover_day=hc_day, local_at=local_at, tz=TZ
    )
    assert got is expected


def test_S11_one_sided_change_wins_and_no_change_is_nothing() -> None:
    args = {"hardcover_day": None, "local_at": None, "tz": TZ}
    assert winner(ConflictRule.LOCAL, hardcover_changed=True, local_changed=False, **args) is Side.HARDCOVER
    assert winner(ConflictRule.HARDCOVER, hardcover_changed=False, local_changed=True, **args) is Side.LOCAL
    assert winner(ConflictRule.NEWER, hardcover_changed=False, local_changed=False, **args) is None


def test_S12_the_first_run_takes_a_baseline_when_there_is_local_progress() -> None:
    plan = plan_reverse_progress("i", reading(0.8), local(100), None, None, SETTINGS, TZ)
    assert not plan.writes and plan.rule == "S12"


def test_S12_without_local_progress_the_first_run_writes_the_position() -> None:
    plan = plan_reverse_progress("i", reading(0.5), None, None, 1000.0, SETTINGS, TZ)
    assert plan.payload == {"currentTime": 500.0, "duration": 1000.0, "progress": 0.5}


def test_S12_an_unchanged_hardcover_read_writes_nothing() -> None:
    now = reading(0.8)
    plan = plan_reverse_progress("i", now, local(100), seen_of(now), None, SETTINGS, TZ)
    assert not plan.writes and plan.rule == "S12"


def test_S13_a_newer_hardcover_read_ahead_of_the_local_position_is_written_with_progress() -> None:
    old, now = reading(0.2), reading(0.6)
    plan = plan_reverse_progress("i", now, local(200), seen_of(old), None, SETTINGS, TZ)
    # progress, currentTime and duration together; no isFinished, which would make ABS ignore progress
    assert plan.payload == {"currentTime": 600.0, "duration": 1000.0, "progress": 0.6}


def test_S13_a_newer_local_position_is_never_regressed() -> None:
    old, now = reading(0.2), reading(0.5)
    plan = plan_reverse_progress("i", now, local(700), seen_of(old), None, SETTINGS, TZ)
    assert not plan.writes and plan.rule == "S13" and "never moved back" in plan.reason


def test_S13_a_position_near_the_end_stays_clear_of_the_servers_auto_finish() -> None:
    old, now = reading(0.2), reading(0.999)
    plan = plan_reverse_progress("i", now, local(100), seen_of(old), None, SETTINGS, TZ)
    assert plan.payload is not None and plan.payload["currentTime"] < 1000.0 - 10.0
    assert "isFinished" not in plan.payload


def test_S13_a_small_change_is_not_written() -> None:
    old, now = reading(0.2), reading(0.205)
    plan = plan_reverse_progress("i", now, local(200), seen_of(old), None, SETTINGS, TZ)
    assert not plan.writes and "min_change" in plan.reason


def test_S11_both_changed_on_the_same_day_keeps_the_local_position() -> None:
    old, now = reading(0.2), reading(0.9)
    plan = plan_reverse_progress(
        "i", now, local(300, updated_ms=5_000), seen_of(old, 1_000), None, SETTINGS, TZ
    )
    assert not plan.writes and plan.rule == "S11"


def test_S14_a_finished_item_is_never_unfinished() -> None:
    old, now = reading(1.0, finished_on=date(2026, 1, 1)), reading(0.3, read_id=8)
    plan = plan_reverse_progress("i", now, local(1000, finished=True), seen_of(old), None, SETTINGS, TZ)
    assert not plan.writes and plan.rule == "S14"


def test_S15_finished_on_hardcover_finishes_with_isfinished_alone_and_the_date() -> None:
    old, now = reading(0.5), reading(1.0, finished_on=date(2026, 11, 20))
    plan = plan_reverse_progress("i", now, local(500), seen_of(old), None, SETTINGS, TZ)
    noon = int(datetime(2026, 11, 20, 12, tzinfo=TZ).timestamp() * 1000)
    assert plan.payload == {"isFinished": True, "finishedAt": noon}


def test_S15_finishing_needs_status_to_flow_back_and_the_date_needs_dates() -> None:
    old, now = reading(0.5), reading(1.0, finished_on=date(2026, 11, 20))
    no_status = ReverseSettings(Directions({**BACK.ways, Feature.STATUS: Direction.TO_HARDCOVER}))
    plan = plan_reverse_progress("i", now, local(500), seen_of(old), None, no_status, TZ)
    assert not plan.writes and plan.rule == "S10"
    no_dates = ReverseSettings(Directions({**BACK.ways, Feature.DATES: Direction.OFF}))
    plan = plan_reverse_progress("i", now, local(500), seen_of(old), None, no_dates, TZ)
    assert plan.payload == {"isFinished": True}


def test_S15_a_finish_date_is_corrected_only_when_it_differs() -> None:
    old, now = reading(1.0, finished_on=date(2026, 11, 1)), reading(1.0, finished_on=date(2026, 11, 20))
    finished_then = LocalPosition(
        1000, 1000, True, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 1, 9, tzinfo=UTC)
    )
    plan = plan_reverse_progress("i", now, finished_then, seen_of(old, None), None, SETTINGS, TZ)  # type: ignore[arg-type]
    assert plan.payload is not None and set(plan.payload) == {"finishedAt"}
    same_day = LocalPosition(1000, 1000, True, None, datetime(2026, 11, 20, 9, tzinfo=UTC))
    plan = plan_reverse_progress("i", now, same_day, seen_of(old, None), None, SETTINGS, TZ)  # type: ignore[arg-type]
    assert not plan.writes
