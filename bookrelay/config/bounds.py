"""The bounds every number of the configuration is checked against (README, "Configuration reference").

A number outside them is refused by ``config check`` with the file, line and key, instead of passing
and breaking later (an unmatched TTL of 10^8 hours overflows the date arithmetic of every sync).
Infinity and NaN are refused everywhere (``allow_inf_nan=False`` on every section).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

HOUR_SECONDS = 3600
DAY_SECONDS = 24 * HOUR_SECONDS
TEN_YEARS_HOURS = 10 * 366 * 24
DB_ID_MAX = 2**31 - 1  # Bookshelf's profile ids are 32-bit integers

# A share of a book, 0 to 1 (min_progress, min_change, the fuzzy scores).
Fraction = Annotated[float, Field(ge=0, le=1)]
# finish_at: above 0, since 0 would call every book finished.
FinishFraction = Annotated[float, Field(gt=0, le=1)]
# min_change_seconds: a change below a day can matter; above a day no progress write would ever happen.
ChangeSeconds = Annotated[float, Field(ge=0, le=DAY_SECONDS)]
# unmatched_ttl_hours: up to ten years; far beyond that the date arithmetic overflows.
TtlHours = Annotated[float, Field(ge=0, le=TEN_YEARS_HOURS)]
# chunk_size: items held in memory together.
ChunkSize = Annotated[int, Field(ge=1, le=100_000)]
# Hardcover's budget per token (N1): the real limits are 60 a minute, a burst of 10, 5,000 a day; the
# bounds are far above them because the sandbox and the benchmarks run with the budget all but off.
PerMinute = Annotated[int, Field(gt=0, le=10_000_000)]
Burst = Annotated[int, Field(gt=0, le=1_000_000)]
Daily = Annotated[int, Field(gt=0, le=1_000_000_000)]
# The real-time trigger: a debounce up to a day; polling between 10 seconds and a day.
DebounceSeconds = Annotated[float, Field(ge=0, le=DAY_SECONDS)]
PollSeconds = Annotated[float, Field(ge=10, le=DAY_SECONDS)]
# Audible: at most one sync per interval (up to a week), at most daily_cap requests a day.
AudibleIntervalMinutes = Annotated[float, Field(ge=0, le=7 * 24 * 60)]
AudibleDailyCap = Annotated[int, Field(ge=1, le=100_000)]
AudiblePerMinute = Annotated[int, Field(ge=1, le=600)]
Workers = Annotated[int, Field(ge=1, le=64)]
Port = Annotated[int, Field(ge=1, le=65535)]
ProfileId = Annotated[int, Field(ge=1, le=DB_ID_MAX)]
# `every <n><unit>` schedules: from one second up to a year.
MAX_INTERVAL_SECONDS = 366 * DAY_SECONDS
