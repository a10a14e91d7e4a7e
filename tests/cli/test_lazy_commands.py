"""The CLI loads a command's module only when that command runs: the table of commands, and what a
fresh ``bookrelay --help`` process imports."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

import typer

from bookrelay.cli.main import COMMANDS, load_command


def _first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


def test_every_command_in_the_table_loads_under_its_name_with_the_help_the_table_shows() -> None:
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert _first_paragraph(command.help).startswith(" ".join(entry.help.split())), name


def test_every_command_a_module_registers_is_in_the_table_under_that_module() -> None:
    for module_name in {entry.module for entry in COMMANDS.values()}:
        holder = typer.Typer()
        importlib.import_module(module_name).register(holder)
        registered = set(typer.main.get_group(holder).commands)
        assert registered, module_name
        for name in registered:
            assert name in COMMANDS, f"{module_name} registers {name!r}, missing from COMMANDS"
            assert COMMANDS[name].module == module_name


def _imported_by(*args: str) -> tuple[str, set[str]]:
    code = (
        "import json, sys\n"
        f"sys.argv = ['bookrelay', *{list(args)!r}]\n"
        "from bookrelay.cli.main import run\n"
        "try:\n    run()\n"
        "except SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *output, modules = done.stdout.strip().splitlines()
    return "\n".join(output), set(json.loads(modules))


def test_help_lists_every_command_without_importing_any_command_module_or_heavy_library() -> None:
    output, modules = _imported_by("--help")
    for name in COMMANDS:
        assert f"  {name} " in output, name
    loaded = {entry.module for entry in COMMANDS.values()} & modules
    assert not loaded
    heavy = {"sqlalchemy", "httpx", "pydantic", "rich.console", "bookrelay.app", "bookrelay.config"}
    assert not heavy & modules


def test_a_command_imports_its_own_module_and_not_the_others() -> None:
    _, modules = _imported_by("config", "--help")
    assert "bookrelay.cli.config" in modules
    others = {entry.module for entry in COMMANDS.values()} - {"bookrelay.cli.config"}
    assert not others & modules
