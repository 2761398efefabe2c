"""House limits, read from the source (ast): no function over 80 lines, no Python file over
500 lines in comments_service/ (migrations aside)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "comments_service"
MAX_FUNCTION_LINES = 80
MAX_FILE_LINES = 500


def _sources() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py")
                  if "migrations" not in path.relative_to(ROOT).parts)


def long_functions(source: str, name: str) -> list[str]:
    """Each function (or method) longer than the limit, decorators and docstring included."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_over_80_lines() -> None:
    found = []
    for path in _sources():
        found += long_functions(path.read_text(), str(path.relative_to(ROOT.parent)))
    assert found == []


def test_the_function_check_counts_a_long_function() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}", "m.py") == ["m.py:1 f (81 lines)"]
    assert long_functions(f"def f():\n{body[: -len('    x79 = 79')-1]}", "m.py") == []


def test_no_python_file_is_over_500_lines() -> None:
    found = {}
    for path in _sources():
        lines = len(path.read_text().splitlines())
        if lines > MAX_FILE_LINES:
            found[str(path.relative_to(ROOT.parent))] = lines
    assert found == {}
