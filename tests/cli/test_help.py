"""Help a person can use: an example on every command, --user described the same way everywhere,
no type noise beside flags that take no value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from bookrelay.cli.main import app

runner = CliRunner()


def _commands() -> Iterator[tuple[list[str], Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        if command.callback is not None and path:
            yield path, command
        if not hasattr(command, "list_commands"):
            return
        ctx = typer.Context(command)  # the top group loads each command from its table when asked
        for name in sorted(command.list_commands(ctx)):
            yield from walk(command.get_command(ctx, name), [*path, name])

    return walk(get_command(app), [])


COMMANDS = list(_commands())


def _help(path: list[str]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_finds_the_commands() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"sync", "init", "conflicts resolve", "wanted", "sandbox serve", "shelf import"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_an_example_of_itself_and_no_bool_noise(path: list[str]) -> None:
    text = _help(path)
    assert f"Example: bookrelay {' '.join(path)}" in " ".join(text.split())
    assert "<bool>" not in text and "BOOLEAN" not in text


def test_user_means_the_same_everywhere() -> None:
    helps: dict[str, set[str]] = {}
    for path, command in COMMANDS:
        for param in command.params:
            if "--user" in getattr(param, "opts", []):
                assert param.metavar == "ID", path
                helps.setdefault(param.help, set()).add(" ".join(path))
    assert len(helps) == 2, helps  # one user (the only one by default) or a filter (everyone by default)
    for text in helps:
        assert "an id from the config file's users: list" in text
    one, every = sorted(helps, key=lambda text: "every user" in text)
    assert "the only user" in one and {"link", "mark-read"} <= helps[one]
    # sync covers every user unless --user names one (seed 001's "sync all users (default)")
    assert "every user" in every and {"sync", "doctor", "conflicts list"} <= helps[every]
