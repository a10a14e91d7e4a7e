"""Jobs follow what is configured unless global.jobs says otherwise; a job switched on without what it
needs is a configuration problem (S3), shown by `config check`, not a run that fails on every schedule."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bookrelay.cli.main import app
from bookrelay.config import check_config, load_config
from bookrelay.config.jobs import enabled_jobs, job_choices, jobs_for
from bookrelay.errors import ConfigError
from bookrelay.service.scheduler import plan_schedule

SEED_ENV = {"HARDCOVER_API_KEY": "hc_pat_seed_1111", "BOOKSHELF_API_KEY": "bookshelf-seed-2222"}
ABS_ENV = {"HARDCOVER_TOKEN": "hc_pat_abs_3333", "ABS_URL": "http://abs:13378", "ABS_TOKEN": "abs-key-4444"}


@pytest.fixture(autouse=True)
def _empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./bookrelay.yaml found by accident
    for name in ("BOOKRELAY_CONFIG", *SEED_ENV, *ABS_ENV, "HARDCOVER_TOKEN", "BOOKSHELF_URL"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_bookshelf_with_a_key_turns_the_wanted_job_on_and_no_source_leaves_progress_off() -> None:
    config = load_config(None, SEED_ENV)
    (user,) = config.users
    assert jobs_for(config, user) == ("wanted",)
    why = {c.job: c.why for c in job_choices(config, user)}
    assert "Bookshelf" in why["wanted"] and "audiobookshelf" in why["progress"]


def test_an_audiobookshelf_turns_progress_on_and_without_a_bookshelf_key_wanted_stays_off() -> None:
    config = load_config(None, {**ABS_ENV, "BOOKSHELF_URL": "http://bookshelf:8787"})
    assert jobs_for(config, config.users[0]) == ("progress",)
    both = load_config(None, {**ABS_ENV, "BOOKSHELF_API_KEY": "k-5555"})
    assert jobs_for(both, both.users[0]) == ("progress", "wanted")


def test_the_config_says_otherwise_false_wins_and_enrich_scrobble_only_when_asked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        global:
          jobs: {wanted: false, scrobble: true}
          bookshelf: {api_key: bookshelf-key-6666}
        users:
          - id: alice
            hardcover: {token: hc-alice-7777}
            audiobookshelf: {url: "http://abs:13378", api_key: abs-alice-8888}
          - id: bob
            hardcover: {token: hc-bob-9999}
            audible: {locale: uk}
        """,
    )
    config = load_config(path, {})
    assert jobs_for(config, "alice") == ("progress", "scrobble")
    assert jobs_for(config, "bob") == ("progress", "scrobble")  # Audible is a source too
    assert enabled_jobs(config) == ("progress", "scrobble")


def test_S3_a_job_switched_on_without_what_it_needs_is_a_problem_naming_the_user_and_line(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        global:
          jobs: {progress: true, wanted: true, enrich: true}
        users:
          - id: alice
            hardcover: {token: hc-alice-7777}
            audiobookshelf: {url: "http://abs:13378", api_key: abs-alice-8888}
          - id: carol
            hardcover: {token: hc-carol-1212}
            audible: {locale: us, enabled: false}
        """,
    )
    problems = {(p.key, p.line): p.message for p in check_config(path, {})}
    assert set(problems) == {("global.jobs.wanted", 2), ("users[1]", 7)}
    assert "Bookshelf API key" in problems[("global.jobs.wanted", 2)]
    carol = problems[("users[1]", 7)]
    assert "'carol'" in carol and "progress and enrich" in carol and "audiobookshelf section" in carol
    with pytest.raises(ConfigError, match="carol"):
        load_config(path, {})
    result = CliRunner().invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert "global.jobs.wanted" in result.output and "users[1]" in result.output


def test_S3_a_job_switched_on_in_the_environment_only_setup_names_the_variables() -> None:
    problems = check_config(None, {"HARDCOVER_API_KEY": "hc_pat_x_1313", "BOOKSHELF_URL": "http://b:8787"})
    assert problems == []  # nothing switched on: nothing missing, and config check says what runs
    result = CliRunner().invoke(app, ["config", "check"], env={"HARDCOVER_API_KEY": "hc_pat_x_1313"})
    assert result.exit_code == 0, result.output
    assert "no job will run" in result.output and "BOOKSHELF_API_KEY" in result.output


def test_config_check_prints_which_jobs_run_for_whom() -> None:
    result = CliRunner().invoke(app, ["config", "check"], env=SEED_ENV)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["jobs", "for", "default:"] in lines
    state = {words[0]: words[1] for words in lines if words and words[0] in ("progress", "wanted")}
    assert state == {"wanted": "runs", "progress": "off"}
    assert (
        SEED_ENV["BOOKSHELF_API_KEY"] not in result.output
        and SEED_ENV["HARDCOVER_API_KEY"] not in result.output
    )


def test_the_scheduler_plans_each_user_only_the_jobs_that_run_for_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        global:
          bookshelf: {api_key: bookshelf-key-6666}
        users:
          - id: alice
            hardcover: {token: hc-alice-7777}
            audiobookshelf: {url: "http://abs:13378", api_key: abs-alice-8888}
          - id: dave
            hardcover: {token: hc-dave-1414}
        """,
    )
    config = load_config(path, {})
    planned = plan_schedule(config, ("progress", "wanted", "scrobble"), datetime(2026, 6, 1, tzinfo=UTC))
    assert sorted((p.user_id, p.job) for p in planned) == [
        ("alice", "progress"),
        ("alice", "wanted"),
        ("dave", "wanted"),
    ]


def test_hardcover_url_from_the_environment_points_the_client_elsewhere() -> None:
    config = load_config(None, {**SEED_ENV, "HARDCOVER_URL": "http://127.0.0.1:9/hardcover/v1/graphql"})
    assert config.global_.hardcover.url == "http://127.0.0.1:9/hardcover/v1/graphql"
    problems = check_config(None, {**SEED_ENV, "HARDCOVER_URL": "hardcover.local"})
    assert [(p.key, "$HARDCOVER_URL" in p.message) for p in problems] == [("global.hardcover.url", True)]


def test_the_job_names_are_said_once_and_every_list_of_jobs_follows_them() -> None:
    from typing import get_args

    from bookrelay.app.setup_wizard import JOBS
    from bookrelay.config.models import JobsSettings, ScheduleOverride, ScheduleSettings
    from bookrelay.domain.jobs import JOB_NAMES
    from bookrelay.web.schemas import Job

    assert JOB_NAMES == ("progress", "wanted", "enrich", "scrobble")
    for section in (JobsSettings, ScheduleSettings, ScheduleOverride):
        assert tuple(section.model_fields) == JOB_NAMES, section.__name__
    assert get_args(Job) == JOB_NAMES and JOBS == JOB_NAMES


def test_the_schedule_grammar_is_one_for_config_and_scheduler() -> None:
    from zoneinfo import ZoneInfo

    from pydantic import ValidationError

    from bookrelay.config.models import ScheduleSettings
    from bookrelay.service.scheduler import parse_schedule

    assert ScheduleSettings.model_validate({"wanted": " 30m "}).wanted == "every 30m"
    assert parse_schedule("every 30m", ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC)) is not None
    for bad in ("every 0s", "61 * * * *", "sometimes"):
        with pytest.raises(ValidationError):
            ScheduleSettings.model_validate({"progress": bad})
        with pytest.raises(ConfigError):
            parse_schedule(bad, ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC))
