"""What the API and the pages share: the collaborators given to :func:`create_app`, and run triggering.

Nothing here builds a client or reads configuration files: ``bookrelay.app`` hands everything in.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bookrelay.app.views import HardcoverBooks, HardcoverSearch
from bookrelay.config import Config
from bookrelay.config.jobs import enabled_jobs, jobs_for
from bookrelay.domain.models import Book
from bookrelay.errors import AlreadyRunning, NotFound
from bookrelay.store.facade import Store
from bookrelay.web.security import SessionRegistry, SignInThrottle


class Runner(Protocol):
    """Runs one job for one user to the end; returns the id of the run it recorded, and tells
    ``on_start`` that id as soon as the run starts (:class:`bookrelay.sync.runs.RunRecorder`)."""

    def __call__(
        self, user_id: str, job: str, *, dry_run: bool = False, on_start: Callable[[int], None] | None = None
    ) -> Awaitable[int]: ...


class Scheduler(Protocol):
    """The part of the scheduler service (``bookrelay.service.scheduler``) the web app uses."""

    def next_run(self, user_id: str, job: str) -> datetime | None:
        """When the job runs next for the user, ``None`` when it is not scheduled."""
        ...

    def trigger(self, user_id: str, job: str, *, dry_run: bool = False) -> int | Awaitable[int]:
        """Start the job now in the background (never overlapping the user's other runs); the run id."""
        ...


class AudibleLogin(Protocol):
    """Audible's external-browser sign-in in two steps, provided by the Audible connector's owner."""

    def start(self, user_id: str, locale: str) -> str | Awaitable[str]:
        """Amazon's login address for the user to open."""
        ...

    def finish(self, user_id: str, locale: str, final_url: str) -> Awaitable[None] | None:
        """Take back the address the browser ended on and store the device credentials encrypted."""
        ...


class RunInProgress(AlreadyRunning):
    """A run of this user is still going: runs of one user never overlap."""

    http_status = 409
    exit_code = 9


async def maybe_await(value: Any) -> Any:
    """``value``, awaited when it is awaitable (the scheduler and Audible hooks may be sync or async)."""
    return await value if inspect.isawaitable(value) else value


class RunLauncher:
    """Starts runs in the background when no scheduler is given, one at a time per user.

    The runner says the run's id as soon as the run starts (``on_start``), or answers it when it ended
    before; the launcher never looks for it in the store."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[int]] = set()

    def busy(self, user_id: str) -> bool:
        """Whether a run started here for the user is still going."""
        return user_id in self._busy

    async def start(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        """Start the job in the background and return its run id; RunInProgress when one is going."""
        if user_id in self._busy:
            raise RunInProgress(f"a run of user {user_id!r} is in progress; try again when it has finished")
        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_start(run_id: int) -> None:
            if not started.done():
                started.set_result(run_id)

        self._busy.add(user_id)
        task = asyncio.create_task(self._run(user_id, job, dry_run, on_start))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.wait({started, task}, return_when=asyncio.FIRST_COMPLETED)
        if started.done():
            return started.result()
        started.cancel()
        return task.result()

    async def wait_idle(self) -> None:
        """Wait until every run started here has ended (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _run(self, user_id: str, job: str, dry_run: bool, on_start: Callable[[int], None]) -> int:
        try:
            return await self._runner(user_id, job, dry_run=dry_run, on_start=on_start)
        finally:
            self._busy.discard(user_id)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebContext:
    """The collaborators of the web app; one per :func:`create_app`."""

    config: Config
    store: Store
    launcher: RunLauncher
    scheduler: Scheduler | None = None
    hardcover_search: HardcoverSearch | None = None
    hardcover_books: HardcoverBooks | None = None
    audible_login: AudibleLogin | None = None
    # The job queue's status (bookrelay.queue.schema.queue_status) when `global.queue: postgres`.
    queue_status: Callable[[], Any] | None = None
    now: Callable[[], datetime] = _utc_now
    book_cache: dict[int, Book] = field(default_factory=dict)
    sessions: SessionRegistry = field(default_factory=SessionRegistry)
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle)

    def user_ids(self) -> list[str]:
        """Users of the configuration, then any other user the store knows, without repeats."""
        ids = [u.id for u in self.config.users]
        ids += [u.id for u in self.store.users.list() if u.id not in ids]
        return ids

    def require_user(self, user_id: str, place: str = "user_id") -> str:
        """``user_id`` when the configuration or the store knows it; NotFound (404) naming ``place``."""
        if user_id not in self.user_ids():
            raise NotFound(f"{place}: no user {user_id!r}")
        return user_id

    async def trigger(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        """Start a job for a configured user now; the run id. The scheduler runs it when there is one;
        RunInProgress (409) while a run of the user is going or waiting to start."""
        if user_id not in {u.id for u in self.config.users}:
            raise NotFound(f"body.user_id: no user {user_id!r} in the configuration")
        if self.scheduler is not None:
            # A scheduler queues a trigger behind the user's current run; the API says so instead (409).
            busy = getattr(self.scheduler, "busy", None)
            if busy is not None and busy(user_id):
                raise RunInProgress(
                    f"a run of user {user_id!r} is in progress; try again when it has finished"
                )
            return int(await maybe_await(self.scheduler.trigger(user_id, job, dry_run=dry_run)))
        return await self.launcher.start(user_id, job, dry_run=dry_run)

    def next_run(self, user_id: str, job: str) -> datetime | None:
        """The next scheduled run, ``None`` without a scheduler."""
        return self.scheduler.next_run(user_id, job) if self.scheduler is not None else None

    def enabled_jobs(self, user_id: str | None = None) -> list[str]:
        """The jobs that run for ``user_id`` (for anyone when None), as the configuration decides."""
        known = {user.id for user in self.config.users}
        # An unknown user is the caller's to refuse (with its own status code), not this look-up's.
        return list(jobs_for(self.config, user_id) if user_id in known else enabled_jobs(self.config))
