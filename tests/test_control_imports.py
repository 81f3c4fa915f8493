"""The control package's import graph: no cycles, and a client that loads no server code.

The CLI imports ``breakd.control.client`` for every command, so whatever it loads is
paid for by every ``breakd status``; the server modules (selectors loop, threads,
lock file) are the daemon's alone. The graph is read from the source with ``ast``
(every import, also those inside functions or under TYPE_CHECKING), so a cycle that
only a lazy import would close is caught too.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import breakd.control

PACKAGE = "breakd.control"
FOLDER = Path(breakd.control.__file__).parent
#: Modules only the daemon needs: never loaded by ``import breakd.control.client``.
SERVER_ONLY = {
    "breakd.control.dispatch",
    "breakd.control.server",
    "breakd.control.unix_server",
    "breakd.control.windows_server",
    "asyncio",
    "concurrent.futures",
    "queue",
    "socketserver",
}


def module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The modules of the package that ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from breakd.control import client` needs the module breakd.control.client;
                # `from breakd.control import request` needs the package's __init__.
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = sorted(FOLDER.glob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path, modules) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as the list of modules around it, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for imported in sorted(graph[module]):
            cycle = visit(imported)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert "breakd.control.dispatch" in graph["breakd.control.unix_server"]
    assert "breakd.control.windows" in graph["breakd.control.transport"]
    assert "breakd.control.server" in graph[PACKAGE]  # the lazy ControlServer counts too


def test_the_control_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_would_be_found() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_but_the_package_imports_the_package_itself() -> None:
    """``from breakd.control import X`` inside the package would tie it back to __init__."""
    importers = [module for module, imports in import_graph().items() if PACKAGE in imports]
    assert importers == []


def test_importing_the_client_loads_no_server_code() -> None:
    code = "import sys, json, breakd.control.client; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(output))
    assert "breakd.control.transport" in loaded
    assert loaded & SERVER_ONLY == set()


def test_the_server_is_still_where_callers_find_it() -> None:
    from breakd.control import ControlServer, server
    from breakd.control.dispatch import ServerBase

    assert ControlServer is server.ControlServer
    assert issubclass(ControlServer, ServerBase)
