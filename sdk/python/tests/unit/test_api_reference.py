"""The API reference (``tools/api_reference.py``, run by ``scripts/docs``): it builds from the
docstrings with pdoc, and the build fails on a public item without a docstring, a
cross-reference that names nothing, a pdoc warning or a broken link between its pages."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "api_reference.py"

pytest.importorskip("pdoc")


def load_tool() -> ModuleType:
    """The tool as a module (it lives outside the package)."""
    spec = importlib.util.spec_from_file_location("api_reference", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


API = load_tool()


def test_the_reference_builds_without_a_problem(tmp_path: Path) -> None:
    problems = API.check(tmp_path)
    assert problems == [], "\n".join(problems)
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    # Every public module has its page, and so has the private module public classes inherit from.
    for name in API.public_modules():
        assert name.replace(".", "/") + ".html" in pages, name
    assert "graph_olap/instance/_manager.html" in pages
    widget = (tmp_path / "graph_olap" / "widget.html").read_text(encoding="utf-8")
    assert 'id="GraphView.expand"' in widget and "click a node to expand" in widget
    # Inherited members link to where they are documented: conn.algo.list() and Mapping.get_node.
    algorithms = (tmp_path / "graph_olap" / "instance" / "algorithms.html").read_text(encoding="utf-8")
    assert '_manager.html#_Manager.list"' in algorithms
    mapping = (tmp_path / "graph_olap" / "models" / "mapping.html").read_text(encoding="utf-8")
    assert 'id="_HasDefinitions.get_node"' in mapping


def test_the_public_surface_is_what_the_package_exports() -> None:
    names = {item.name for item in API.public_items()}
    # Re-exported from private modules (graph_olap.widget._view) counts as public.
    assert {"graph_olap", "graph_olap.widget.GraphView.expand", "graph_olap.viz.plot_result",
            "graph_olap.instance.connection.InstanceConnection.query_arrow"} <= names
    # The only private names: the classes public ones inherit from, and their members.
    inherited = {f"{c.__module__}.{c.__qualname__}" for c in API.inherited_private()}
    assert "graph_olap.models.mapping._HasDefinitions" in inherited
    private = {n for n in names if any(p.startswith("_") for p in n.split(".")[1:])}
    assert private and all(n in inherited or n.rpartition(".")[0] in inherited for n in private), \
        sorted(private - inherited)


def fake_module() -> ModuleType:
    module = types.ModuleType("graph_olap.fake_for_test")

    class Documented:
        """Points at :meth:`run`, :func:`graph_olap.viz.plot_result` and :class:`QueryResult`."""

        def run(self) -> None:
            """Runs."""

        def bare(self) -> None:
            pass

    def lost() -> None:
        """Points at :func:`no_such_function` and :class:`graph_olap.NoSuchClass`."""

    for obj in (Documented, lost):
        obj.__module__ = module.__name__
    module.Documented = Documented  # type: ignore[attr-defined]
    module.lost = lost  # type: ignore[attr-defined]
    return module


def test_missing_docstrings_and_broken_references_are_found() -> None:
    module = fake_module()
    items = [API.Item(module.__name__, None, module, None)]
    for name, obj in API._exported(module):
        cls = obj if isinstance(obj, type) else None
        items.append(API.Item(f"{module.__name__}.{name}", obj.__doc__, module, cls))
        if cls is not None:
            items += [API.Item(f"{module.__name__}.{name}.{m}", f.__doc__, module, cls)
                      for m, f in API._members(cls)]
    assert API.missing_docstrings(items) == ["graph_olap.fake_for_test",
                                             "graph_olap.fake_for_test.Documented.bare"]
    assert API.broken_references(items) == [
        "graph_olap.fake_for_test.lost: :func:`no_such_function`",
        "graph_olap.fake_for_test.lost: :class:`graph_olap.NoSuchClass`"]


def test_broken_links_between_pages_are_found(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.html").write_text(
        "<h1 id='Top'>one</h1><a href='#Top'>ok</a><a href='#Gone'>anchor</a>"
        "<a href='two.html#Here'>ok</a><a href='three.html'>page</a><a href='https://pdoc.dev'>out</a>")
    (tmp_path / "a" / "two.html").write_text("<section id='Here'></section>")
    assert API.broken_links(tmp_path) == ["a/one.html: #Gone (no such anchor)",
                                          "a/one.html: three.html (no such page)"]
