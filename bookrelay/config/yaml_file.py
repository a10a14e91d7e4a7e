"""The configuration file as written: read within its bounds, composed by YAML and walked into plain
data that remembers the line of every key, and the problem type every check reports with.

The YAML is composed into nodes (not loaded straight to data) so that each key keeps the line it was
written on; the walk counts what aliases repeat and how deep the nesting goes, so that a hostile file
is refused in well under a second instead of being expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENT = "<environment>"

Key = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with the configuration; ``line`` is 1-based, ``None`` for env values."""

    file: str | None
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        place = self.file or ENVIRONMENT
        if self.line is not None:
            place = f"{place}:{self.line}"
        return f"{place}: {self.key or '(top level)'}: {self.message}"


@dataclass
class Source:
    """The raw data plus where each key came from: the line in the file, or the environment variable."""

    file: str | None
    data: dict[str, Any]
    lines: dict[Key, int]
    env_names: dict[Key, str]


# Bounds on the file itself (README, "Configuration reference"): an install with 10,000 users writes
# about 1.2 MB, and aliases in a hand-written file repeat a handful of values, never thousands.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ALIAS_EXPANSION = 10_000
MAX_DEPTH = 32  # the deepest real key is 5 levels down; deeper nesting is refused before recursion is
# libyaml, when PyYAML was built with it, composes about ten times faster than the pure-Python parser.
_YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Expansion:
    """Counts the values that aliases repeat while the composed nodes are walked into data.

    Composing keeps an alias as a second reference to its anchor's node, so a "billion laughs" document
    composes small; only walking it expands it. Every visit of a node seen before, and of everything
    below it, is a repeat, and the walk stops at the first one past the bound, naming its line."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[int] = set()
        self.repeated = 0
        self.entry: Key = ()
        self.path: set[int] = set()  # the mappings and lists being walked, outermost first

    def visit(self, node: yaml.Node, key: Key, inside_alias: bool) -> bool:
        """Count ``node``; whether it is reached through an alias. Raises _TooLarge past the bound."""
        first = id(node) not in self.seen
        self.seen.add(id(node))
        if not inside_alias and not first:
            self.entry = key  # where the alias is used: what the message names
        repeat = inside_alias or not first
        if repeat:
            self.repeated += 1
            if self.repeated > self.limit:
                raise _TooLarge(
                    self.entry,
                    f"YAML aliases here repeat more than {self.limit:,} values in all (an alias bomb?): "
                    "write the values out instead",
                )
        return repeat

    def enter(self, node: yaml.Node, key: Key) -> None:
        """Step into a mapping or list; a node inside itself (``&a [*a]``) or too deep is refused."""
        if id(node) in self.path:
            raise _TooLarge(key, "an alias here refers to a value that contains it")
        if len(self.path) >= MAX_DEPTH:
            raise _TooLarge(key, f"nested more than {MAX_DEPTH} levels deep")
        self.path.add(id(node))


class _TooLarge(Exception):
    def __init__(self, key: Key, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def read_config_text(target: Path, file_name: str) -> tuple[str | None, list[ConfigProblem]]:
    """The file's text, or the problem that stops it being read (unreadable, not UTF-8, too large)."""
    try:
        size = target.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = f"{MAX_FILE_BYTES // (1024 * 1024)} MiB"
            return None, [
                ConfigProblem(file_name, None, "", f"is {size:,} bytes, more than the {limit} allowed")
            ]
        return target.read_text(encoding="utf-8"), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ConfigProblem(file_name, None, "", f"cannot be read: {exc.__class__.__name__}")]


def parse_yaml(text: str, file_name: str) -> tuple[Source | None, list[ConfigProblem]]:
    """The file's data with the line of every key, or the problems that stop it being read; aliases,
    nesting and keys are checked while the composed nodes are walked."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        source = Source(file_name, {}, {}, {})
        problems: list[ConfigProblem] = []
        if node is None:
            return source, []
        data = _construct(loader, node, (), source, problems, _Expansion(MAX_ALIAS_EXPANSION))
    except _TooLarge as exc:
        # The line of the key the alias stands under (a node's own mark is its anchor's line).
        named = next((exc.key[:n] for n in range(len(exc.key), 0, -1) if isinstance(exc.key[n - 1], str)), ())
        return None, [ConfigProblem(file_name, source.lines.get(named), dotted(exc.key), exc.message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}"
        return None, [ConfigProblem(file_name, line, "", message)]
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        # The C parser raises plain errors for some broken input (a NUL byte, say); deep nesting
        # beyond Python's own stack ends here too.
        return None, [ConfigProblem(file_name, None, "", f"YAML error: {exc.__class__.__name__}")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        return None, [ConfigProblem(file_name, node.start_mark.line + 1, "", "the file must be a mapping")]
    source.data = data
    return source, problems


def _construct(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    key: Key,
    source: Source,
    problems: list[ConfigProblem],
    expansion: _Expansion,
    inside_alias: bool = False,
) -> Any:
    inside_alias = expansion.visit(node, key, inside_alias)
    source.lines.setdefault(key, node.start_mark.line + 1)
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return loader.construct_object(node, deep=True)
    expansion.enter(node, key)
    if isinstance(node, yaml.SequenceNode):
        items = [
            _construct(loader, item, (*key, i), source, problems, expansion, inside_alias)
            for i, item in enumerate(node.value)
        ]
        expansion.path.discard(id(node))
        return items
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        name = loader.construct_object(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(name, str):
            problems.append(ConfigProblem(source.file, line, dotted(key), "keys must be text"))
            continue
        if name in result:
            problems.append(ConfigProblem(source.file, line, dotted((*key, name)), "duplicate key"))
            continue
        source.lines[(*key, name)] = line
        result[name] = _construct(loader, value_node, (*key, name), source, problems, expansion, inside_alias)
    expansion.path.discard(id(node))
    return result


def dotted(key: Key) -> str:
    """A key as written in messages: ``users[0].hardcover.token``."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
