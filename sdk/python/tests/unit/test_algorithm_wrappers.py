"""The typed algorithm methods are generated from the catalogue, and the module is up to date.

``tools/generate_algorithms.py`` renders ``graph_olap/instance/_generated.py``
from the catalogue entries kept in ``data/algorithm_catalogue.json``; the
integration suite checks that file against a live instance
(``test_algorithm_wrappers_match_the_live_catalogue``).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Set

import pytest

from graph_olap.instance import _generated
from graph_olap.instance.algorithms import AlgorithmManager, NetworkXManager

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "generate_algorithms.py"


def load_generator() -> ModuleType:
    """The generator script as a module (it lives outside the package)."""
    spec = importlib.util.spec_from_file_location("generate_algorithms", TOOLS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


GEN = load_generator()
CATALOGUE: Dict[str, Dict[str, Dict[str, Any]]] = GEN.load()
#: Arguments every typed method may have besides the catalogue's parameters.
COMMON = {"self", "node_label", "property_name", "edge_type", "timeout", "wait",
          "result_property", "kw"}


def test_the_checked_in_module_is_what_the_generator_makes() -> None:
    assert Path(_generated.__file__).read_text() == GEN.render(CATALOGUE), (
        "graph_olap/instance/_generated.py is stale: run python tools/generate_algorithms.py")
    assert GEN.main(["--check"]) == 0


@pytest.mark.parametrize("wrapper", GEN.WRAPPERS, ids=lambda w: f"{w.namespace}.{w.method}")
def test_each_method_takes_exactly_the_catalogue_parameters(wrapper: Any) -> None:
    cls = AlgorithmManager if wrapper.namespace == "algo" else NetworkXManager
    info = CATALOGUE[wrapper.namespace][wrapper.algorithm]
    method = getattr(cls, wrapper.method)
    params = inspect.signature(method).parameters
    catalogue: Set[str] = {p["name"] for p in info["parameters"]}
    compat = {c.name for c in wrapper.compat}
    assert set(params) - COMMON == catalogue | compat
    for p in info["parameters"]:
        overridden = [c for c in wrapper.compat if c.name == p["name"]]
        expected = overridden[0].default if overridden else None
        assert params[p["name"]].default == expected, p["name"]
        assert params[p["name"]].kind is inspect.Parameter.KEYWORD_ONLY
    assert info["description"] in (method.__doc__ or "")
    writes = info["result_kind"] in ("node_values", "partition")
    assert ("property_name" in params) is writes


def test_every_catalogue_parameter_is_documented_with_its_server_default() -> None:
    for w in GEN.WRAPPERS:
        info = CATALOGUE[w.namespace][w.algorithm]
        cls = AlgorithmManager if w.namespace == "algo" else NetworkXManager
        doc = getattr(cls, w.method).__doc__ or ""
        for p in info["parameters"]:
            assert f"    {p['name']}: {p['description']}" in doc, (w.method, p["name"])


def test_the_catalogue_file_holds_the_entries_the_wrappers_use_and_no_others() -> None:
    used = {(w.namespace, w.algorithm) for w in GEN.WRAPPERS}
    held = {(ns, name) for ns, entries in CATALOGUE.items() for name in entries}
    assert held == used
    for ns, entries in CATALOGUE.items():
        for name, info in entries.items():
            assert info["name"] == name and info["type"] == ("native" if ns == "algo"
                                                             else "networkx")


def test_a_catalogue_change_changes_the_generated_module() -> None:
    changed = {ns: {n: dict(i) for n, i in e.items()} for ns, e in CATALOGUE.items()}
    pr = changed["algo"]["pagerank"]
    pr["parameters"] = [*pr["parameters"], {"name": "personalization_seed", "type": "int",
                                            "required": False, "default": None,
                                            "description": "A new knob"}]
    source = GEN.render(changed)
    assert "personalization_seed: Optional[int] = None" in source
    assert "personalization_seed=personalization_seed" in source
    with pytest.raises(SystemExit, match="compat names unknown catalogue parameters"):
        pr["parameters"] = [p for p in pr["parameters"] if p["name"] != "tolerance"]
        GEN.render(changed)
