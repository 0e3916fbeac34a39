"""The modules of ``graph_olap`` import each other without cycles.

The import graph is read from the source with :mod:`ast`, so it covers every
``import`` statement: top-level, inside functions (lazy) and under
``TYPE_CHECKING``.  Importing ``a.b.c`` also runs ``a/b/__init__.py``, so each
import counts as an edge to the module and to its parent packages, except the
root ``graph_olap`` (the public facade, which imports everything and which no
module inside may import; checked separately).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "graph_olap"


def _modules() -> Dict[str, Path]:
    out = {}
    for path in sorted((SRC / ROOT).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imported(module: str, path: Path, node: ast.AST, known: Set[str]) -> List[str]:
    """Modules named by one import statement (the deepest known module of each name)."""
    names: List[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                names.append(name)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            if path.name != "__init__.py":
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            full = f"{target}.{alias.name}"
            if full in known:
                names.append(full)
            elif target in known:
                names.append(target)
    return names


def import_graph() -> Dict[str, Set[str]]:
    """Module → modules whose import it triggers (itself and its own packages excluded)."""
    modules = _modules()
    known = set(modules)
    graph: Dict[str, Set[str]] = {}
    for module, path in modules.items():
        edges: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for name in _imported(module, path, node, known):
                if name == ROOT:
                    edges.add(ROOT)  # the facade itself: reported by its own test
                    continue
                parts = name.split(".")
                for i in range(2, len(parts) + 1):
                    target = ".".join(parts[:i])
                    if target != module and not module.startswith(target + "."):
                        edges.add(target)
        graph[module] = edges
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_inside_graph_olap() -> None:
    graph = {m: {t for t in e if t != ROOT} for m, e in import_graph().items()}
    assert cycles(graph) == [], "import cycles (each line: modules importing each other)"


def test_no_module_imports_the_public_facade() -> None:
    offenders = sorted(m for m, edges in import_graph().items() if ROOT in edges and m != ROOT)
    assert offenders == [], f"import from the submodules, not from `{ROOT}` itself"


def test_the_checker_sees_cycles_through_lazy_imports_and_packages() -> None:
    graph = import_graph()
    # A lazy edge and a package edge are both recorded ...
    assert "graph_olap.models.result" in graph["graph_olap.models.common"]
    assert "graph_olap.instance" in graph["graph_olap.resources.instances"]
    # ... and a cycle made of them is reported.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_top_level_namespace_holds_only_graph_olap() -> None:
    top = sorted(p.stem if p.is_file() else p.name for p in SRC.iterdir()
                 if (p.suffix == ".py" or (p / "__init__.py").exists()))
    assert top == [ROOT]
