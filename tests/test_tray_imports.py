"""The tray package and the engine import without cycles.

Walks the ``import`` statements of ``breakd/tray/`` and ``breakd/engine.py`` (and of
every breakd module they reach) with ``ast``, without importing anything, and fails on
a cycle among them. Imports under ``if TYPE_CHECKING:`` count too: a cycle that only
the type checker sees is still one reader has to untangle. Imports inside functions
are left out: they are how a module reaches an optional dependency late.
"""

from __future__ import annotations

import ast
from pathlib import Path

import breakd

PACKAGE = Path(breakd.__file__).parent


def module_path(name: str) -> Path | None:
    """The file of breakd module ``name`` ("breakd.tray.sni"), or None if not breakd's."""
    parts = name.split(".")
    if parts[0] != "breakd":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_imports(name: str) -> set[str]:
    """The breakd modules ``name`` imports at module level."""
    path = module_path(name)
    assert path is not None, name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _module_level(tree.body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # "from breakd.tray import sni" imports a module; "from x import name" a name.
            targets = [f"{source}.{alias.name}" for alias in node.names] + [source]
        else:
            continue
        found.update(t for t in targets if module_path(t) is not None)
    found.discard(name)
    return found


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements run on import: the body, and the bodies of its ifs and trys."""
    statements: list[ast.stmt] = []
    for node in body:
        statements.append(node)
        if isinstance(node, ast.If):
            statements += _module_level(node.body) + _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            statements += _module_level(node.body) + _module_level(node.orelse)
            for handler in node.handlers:
                statements += _module_level(handler.body)
    return statements


def import_graph(roots: list[str]) -> dict[str, set[str]]:
    """Every breakd module reachable from ``roots``, with the breakd modules it imports."""
    graph: dict[str, set[str]] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in graph:
            graph[name] = module_imports(name)
            pending += graph[name]
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph``, as the modules along it (first one repeated), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        path.append(name)
        for target in sorted(graph.get(name, ())):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(name)
        return None

    for root in sorted(graph):
        if cycle := visit(root):
            return cycle
    return None


def tray_modules() -> list[str]:
    return sorted(f"breakd.tray.{path.stem}" for path in (PACKAGE / "tray").glob("*.py"))


def test_the_tray_and_the_engine_import_without_cycles() -> None:
    cycle = cycle_in(import_graph(["breakd.engine", *tray_modules()]))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_engine_imports_nothing_of_the_edges() -> None:
    """The pure core reaches only the clock, the settings and the state words (no I/O)."""
    assert module_imports("breakd.engine") <= {"breakd.clock", "breakd.config", "breakd.state"}


def test_the_status_notifier_item_stands_alone() -> None:
    """breakd's own tray backend needs neither pystray nor breakd's pystray subclasses."""
    text = (PACKAGE / "tray" / "sni.py").read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not {name for name in imported if name.split(".")[0] == "pystray"}
    assert "breakd.tray.pystray_tray" not in imported
    assert '"pystray' not in text  # nor through importlib


def test_the_walk_finds_a_cycle() -> None:
    """The check itself: two modules importing each other, as sni and pystray_tray did."""
    graph = {"tray.pystray_tray": {"tray.sni"}, "tray.sni": {"tray.pystray_tray"}, "x": set()}
    assert cycle_in(graph) == ["tray.pystray_tray", "tray.sni", "tray.pystray_tray"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None
