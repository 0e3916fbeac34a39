"""Our SDK is a superset of the original ``graph-olap-sdk`` package's public surface.

``data/original_surface.json`` lists, for every public module of the original
package (b4uharsha/vio-graph-olap, ``graph-packages/packages/graph-olap-sdk``),
its public classes, functions, methods, properties, fields and constants with
each parameter's name, kind (positional / keyword-only / ``*args`` /
``**kwargs``) and default — API facts only, no code.  This test checks every
one of them against our package: the name exists, every positional parameter is
accepted at the same position, every parameter is accepted by name, and
defaults are the same unless listed in ``DEFAULT_DIFFERENCES`` with the reason.
Attributes set on instances are checked on real objects in
``tests/integration/test_original_compat.py``.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

SURFACE: Dict[str, Dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "original_surface.json").read_text())

#: (qualified name, parameter) → why our default differs (meaning unchanged).
DEFAULT_DIFFERENCES = {
    ("graph_olap.client.GraphOLAPClient.__init__", "timeout"):
        "None = GRAPH_OLAP_TIMEOUT or 30.0",
    ("graph_olap.client.GraphOLAPClient.__init__", "max_retries"):
        "None = GRAPH_OLAP_MAX_RETRIES or 3",
    ("graph_olap.http.HTTPClient.__init__", "timeout"): "None = 30.0",
    ("graph_olap.http.HTTPClient.__init__", "max_retries"): "None = 3",
    ("graph_olap.instance.connection.InstanceConnection.__init__", "timeout"):
        "None = the client's timeout; query reads wait for the query's own timeout + 30 s",
    ("graph_olap.client.GraphOLAPClient.quick_start", "wait_timeout"):
        "900 s: the first instance also waits for the snapshot export",
    ("graph_olap.resources.instances.InstanceResource.wait_until_running", "timeout"):
        "900 s (export + start-up)",
    ("graph_olap.resources.instances.InstanceResource.wait_until_running", "poll_interval"):
        "2 s (backs off from 0.5 s)",
    ("graph_olap.models.common.QueryResult.show", "max_rows"): "50 rows shown",
}
#: UNSET means "leave unchanged", as None does in the original; None clears in ours.
UNSET_DEFAULTS = {"name", "description", "ttl", "inactivity_timeout"}
#: Positional parameter renamed in ours; the original name is accepted by keyword too.
RENAMED_POSITIONAL = {
    ("graph_olap.http.HTTPClient.__init__", "base_url"): "config",
}


def _samples() -> Dict[str, Any]:
    # Classes whose fields are instance attributes in ours (plain classes, not models).
    from graph_olap.instance.result import QueryResult
    from graph_olap.pagination import PaginatedList

    return {
        "graph_olap.models.common.QueryResult": QueryResult(["a"], ["INT64"], [[1]],
                                                            execution_time_ms=1),
        "graph_olap.models.common.PaginatedList": PaginatedList([1], total=1, offset=0,
                                                                limit=50),
    }


def _items() -> List[Any]:
    out = []
    for module, entries in sorted(SURFACE.items()):
        for name, entry in sorted(entries.items()):
            out.append(pytest.param(module, name, entry, id=f"{module}.{name}"))
    return out


def _resolve(module: str, name: str) -> Any:
    mod = importlib.import_module(module)
    assert hasattr(mod, name), f"{module}.{name} is missing"
    return getattr(mod, name)


def _check_callable(qualname: str, fn: Any, params: List[Dict[str, Any]]) -> List[str]:
    try:
        sig = inspect.signature(fn)
    except ValueError:  # a builtin (e.g. list.__getitem__): callable, no introspection
        return [] if callable(fn) else [f"{qualname} is not callable"]
    ours = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    by_name = {p.name: p for p in ours}
    var_kw = any(p.kind is p.VAR_KEYWORD for p in ours)
    var_pos = any(p.kind is p.VAR_POSITIONAL for p in ours)
    positional = [p for p in ours if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    problems = []
    orig_positional = [p for p in params if p["kind"] == "positional"]
    for index, op in enumerate(orig_positional):
        name = op["name"]
        if index < len(positional):
            ours_name = positional[index].name
            if ours_name != name and RENAMED_POSITIONAL.get((qualname, name)) != ours_name:
                problems.append(f"position {index}: original {name!r}, ours {ours_name!r}")
        elif not var_pos:
            problems.append(f"{name!r} (position {index}) is not positional")
    for op in params:
        name = op["name"]
        if op["kind"] in ("var_positional",):
            if not var_pos:
                problems.append(f"*{name} not accepted")
            continue
        if op["kind"] == "var_keyword":
            if not var_kw:
                problems.append(f"**{name} not accepted")
            continue
        if name not in by_name:
            if not var_kw:
                problems.append(f"{name!r} not accepted by name")
            continue
        p = by_name[name]
        if p.kind is p.POSITIONAL_ONLY:
            problems.append(f"{name!r} is positional-only")
        default = op["default"]
        if default is None:
            continue
        if p.default is inspect.Parameter.empty:
            problems.append(f"{name!r} is required in ours (original default {default})")
            continue
        same = repr(p.default) == default or str(p.default) == default
        if not same and (qualname, name) not in DEFAULT_DIFFERENCES \
                and not (name in UNSET_DEFAULTS and default == "None"):
            problems.append(f"{name!r} default {p.default!r}, original {default}")
    for p in ours:
        if p.default is inspect.Parameter.empty and p.kind not in (
                p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in {o["name"] for o in params}:
            problems.append(f"ours requires extra parameter {p.name!r}")
    return problems


@pytest.mark.parametrize("module,name,entry", _items())
def test_original_name(module: str, name: str, entry: Dict[str, Any]) -> None:
    if entry["kind"] == "all":
        mod = importlib.import_module(module)
        missing = [n for n in entry["names"] if not hasattr(mod, n)]
        assert missing == [], f"{module} lacks {missing}"
        return
    obj = _resolve(module, name)
    qual = f"{module}.{name}"
    if entry["kind"] == "function":
        assert callable(obj)
        assert _check_callable(qual, obj, entry["params"]) == []
    elif entry["kind"] == "class":
        assert inspect.isclass(obj) or callable(obj)
        problems = []
        fields = getattr(obj, "model_fields", {}) or {}
        dc_fields = getattr(obj, "__dataclass_fields__", {}) or {}
        for member, m in sorted(entry["members"].items()):
            if m["kind"] == "instance_attribute":
                continue  # checked on live objects by the integration test
            if m["kind"] in ("field", "attribute", "property"):
                sample = _samples().get(qual)
                if not (hasattr(obj, member) or member in fields or member in dc_fields
                        or (sample is not None and hasattr(sample, member))):
                    problems.append(f"{member} ({m['kind']}) missing")
                continue
            if not hasattr(obj, member):
                problems.append(f"{member}() missing")
                continue
            problems += [f"{member}: {p}" for p in _check_callable(
                f"{qual}.{member}", getattr(obj, member), m.get("params", []))]
        assert problems == []


def test_surface_is_complete() -> None:
    """The fixture covers the whole original package (36 modules, ~600 names)."""
    assert len(SURFACE) == 36
    assert sum(1 + len(e.get("members", {})) for m in SURFACE.values() for e in m.values()) > 550
