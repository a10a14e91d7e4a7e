"""Hostile configuration files: alias bombs, numbers beyond sense, bad keys, random YAML, many users (S3)."""

from __future__ import annotations

import base64
import string
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookrelay import redact as redact_module
from bookrelay.config import check_config, load_config
from bookrelay.config.bounds import DAY_SECONDS, TEN_YEARS_HOURS
from bookrelay.config.yaml_file import MAX_ALIAS_EXPANSION, MAX_DEPTH, MAX_FILE_BYTES
from bookrelay.redact import redact

USER = "users:\n  - id: alice\n    hardcover: {token: hc-token-alice-2222}\n"


@pytest.fixture(autouse=True)
def _no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./bookrelay.yaml found by accident, the default key file made here


def write(tmp_path: Path, text: str, name: str = "bookrelay.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """Nine levels of nine references under a valid key: 9^9 values once expanded."""
    lines = ["global:", "  sync:", "    respect_statuses: &a0 [" + ", ".join(["paused"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"    x{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    lines.append(f"    bomb: [{', '.join([f'*a{levels - 1}'] * width)}]")
    return "\n".join(lines) + "\n" + USER


def test_S3_an_alias_bomb_is_refused_in_well_under_a_second_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, alias_bomb())
    started = time.perf_counter()
    problems = check_config(path, env={})
    took = time.perf_counter() - started
    assert took < 1.0, f"refusing the bomb took {took:.2f} s"
    assert len(problems) == 1
    problem = problems[0]
    assert "alias" in problem.message and f"{MAX_ALIAS_EXPANSION:,}" in problem.message
    # The line of the key under which the aliases pile up past the bound, not the anchor's.
    text_line = path.read_text().splitlines()[problem.line - 1]  # type: ignore[operator]
    assert problem.key.startswith("global.sync.x") and text_line.strip().startswith(
        problem.key.split(".")[2][:2]
    )


def test_S3_a_few_aliases_still_work(tmp_path: Path) -> None:
    text = "global:\n  sync: &s {min_progress: 0.1}\n" + USER + "    sync: *s\n"
    config = load_config(write(tmp_path, text), env={})
    assert config.effective_sync("alice").min_progress == 0.1


def test_S3_a_recursive_alias_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "global: &g {x: *g}\n" + USER)
    (problem,) = check_config(path, env={})
    assert (problem.line, problem.key) == (
        1,
        "global.x",
    ) and "refers to a value that contains it" in problem.message


def test_S3_a_file_over_the_size_bound_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "bookrelay.yaml"
    with path.open("wb") as handle:  # sparse: no need to write the bytes
        handle.truncate(MAX_FILE_BYTES + 1)
    (problem,) = check_config(path, env={})
    assert "more than the 16 MiB allowed" in problem.message


@pytest.mark.parametrize(
    ("setting", "value", "key"),
    [
        ("sync: {unmatched_ttl_hours: %s}", "100000000", "global.sync.unmatched_ttl_hours"),
        ("sync: {unmatched_ttl_hours: %s}", "1e12", "global.sync.unmatched_ttl_hours"),
        ("sync: {unmatched_ttl_hours: %s}", "1e400", "global.sync.unmatched_ttl_hours"),
        ("sync: {unmatched_ttl_hours: %s}", ".inf", "global.sync.unmatched_ttl_hours"),
        ("sync: {min_change_seconds: %s}", ".nan", "global.sync.min_change_seconds"),
        ("sync: {min_change_seconds: %s}", str(DAY_SECONDS + 1), "global.sync.min_change_seconds"),
        ("sync: {chunk_size: %s}", "1e12", "global.sync.chunk_size"),
        ("hardcover: {daily: %s}", "1000000001", "global.hardcover.daily"),
        ("hardcover: {per_minute: %s}", ".inf", "global.hardcover.per_minute"),
        ("realtime: {poll_seconds: %s}", "1e9", "global.realtime.poll_seconds"),
        ("realtime: {debounce_seconds: %s}", "-.inf", "global.realtime.debounce_seconds"),
        ("audible: {min_interval_minutes: %s}", "1e400", "global.audible.min_interval_minutes"),
        ("audible: {daily_cap: %s}", "1e12", "global.audible.daily_cap"),
        ("bookshelf: {quality_profile: %s}", "99999999999", "global.bookshelf.quality_profile"),
        ("schedule: {progress: %s}", "every 99999999999999d", "global.schedule.progress"),
    ],
)
def test_S3_numbers_beyond_sense_are_refused_by_config_check(
    tmp_path: Path, setting: str, value: str, key: str
) -> None:
    problems = check_config(write(tmp_path, f"global:\n  {setting % value}\n" + USER), env={})
    assert problems and {p.key for p in problems} == {key}  # a union (id or name) may say it twice
    assert {p.line for p in problems} == {2}


def test_S3_the_bounds_themselves_are_accepted(tmp_path: Path) -> None:
    text = (
        f"global:\n  sync: {{unmatched_ttl_hours: {TEN_YEARS_HOURS}, min_change_seconds: {DAY_SECONDS}}}\n"
        "  schedule: {progress: every 366d}\n" + USER
    )
    config = load_config(write(tmp_path, text), env={})
    assert config.global_.sync.unmatched_ttl_hours == TEN_YEARS_HOURS
    # The largest TTL still works in the date arithmetic a run does with it.
    from datetime import UTC, datetime

    assert datetime.now(UTC) - timedelta(hours=config.global_.sync.unmatched_ttl_hours) > datetime(
        1, 1, 2, tzinfo=UTC
    )


def test_S1_a_secret_key_in_the_file_is_checked_and_named_by_its_line(tmp_path: Path) -> None:
    text = "global:\n  secret_key: not-a-fernet-key\n" + USER
    (problem,) = check_config(write(tmp_path, text), env={})
    assert (problem.file, problem.line, problem.key) == (
        str(tmp_path / "bookrelay.yaml"),
        2,
        "global.secret_key",
    )
    assert "is not a Fernet key" in problem.message and "BOOKRELAY_SECRET_KEY" not in str(problem)
    assert "not-a-fernet-key" not in str(problem)
    good = base64.urlsafe_b64encode(b"k" * 32).decode()
    assert check_config(write(tmp_path, f"global:\n  secret_key: {good}\n" + USER), env={}) == []


def test_S1_a_bad_secret_key_in_the_environment_names_the_variable(tmp_path: Path) -> None:
    (problem,) = check_config(write(tmp_path, USER), env={"BOOKRELAY_SECRET_KEY": "short-key-value"})
    assert problem.line is None and "$BOOKRELAY_SECRET_KEY" in problem.message


def test_S3_a_key_file_in_a_missing_folder_fails_config_check(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "secret.key"
    (problem,) = check_config(write(tmp_path, f'global:\n  secret_key_file: "{missing}"\n' + USER), env={})
    assert (problem.line, problem.key) == (2, "global.secret_key_file")
    assert "does not exist" in problem.message
    assert not missing.parent.exists()  # checking made nothing


def test_S3_a_key_file_that_holds_no_key_fails_config_check(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text("garbage\n")
    (problem,) = check_config(write(tmp_path, f'global:\n  secret_key_file: "{key_file}"\n' + USER), env={})
    assert problem.key == "global.secret_key_file" and "is not a Fernet key" in problem.message


def many_users(count: int) -> str:
    lines = ["global:", "  timezone: UTC", "users:"]
    for i in range(count):
        lines += [
            f"  - id: user{i}",
            f"    hardcover: {{token: hc_pat_token_{i:08d}_abcdef}}",
            f"    audiobookshelf: {{url: http://abs{i}.example:13378, api_key: abs-key-{i:08d}-xyz}}",
        ]
    return "\n".join(lines) + "\n"


def test_S1_loading_thousands_of_users_is_linear_and_masks_every_secret(tmp_path: Path) -> None:
    # Registering a secret once rebuilt one regex of every secret: 1,000 users took 3 s, 4,000 took 67 s.
    path = write(tmp_path, many_users(2000))
    started = time.perf_counter()
    config = load_config(path, env={})
    took = time.perf_counter() - started
    assert len(config.users) == 2000
    assert took < 5.0, f"2,000 users took {took:.1f} s to load"
    text = "tokens hc_pat_token_00001999_abcdef and abs-key-00000007-xyz and user7"
    assert redact(text) == "tokens *** and *** and user7"


def test_S1_overlapping_secrets_are_masked_whole() -> None:
    from bookrelay.redact import register_secret

    register_secret("zq-overlap-AAAA")
    register_secret("AAAA-tail-secret-zq")
    masked = redact("x zq-overlap-AAAA-tail-secret-zq y")
    assert masked == "x *** y"


# -- random YAML ------------------------------------------------------------------------------------------

WORDS = [
    "global",
    "users",
    "id",
    "sync",
    "hardcover",
    "token",
    "audiobookshelf",
    "url",
    "api_key",
    "timezone",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(WORDS),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
YAML_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " \n\t:-[]{}&*!|>'\"#%@,?.", max_size=400)


@pytest.fixture
def own_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # Random files register random "tokens" (a word like "users", say): keep them out of other tests.
    monkeypatch.setattr(redact_module, "_secrets", set(redact_module._secrets))
    monkeypatch.setattr(redact_module, "_stale", True)


def assert_result_or_placed_problems(path: Path) -> None:
    started = time.perf_counter()
    problems = check_config(path, env={})  # any exception fails the test
    assert time.perf_counter() - started < 1.0
    lines = path.read_text(encoding="utf-8").count("\n") + 1
    for problem in problems:
        assert problem.file == str(path) and problem.message.strip()
        assert problem.line is None or 1 <= problem.line <= lines + 1  # + 1: the end of the file
        assert str(problem).startswith(f"{path}:{problem.line}: " if problem.line else f"{path}: ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=st.dictionaries(st.sampled_from(WORDS), TREES, max_size=4))
def test_S3_random_yaml_trees_end_in_a_result_or_placed_problems(
    tmp_path: Path, own_secrets: None, tree: dict[str, object]
) -> None:
    assert_result_or_placed_problems(write(tmp_path, yaml.safe_dump(tree, allow_unicode=True)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAML_TEXT)
def test_S3_random_yaml_text_ends_in_a_result_or_placed_problems(
    tmp_path: Path, own_secrets: None, text: str
) -> None:
    assert_result_or_placed_problems(write(tmp_path, text))


def test_S3_nesting_deeper_than_the_bound_is_a_placed_problem(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 5
    path = write(tmp_path, "global:\n  sync: " + "[" * depth + "]" * depth + "\n" + USER)
    (problem,) = check_config(path, env={})
    assert problem.line == 2 and problem.key.startswith("global.sync[0]")
    assert f"more than {MAX_DEPTH} levels" in problem.message
