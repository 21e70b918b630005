"""The import layering of docs/DESIGN: each layer imports only what is below it.

Every module under src/faceprint is parsed with ``ast`` (nothing is imported), and every import in it,
at the top, inside functions or under ``TYPE_CHECKING``, is checked against the rules below.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "faceprint"

#: layer -> the faceprint packages / modules it must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "engine": ("api", "storage", "client", "cli", "service"),
    "storage": ("api", "engine", "client", "cli"),
    "client": ("api", "storage", "engine", "service", "cli"),
    "api": ("cli",),
    # the guide's vocabulary: everything stands on it, it stands on nothing
    "vocabulary": ("api", "storage", "engine", "client", "cli", "service", "errors", "settings"),
    # pure numerics over descriptors: no HTTP, no storage, no models
    "identity": ("api", "storage", "engine", "client", "cli", "service", "settings"),
}


def _module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, src: Path = SRC) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved; for
    ``from faceprint import x`` the module is ``faceprint.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path, src)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - (node.level - 1)], *([node.module] if node.module else [])])
            if base == "faceprint":
                for alias in node.names:
                    yield node.lineno, f"faceprint.{alias.name}"
            else:
                yield node.lineno, base


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "faceprint" else None


def violations(src: Path = SRC) -> list[str]:
    """One line per import under ``src/faceprint`` that breaks a rule of :data:`FORBIDDEN`:
    ``module (file:line) imports target: layer/ must not import faceprint.x``."""
    found: list[str] = []
    for path in sorted((src / "faceprint").rglob("*.py")):
        module = _module_name(path, src)
        layer = _layer_of(module)
        if layer not in FORBIDDEN:
            continue
        for line, target in imported_modules(path, src):
            target_layer = _layer_of(target)
            if target_layer in FORBIDDEN[layer]:
                found.append(f"{module} ({path.relative_to(src).as_posix()}:{line}) imports {target}: "
                             f"{layer}/ must not import faceprint.{target_layer}")
    return found


def test_layers_import_only_what_is_below_them() -> None:
    bad = violations()
    assert not bad, "import layering broken:\n" + "\n".join(bad)


def test_the_rules_see_every_kind_of_import(tmp_path: Path) -> None:
    """The checker itself: absolute, relative, from-package and function-level imports are all caught."""
    engine = tmp_path / "faceprint" / "engine"
    engine.mkdir(parents=True)
    (engine / "bad.py").write_text(
        "import faceprint.api.app\n"
        "from ..storage import base\n"
        "from faceprint import cli, errors\n"
        "def f() -> None:\n"
        "    from faceprint.service import FaceService\n"
        "from faceprint.errors import NoFace\n"
        "from . import types\n"
    )
    bad = violations(tmp_path)
    assert [b.split(" imports ")[1].split(":")[0] for b in bad] == [
        "faceprint.api.app", "faceprint.storage", "faceprint.cli", "faceprint.service",
    ]
    assert bad[0] == ("faceprint.engine.bad (faceprint/engine/bad.py:1) imports faceprint.api.app: "
                      "engine/ must not import faceprint.api")


def _cli_import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """cli module -> the cli modules it imports, anywhere in it (a cycle through a function-level import is
    still a cycle: it only works because of the order the modules happen to load in)."""
    cli = src / "faceprint" / "cli"
    modules = {_module_name(p, src) for p in cli.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in cli.glob("*.py"):
        module = _module_name(path, src)
        targets: set[str] = set()
        for _, target in imported_modules(path, src):
            targets.add(target)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # ``from faceprint.cli import _cmd_db`` names a module
            if isinstance(node, ast.ImportFrom) and node.module == "faceprint.cli":
                targets.update(f"faceprint.cli.{a.name}" for a in node.names)
        graph[module] = (targets & modules) - {module}
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its modules in order, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node):], node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt, [*stack, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_cli_modules_import_each_other_without_a_cycle() -> None:
    cycle = import_cycle(_cli_import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_sees_a_function_level_import(tmp_path: Path) -> None:
    """The shape the CLI had: the wiring imports a command module inside a function, the command module
    imports the wiring's helpers at its top."""
    cli = tmp_path / "faceprint" / "cli"
    cli.mkdir(parents=True)
    (cli / "commands.py").write_text("def register() -> None:\n    from faceprint.cli import _cmd_db\n")
    (cli / "_cmd_db.py").write_text("from faceprint.cli.commands import with_client\n")
    assert import_cycle(_cli_import_graph(tmp_path)) == [
        "faceprint.cli._cmd_db", "faceprint.cli.commands", "faceprint.cli._cmd_db",
    ]
