"""The package's import graph, read from the source (ast): no cycle, and services/ reach
no Flask request context, not even through a module they import."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "comments_service"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE
REQUEST_CONTEXT = {"request", "current_app", "g", "session"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    }


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _run_time_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that runs (at module level or in a function), not those
    under ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _edges(module: str, path: Path) -> tuple[set[str], set[str]]:
    """(package modules `module` imports, names it takes from flask's request context)."""
    tree = ast.parse(path.read_text(), str(path))
    targets: set[str] = set()
    flask_names: set[str] = set()
    for node in _run_time_imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    targets.add(alias.name)
                if alias.name == "flask":
                    flask_names |= {attr.attr for attr in ast.walk(tree)
                                    if isinstance(attr, ast.Attribute)
                                    and isinstance(attr.value, ast.Name)
                                    and attr.value.id == (alias.asname or "flask")
                                    and attr.attr in REQUEST_CONTEXT}
            continue
        source = _resolve(module, path.name == "__init__.py", node)
        if source == "flask" or source.startswith("flask."):
            flask_names |= {alias.name for alias in node.names} & REQUEST_CONTEXT
        if source not in MODULES:
            continue
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            targets.add(submodule if submodule in MODULES else source)
    targets.discard(module)
    return targets, flask_names


GRAPH: dict[str, set[str]] = {}
REQUEST_USERS: dict[str, set[str]] = {}
for _name, _path in MODULES.items():
    GRAPH[_name], _used = _edges(_name, _path)
    if _used:
        REQUEST_USERS[_name] = _used


def _registers_own_submodule(source: str, target: str) -> bool:
    """A package importing its own view modules (the blueprint idiom) is not a cycle."""
    return MODULES[source].name == "__init__.py" and target.startswith(source + ".")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
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
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _graph_without_blueprint_registration() -> dict[str, set[str]]:
    return {
        source: {target for target in targets if not _registers_own_submodule(source, target)}
        for source, targets in GRAPH.items()
    }


def reachable_from(start: str) -> dict[str, list[str]]:
    """Each module `start` imports, directly or not, with one import chain leading to it."""
    chains = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop()
        for target in sorted(GRAPH[node]):
            if target not in chains:
                chains[target] = [*chains[node], target]
                todo.append(target)
    return chains


def test_the_package_has_no_import_cycle() -> None:
    assert find_cycles(_graph_without_blueprint_registration()) == []


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function() -> None:
    tree = ast.parse("def f():\n    from comments_service import config\n")
    assert [node.names[0].name for node in _run_time_imports(tree)] == ["config"]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_config_and_extensions_import_nothing_from_the_package() -> None:
    """config/ (its sections and its loader) imports only itself; extensions.py nothing."""
    config = f"{PACKAGE}.config"
    for module in MODULES:
        if module == config or module.startswith(config + "."):
            outside = {t for t in GRAPH[module] if t != config and not t.startswith(config + ".")}
            assert outside == set(), module
    assert GRAPH[f"{PACKAGE}.extensions"] == set()


def test_nothing_under_services_reaches_flasks_request_context() -> None:
    found = {}
    for module in MODULES:
        if not module.startswith(f"{PACKAGE}.services"):
            continue
        for reached, chain in reachable_from(module).items():
            if reached in REQUEST_USERS:
                found[" -> ".join(chain)] = sorted(REQUEST_USERS[reached])
    assert found == {}


def test_the_request_context_finder_sees_flask_request_through_a_module() -> None:
    assert REQUEST_USERS[f"{PACKAGE}.api.context"] >= {"request", "current_app", "g"}
