"""Structure gate for the first-party apps: no module import cycle, no function over
MAX_FUNCTION_LINES lines, no file over MAX_FILE_LINES lines.

It reads the source with ``ast`` only (nothing is imported), so it runs without Django settings:

    python scripts/check_structure.py          # exit 1 and a list of problems, or exit 0

The import graph counts every ``import``/``from … import`` of a first-party module, at module level and
inside functions alike, except those under ``if TYPE_CHECKING:``. A lazy import therefore does not hide a
cycle from this check: a cycle is a cycle whether the import runs at load time or later.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("auditreg", "findings", "systems", "budgets", "imports", "jobs")
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

# Known problems outside the code this check was written with (imports/, findings/bundle/), each left to the
# branch that owns the module; a problem is reported unless it starts with one of these. Remove a line once
# it is fixed: the list may only shrink.
KNOWN: tuple[str, ...] = ()  # empty: every problem it once listed is fixed


def app_files(root: Path = ROOT) -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                files.append(path)
    return files


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every absolute module name that ``module`` imports (candidates; resolved against known modules later)."""
    names: set[str] = set()
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skip.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    trees = {}
    for path in app_files(root):
        trees[module_name(path, root)] = (ast.parse(path.read_text(encoding="utf-8")), path.name == "__init__.py")
    known = set(trees)
    graph: dict[str, set[str]] = {}
    for module, (tree, is_package) in trees.items():
        edges = set()
        for name in _imported_names(tree, module, is_package):
            # "from a.b import c" names a.b.c: the module if it is one, else a.b
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                edges.add(name)
        graph[module] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def long_functions(root: Path = ROOT, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    found = []
    for path in app_files(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} has {length} lines")
    return found


def long_files(root: Path = ROOT, limit: int = MAX_FILE_LINES) -> list[str]:
    found = []
    for path in app_files(root):
        length = len(path.read_text(encoding="utf-8").splitlines())
        if length > limit:
            found.append(f"{path.relative_to(root)} has {length} lines")
    return found


def problems(root: Path = ROOT, known: tuple[str, ...] = KNOWN) -> list[str]:
    found = [f"import cycle: {' ⇄ '.join(cycle)}" for cycle in find_cycles(import_graph(root))]
    found += [f"function over {MAX_FUNCTION_LINES} lines: {line}" for line in long_functions(root)]
    found += [f"file over {MAX_FILE_LINES} lines: {line}" for line in long_files(root)]
    return [p for p in found if not p.startswith(known)]


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} structure problem(s)", file=sys.stderr)
        return 1
    print(f"structure ok: no import cycle, no function or file over the limits (besides the {len(KNOWN)} known)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
