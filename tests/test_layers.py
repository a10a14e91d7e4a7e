"""The layers of docs/architecture.md, read off the source: every import of bookrelay points down or
sideways, the front ends reach the rest through ``bookrelay.app`` only, and the sandbox imports nothing of
the product. A new arrow against the layers fails here, naming the file and the import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bookrelay"

# The matching package has a pure half (beside domain/) and a pipeline half (beside the jobs).
PURE_MATCHING = {"outcome", "score", "titles", "authors", "editions", "text"}

# Lower ranks may be imported by higher ones and by their own rank, never the other way.
RANKS: dict[str, int] = {
    "errors": 0,
    "redact": 0,
    "http_defaults": 0,
    "schedule": 0,
    "__init__": 0,
    "domain": 1,
    "matching:pure": 1,
    "config": 2,
    "store": 3,
    "connectors": 3,
    "matching": 4,
    "sync": 5,
    "service": 6,
    "queue": 7,
    "app": 8,
    "web": 9,
    "cli": 9,
    "demo": 9,
    "healthcheck": 9,
    "__main__": 10,
}
# The arrows up that the design wants, each with its reason.
ALLOWED_UP = {
    ("bookrelay.app.serving", "web"): "serve builds the web front end it serves",
}
# What a front end may import of the layers below the root: settings, words and the pure layer.
FRONT_ENDS = {"cli", "web"}
FRONT_END_MAY_SKIP_TO = {
    "errors",
    "redact",
    "http_defaults",
    "__init__",
    "domain",
    "config",
    "demo",
    "sandbox",
}
# The web layer holds the store handle it passes to app's functions (never a row of it).
FRONT_END_MAY_IMPORT = {"bookrelay.store.facade"}


def layer_of(module: str) -> str | None:
    """The layer of ``bookrelay.X.Y``: the package X (or the top-level module X); None for the sandbox."""
    parts = module.split(".")
    if parts[0] != "bookrelay":
        raise ValueError(module)
    top = parts[1] if len(parts) > 1 else "__init__"
    if top == "sandbox":
        return None
    if top == "matching" and len(parts) > 2 and parts[2] in PURE_MATCHING:
        return "matching:pure"
    return top


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` for every ``bookrelay`` import of the file, type-checking ones included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bookrelay"):
            package = PACKAGE.parent.joinpath(*node.module.split("."))
            if package.is_dir():  # `from bookrelay.x import y`: y may be a submodule or a name of x
                for alias in node.names:
                    submodule = (package / f"{alias.name}.py").exists() or (package / alias.name).is_dir()
                    found.append((node.lineno, f"{node.module}.{alias.name}" if submodule else node.module))
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("bookrelay"))
    return found


def product_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "sandbox" not in p.relative_to(PACKAGE).parts)


def rank(layer: str) -> int:
    assert layer in RANKS, f"{layer}: a package docs/architecture.md does not place; add it to RANKS"
    return RANKS[layer]


def test_every_import_points_down_or_sideways() -> None:
    against: list[str] = []
    for path in product_files():
        here = layer_of(module_name(path))
        assert here is not None
        for line, target in imports_of(path):
            there = layer_of(target)
            if there is None:
                continue  # the sandbox command serves the fakes; checked below that they import nothing back
            if rank(there) > rank(here) and (module_name(path), there) not in ALLOWED_UP:
                against.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line} ({here}) imports {target} ({there})"
                )
    assert against == []


def test_front_ends_reach_the_jobs_stores_and_services_through_app_only() -> None:
    skipped: list[str] = []
    for path in product_files():
        here = layer_of(module_name(path))
        if here not in FRONT_ENDS:
            continue
        for line, target in imports_of(path):
            there = layer_of(target) or "sandbox"
            allowed = FRONT_ENDS | {"app"} | FRONT_END_MAY_SKIP_TO
            if there not in allowed and target not in FRONT_END_MAY_IMPORT:
                skipped.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert skipped == []


def test_the_sandbox_imports_nothing_of_the_product() -> None:
    leaks = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for path in sorted((PACKAGE / "sandbox").rglob("*.py"))
        for line, target in imports_of(path)
        if not target.startswith("bookrelay.sandbox")
    ]
    assert leaks == []


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("bookrelay.matching.titles", "matching:pure"),
        ("bookrelay.matching.pipeline", "matching"),
        ("bookrelay.app.clients", "app"),
        ("bookrelay.errors", "errors"),
        ("bookrelay", "__init__"),
    ],
)
def test_layer_of_reads_the_package(module: str, layer: str) -> None:
    assert layer_of(module) == layer
