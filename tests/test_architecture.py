"""The shape of the package: no import cycles, and a command line that loads no daemon.

Imports are read with ``ast``, not by importing, so every platform's modules are
checked on any machine. Only imports made when a module is loaded count towards a
cycle: an import inside a function runs later, on demand, and is the sanctioned way
to use a module that would otherwise close a loop.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from abc import ABC
from collections.abc import Iterator
from pathlib import Path

import breakd

PACKAGE_ROOT = Path(breakd.__file__).parent

#: Cycles that exist in code being reworked elsewhere, each as its modules in sorted
#: order; they are tolerated here until that work lands. Empty this on merge: any cycle
#: found then, or any new one now, fails the test.
KNOWN_CYCLES: frozenset[tuple[str, ...]] = frozenset()

#: What the command line must never load: the daemon and everything that only it needs.
DAEMON_ONLY = ("breakd.daemon", "breakd.engine", "breakd.tray", "breakd.notify")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _load_time_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """The nodes that run when the module is imported: all but function bodies.

    Class bodies run at import; ``if TYPE_CHECKING:`` blocks never run at all.
    """
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(name: str, path: Path, known: set[str], *, load_time: bool) -> set[str]:
    """The breakd modules ``name`` imports (only at load time, or anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    nodes = _load_time_nodes(tree) if load_time else ast.walk(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from breakd.cli import control" imports the module breakd.cli.control; the
            # package itself counts only when a name defined in it is imported.
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            targets = [m for m in submodules if m in known]
            if len(targets) < len(submodules):
                targets.append(base)
        else:
            continue
        # A submodule needs its package to have started loading, which it always has by
        # then; that is no edge, or every package would be a cycle with its modules.
        found.update(target for target in targets if target in known and target != name)
    return found


def import_graph(*, load_time: bool) -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {
        name: imported_modules(name, path, known, load_time=load_time)
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Each strongly connected group of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(tuple(sorted(group)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def a_loop(graph: dict[str, set[str]], group: tuple[str, ...]) -> list[str]:
    """One concrete loop through ``group``, to name in a failure: a -> b -> a."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                frontier.append(target)
    return list(group)


def test_the_graph_sees_imports_of_every_kind() -> None:
    graph = import_graph(load_time=True)
    everywhere = import_graph(load_time=False)
    assert "breakd.config" in graph["breakd.commands"]
    # `breakd config` loads the settings only when it runs, not when the parser is built.
    assert "breakd.config" not in graph["breakd.cli.config"]
    assert "breakd.config" in everywhere["breakd.cli.config"]
    assert "breakd.cli.control" in graph["breakd.cli"]  # from breakd.cli import control
    assert "breakd.engine" in graph["breakd.daemon"]
    # The CLI reaches the daemon only from inside ``breakd run``, not when it is loaded.
    assert "breakd.app" not in graph["breakd.cli"]
    assert "breakd.app" in everywhere["breakd.cli"]


def test_no_module_imports_itself_back_when_loaded() -> None:
    graph = import_graph(load_time=True)
    found = cycles(graph)
    unexpected = [group for group in found if group not in KNOWN_CYCLES]
    assert not unexpected, "import cycles (import inside a function to break one):\n" + "\n".join(
        " -> ".join(a_loop(graph, group)) for group in unexpected
    )
    gone = KNOWN_CYCLES - set(found)
    assert not gone, f"no longer cycles, remove them from KNOWN_CYCLES: {sorted(gone)}"


def test_a_cycle_would_be_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [("a", "b", "c")]
    assert a_loop(graph, ("a", "b", "c")) == ["a", "b", "c", "a"]


def _loaded_by(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.split()


def _daemon_only(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == d or m.startswith(d + ".") for d in DAEMON_ONLY)]


def test_importing_the_command_line_loads_no_daemon_code() -> None:
    loaded = _loaded_by("import breakd.cli")
    assert "breakd.cli.control" in loaded
    assert _daemon_only(loaded) == []


def test_building_every_command_loads_no_daemon_code() -> None:
    """``breakd status`` and the like start quickly and work where the daemon cannot."""
    loaded = _loaded_by("import breakd.cli; breakd.cli.build_parser()")
    assert _daemon_only(loaded) == []


# --- one way to declare an interface and to choose a backend ------------------------


def test_every_adapter_interface_is_an_abstract_class() -> None:
    from breakd.activity.base import IdleMonitor
    from breakd.autostart.base import AutostartBackend
    from breakd.coach.base import BreakEvents, BreakRunner
    from breakd.notify.base import Notifier

    for interface in (IdleMonitor, Notifier, BreakRunner, BreakEvents, AutostartBackend):
        assert issubclass(interface, ABC), interface
        assert interface.__abstractmethods__, interface
        assert "Threading contract" in (sys.modules[interface.__module__].__doc__ or ""), interface


def _choices(key: str) -> tuple[str, ...]:
    from breakd.config import ChoiceKind, find_spec

    kind = find_spec(key).kind
    assert isinstance(kind, ChoiceKind)
    return kind.choices


def test_each_backend_setting_offers_exactly_the_registered_backends() -> None:
    """A backend added to a registry can be chosen in the settings, and no setting names
    a backend that is not there; "auto" leaves the choice to breakd."""
    from breakd.activity import select as activity
    from breakd.notify import select as notify

    assert _choices("activity.idle_source") == ("auto", *activity.BACKENDS)
    assert _choices("activity.idle_source") == activity.CHOICES
    assert _choices("notifications.backend") == ("auto", *notify.BACKENDS)
    assert _choices("notifications.backend") == notify.CHOICES


def test_the_settings_window_loads_no_daemon_code() -> None:
    """It is a process of its own, started by the tray: it needs the schema, not the daemon."""
    loaded = _loaded_by("import breakd.tray.settings_window")
    assert [m for m in loaded if m in ("breakd.daemon", "breakd.engine", "breakd.commands")] == []
