"""Configuration: every problem with its line and key, env overrides and aliases, secrets hidden (S1, S3)."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest

from bookrelay.config import Config, ConfigProblem, check_config, load_config
from bookrelay.errors import ConfigError

GOOD = """\
global:
  timezone: Europe/Berlin
  database: sqlite:///./data/bookrelay.db
  workers: 2
  jobs: {progress: true, wanted: true}
  sync: {min_progress: 0.05, finish_at: 0.95}
  bookshelf: {url: http://bookshelf:8787, api_key: bookshelf-key-1111, quality_profile: 1}
users:
  - id: alice
    timezone: America/New_York
    hardcover: {token: "Bearer hc-token-alice-2222"}
    audiobookshelf:
      url: http://abs:13378/
      api_key: abs-key-alice-3333
      libraries: {include: [Audiobooks], exclude: []}
    sync: {min_progress: 0.1}
"""


# A value of a Fernet key's shape (32 bytes, url-safe base64): any other is refused by the loader.
FERNET_SHAPED = base64.urlsafe_b64encode(b"fernet-ish-ffff6666-0123456789ab").decode()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def by_key(problems: list[ConfigProblem]) -> dict[str, ConfigProblem]:
    return {p.key: p for p in problems}


@pytest.fixture(autouse=True)
def _no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ./bookrelay.yaml is the default file: run from an empty folder so none is found by accident.
    monkeypatch.chdir(tmp_path)


def test_a_good_file_loads_with_its_values(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    alice = config.user("alice")
    assert alice.hardcover.token.get_secret_value() == "hc-token-alice-2222"
    assert alice.audiobookshelf is not None and alice.audiobookshelf.url == "http://abs:13378"
    assert config.global_.workers == 2 and config.global_.jobs.wanted is True
    assert config.effective_sync(alice).min_progress == 0.1
    assert config.effective_sync("alice").finish_at == 0.95
    assert config.timezone_for(alice).key == "America/New_York"
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'bookrelay.db'}"
    with pytest.raises(ConfigError, match="no user 'bob'"):
        config.user("bob")


def test_S3_every_problem_of_a_broken_file_has_its_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        global:
          timezone: Mars/Olympus_Mons
          workers: many
          colour: blue
          sync: {min_progress: 1.5, fuzzy_link_score: 0.5, fuzzy_conflict_score: 0.7}
          hardcover: {url: "ftp://api.hardcover.app"}
        users:
          - id: alice
            hardcover: {token: abc-token-4444}
            audiobookshelf:
              url: not a url
              username: alice
          - id: alice
            hardcover: {token: abc-token-5555}
            sync: {finish_at: 0.01}
          - id: carol
        """,
    )
    problems = check_config(path, env={})
    found = {(p.line, p.key) for p in problems}
    assert {
        (2, "global.timezone"),
        (3, "global.workers"),
        (4, "global.colour"),
        (5, "global.sync.min_progress"),
        (6, "global.hardcover.url"),
        (10, "users[0].audiobookshelf"),
        (11, "users[0].audiobookshelf.url"),
        (13, "users[1].id"),
        (15, "users[1].sync"),
        (16, "users[2].hardcover"),
    } <= found
    messages = by_key(problems)
    assert messages["global.colour"].message == "unknown key"
    assert "time zone" in messages["global.timezone"].message
    assert "duplicate user id" in messages["users[1].id"].message
    assert "api_key" in messages["users[0].audiobookshelf"].message
    assert "min_progress must be below finish_at" in messages["users[1].sync"].message
    assert messages["users[2].hardcover"].message == "is required"
    assert all(p.file == str(path) for p in problems)


def test_S3_cross_field_thresholds_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("finish_at: 0.95}", "finish_at: 0.95, fuzzy_conflict_score: 0.9}"))
    problems = check_config(path, env={})
    assert [(p.line, p.key) for p in problems] == [(6, "global.sync")]
    assert "fuzzy_conflict_score" in problems[0].message


def test_S3_yaml_syntax_errors_have_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "global:\n  workers: 2\nusers:\n  - id: [alice\n    hardcover: {}\n")
    problems = check_config(path, env={})
    assert len(problems) == 1
    assert problems[0].line is not None and problems[0].line >= 4
    assert "YAML syntax error" in problems[0].message


def test_S3_duplicate_keys_are_reported(tmp_path: Path) -> None:
    problems = check_config(
        write(tmp_path, "global:\n  workers: 2\n  workers: 3\n"), env={"HARDCOVER_TOKEN": "x" * 8}
    )
    assert [(p.line, p.key, p.message) for p in problems] == [(3, "global.workers", "duplicate key")]


def test_S3_load_config_raises_one_error_listing_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "global:\n  workers: 0\n  bogus: 1\nusers: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    text = str(caught.value)
    assert "3 problem(s)" in text
    assert f"{path}:2: global.workers" in text and f"{path}:3: global.bogus: unknown key" in text
    assert "no users" in text


def test_S1_secrets_never_appear_in_problem_messages(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        global:
          bookshelf: {api_key: [bookshelf-secret-aaaa1111]}
        users:
          - id: alice
            hardcover: {token: {value: "Bearer hc-secret-bbbb2222"}}
            audiobookshelf: {url: "http://abs", api_key: 987654321987, password: [abs-pass-cccc3333]}
          - id: bob
            hardcover: {token: 12345678901}
        """,
    )
    problems = check_config(path, env={"ABS_PASSWORD": "env-pass-dddd4444"})
    assert {"global.bookshelf.api_key", "users[0].hardcover.token", "users[1].hardcover.token"} <= {
        p.key for p in problems
    }
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    dumped = "\n".join(str(p) + repr(p) for p in problems) + str(caught.value)
    for secret in (
        "bookshelf-secret-aaaa1111",
        "hc-secret-bbbb2222",
        "987654321987",
        "abs-pass-cccc3333",
        "12345678901",
        "env-pass-dddd4444",
    ):
        assert secret not in dumped


def test_S1_secrets_never_in_str_repr_or_redacted_dict(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, GOOD),
        env={
            "DATABASE_URL": "postgresql://bookrelay:db-pass-eeee5555@127.0.0.1:5432/br",
            "BOOKRELAY_SECRET_KEY": FERNET_SHAPED,
        },
    )
    redacted = config.redacted_dict()
    shown = str(config) + repr(config) + json.dumps(redacted)
    for secret in (
        "hc-token-alice-2222",
        "abs-key-alice-3333",
        "bookshelf-key-1111",
        "db-pass-eeee5555",
        FERNET_SHAPED,
    ):
        assert secret not in shown
    assert redacted["users"][0]["hardcover"]["token"] == "***"
    assert redacted["global"]["bookshelf"]["api_key"] == "***"
    assert redacted["global"]["database"] == "postgresql+psycopg://bookrelay:***@127.0.0.1:5432/br"
    assert redacted["users"][0]["audiobookshelf"]["url"] == "http://abs:13378"
    assert config.database_url.endswith("db-pass-eeee5555@127.0.0.1:5432/br")  # the real one stays usable


@pytest.mark.parametrize(
    "raw", ["hc-plain-7777", "Bearer hc-plain-7777", "bearer   hc-plain-7777 ", "BEARER hc-plain-7777"]
)
def test_hardcover_token_is_stored_without_bearer(raw: str) -> None:
    config = load_config(None, env={"HARDCOVER_TOKEN": raw})
    assert config.user("default").hardcover.token.get_secret_value() == "hc-plain-7777"


def test_a_bearer_without_a_token_is_an_error() -> None:
    problems = check_config(None, env={"HARDCOVER_TOKEN": "Bearer "})
    assert [(p.key, p.file) for p in problems] == [("users[0].hardcover.token", "<environment>")]


@pytest.mark.parametrize("token_name", ["HARDCOVER_TOKEN", "HARDCOVER_API_KEY"])
@pytest.mark.parametrize("url_name", ["ABS_URL", "AUDIOBOOKSHELF_URL"])
@pytest.mark.parametrize("key_name", ["ABS_TOKEN", "AUDIOBOOKSHELF_API_KEY"])
def test_env_alone_configures_one_default_user(token_name: str, url_name: str, key_name: str) -> None:
    config = load_config(
        None, env={token_name: "tok-8888", url_name: "http://abs:13378", key_name: "key-9999"}
    )
    (user,) = config.users
    assert user.id == "default"
    assert user.hardcover.token.get_secret_value() == "tok-8888"
    assert user.audiobookshelf is not None
    assert (user.audiobookshelf.url, user.audiobookshelf.api_key) is not None
    assert user.audiobookshelf.url == "http://abs:13378"
    assert (
        user.audiobookshelf.api_key is not None
        and user.audiobookshelf.api_key.get_secret_value() == "key-9999"
    )


def test_env_username_and_password_instead_of_an_api_key() -> None:
    env = {
        "HARDCOVER_TOKEN": "tok-8888",
        "ABS_URL": "http://abs",
        "ABS_USERNAME": "ann",
        "ABS_PASSWORD": "pw-1234",
    }
    account = load_config(None, env=env).user("default").audiobookshelf
    assert account is not None and account.username == "ann"
    assert account.password is not None and account.password.get_secret_value() == "pw-1234"
    problems = check_config(None, env={k: v for k, v in env.items() if k != "ABS_PASSWORD"})
    assert [p.key for p in problems] == ["users[0].audiobookshelf"]
    assert "(from $ABS_URL)" in problems[0].message  # the variable that made the section
    assert (problems[0].file, problems[0].line) == ("<environment>", None)


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("DATABASE_URL", "postgresql://u@127.0.0.1:5432/db", lambda c: c.database_url),
        ("DATABASE_PATH", "/var/lib/bookrelay/x.db", lambda c: c.database_url),
        ("TIMEZONE", "Asia/Tokyo", lambda c: c.global_.timezone),
        ("BOOKSHELF_URL", "http://shelf:1", lambda c: c.global_.bookshelf.url),
        ("BOOKSHELF_API_KEY", "shelf-key-1", lambda c: c.global_.bookshelf.api_key.get_secret_value()),
        ("RREADING_GLASSES_URL", "http://rg:2", lambda c: c.global_.rreading_glasses.url),
        ("BOOKRELAY_SECRET_KEY", FERNET_SHAPED, lambda c: c.global_.secret_key.get_secret_value()),
    ],
)
def test_global_env_variables_override(tmp_path: Path, name: str, value: str, read: object) -> None:
    # TZ is not among them: the file's zone wins over it (tests/cli/test_start_right.py).
    config = load_config(write(tmp_path, GOOD), env={name: value})
    expected = {
        "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:5432/db",
        "DATABASE_PATH": "sqlite:////var/lib/bookrelay/x.db",
    }.get(name, value.removeprefix(":"))
    assert read(config) == expected  # type: ignore[operator]


def test_database_url_wins_over_database_path_and_timezone_over_tz() -> None:
    config = load_config(
        None,
        env={
            "HARDCOVER_TOKEN": "t" * 8,
            "DATABASE_PATH": "/tmp/a.db",
            "DATABASE_URL": "sqlite:////tmp/b.db",
            "TIMEZONE": "Europe/Paris",
            "TZ": "UTC",
        },
    )
    assert config.database_url == "sqlite:////tmp/b.db"
    assert config.global_.timezone == "Europe/Paris"


def test_env_overrides_the_single_user_of_the_file(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, GOOD),
        env={"HARDCOVER_API_KEY": "env-token-1", "ABS_URL": "http://other-abs:80", "TIMEZONE": "UTC"},
    )
    alice = config.user("alice")
    assert alice.hardcover.token.get_secret_value() == "env-token-1"
    assert alice.audiobookshelf is not None and alice.audiobookshelf.url == "http://other-abs:80"
    assert alice.audiobookshelf.api_key is not None  # not named by the environment: kept from the file
    assert alice.audiobookshelf.api_key.get_secret_value() == "abs-key-alice-3333"
    assert config.global_.timezone == "UTC" and alice.timezone == "America/New_York"


def test_env_user_variables_leave_several_users_alone(tmp_path: Path) -> None:
    # Bob has no source: progress follows the sources (unset), so it is not on for him.
    two = GOOD.replace("progress: true, ", "") + '  - id: bob\n    hardcover: {token: "bob-token-1"}\n'
    config = load_config(write(tmp_path, two), env={"HARDCOVER_TOKEN": "env-token-2"})
    assert [u.hardcover.token.get_secret_value() for u in config.users] == [
        "hc-token-alice-2222",
        "bob-token-1",
    ]


def test_a_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, GOOD), env={"ABS_URL": "abs:13378", "TIMEZONE": "Nowhere/Land"})
    assert {(p.key, p.file, p.line) for p in problems} == {
        ("users[0].audiobookshelf.url", "<environment>", None),
        ("global.timezone", "<environment>", None),
    }
    assert any("$ABS_URL" in p.message for p in problems)


def test_config_file_path_from_env_and_missing_files(tmp_path: Path) -> None:
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    path = write(elsewhere, GOOD)
    assert load_config(None, env={"BOOKRELAY_CONFIG": str(path)}).user("alice").id == "alice"
    missing = check_config(tmp_path / "nope.yaml", env={"HARDCOVER_TOKEN": "t" * 8})
    assert [p.key for p in missing] == [""] and "bookrelay init" in missing[0].message
    nothing = check_config(None, env={})
    assert [p.key for p in nothing] == ["users"]


def test_default_file_in_the_working_folder_is_used(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    assert isinstance(load_config(None, env={}), Config)
