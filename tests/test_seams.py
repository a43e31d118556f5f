"""The seams of handlers/ (issue 22): the surfaces add to each other only through handlers/points.py, so
they import each other without a cycle, inside functions too; and no function grows past 60 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOST_LINES = 60
# Functions over the limit that are still to be cut down (none now; the list may only shrink).
STILL_LONG: set[str] = set()


def _runtime_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    """Every `from handlers... import` in a module, in functions too; those under `if TYPE_CHECKING:` are
    type hints, not imports at run time, and are left out."""
    hidden = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
              and getattr(block.test, "id", None) == "TYPE_CHECKING" for node in ast.walk(block)}
    return [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and id(node) not in hidden
            and node.module and node.module.split(".")[0] == "handlers"]


def handler_graph() -> dict[str, set[str]]:
    """Which modules of handlers/ each one imports."""
    modules = {p.stem for p in (ROOT / "handlers").glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path in (ROOT / "handlers").glob("*.py"):
        for node in _runtime_imports(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if node.module == "handlers" else [node.module.split(".")[1]]
            graph[path.stem] |= {n for n in names if n in modules and n != path.stem}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for after in sorted(graph[node]):
            if state.get(after) == 1:
                return path[path.index(after):] + [after]
            if after not in state and (found := visit(after)):
                return found
        state[node] = 2
        path.pop()
        return None

    return next((found for node in sorted(graph) if node not in state and (found := visit(node))), None)


def test_the_surfaces_import_each_other_without_a_cycle():
    assert cycle(handler_graph()) is None, cycle(handler_graph())


def test_a_cycle_is_found_when_there_is_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_surface_imports_home_to_add_itself():
    graph = handler_graph()
    assert {m for m, imported in graph.items() if "home" in imported} <= {"__init__"}


def test_no_new_function_over_60_lines():
    long = set()
    for folder in ("handlers", "outreach"):
        for path in (ROOT / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                        and node.end_lineno - node.lineno + 1 > MOST_LINES:
                    long.add(f"{folder}/{path.name}:{node.name}")
    assert long - STILL_LONG == set(), "cut these down to 60 lines or fewer"
    assert STILL_LONG - long == set(), "no longer long: take them off STILL_LONG"


def test_no_surface_hides_the_ids_module_behind_a_local_name():
    """A local `ids` in a module that imports handlers/ids.py would make `ids.X` fail only when that code runs."""
    for path in (ROOT / "handlers").glob("*.py"):
        tree = ast.parse(path.read_text())
        if not any(isinstance(n, ast.ImportFrom) and n.module == "handlers" and any(a.name == "ids" for a in n.names)
                   for n in tree.body):
            continue
        bound = [n.lineno for n in ast.walk(tree) if (isinstance(n, ast.Name) and n.id == "ids"
                                                      and isinstance(n.ctx, ast.Store))
                 or (isinstance(n, ast.arg) and n.arg == "ids")]
        assert not bound, f"{path.name}: `ids` bound at lines {bound}"
