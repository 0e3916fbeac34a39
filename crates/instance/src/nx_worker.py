"""graph-olap NetworkX worker: lists the NetworkX functions that take a graph, or runs one.

The instance server (crates/instance/src/nx_worker.rs) embeds this script, writes it to its
data directory and starts it as a child process with its configured interpreter:

    python3 nx_worker.py catalogue      the catalogue, as JSON on stdout
    python3 nx_worker.py run JOB_DIR    reads JOB_DIR/request.json and JOB_DIR/graph.bin,
                                        writes JOB_DIR/result.json

Owns: the address-space bound of the child, building the NetworkX graph from the projection
(a DiGraph: parallel edges collapsed, self-loops kept; its undirected view when the function is
not implemented for directed graphs), resolving and calling the function, and turning its
result into per-node columns, a partition, a scalar or bounded JSON. Does not own: timeouts,
cancellation, locking or write-back (the server kills this process on timeout or cancel and
writes node results itself).

graph.bin (little-endian): b"GONX", u32 version 1, u64 node count n, u64 edge count m,
n x u32 node `_id`s (ascending), m x u32 source indices, m x u32 target indices (indices into
the node list).
"""

import importlib
import inspect
import json
import math
import os
import pkgutil
import re
import resource
import sys
import threading
import time
import types
from array import array
from itertools import islice

PROTOCOL = 1
GRAPH_MAGIC = b"GONX"
# Parameters that belong to the dispatch machinery, never to the algorithm.
HIDDEN_PARAMS = {"backend", "backend_kwargs"}
# The reserved parameter bounding how many items a generator result yields.
MAX_ITEMS = "max_items"
# Read-only helpers of networkx.classes.function that analysts call like algorithms (the rest of
# that module mutates or freezes graphs, or needs attributes the projection does not carry).
CLASS_FUNCTIONS = [
    "all_neighbors", "common_neighbors", "degree_histogram", "density", "is_empty",
    "is_negatively_weighted", "is_weighted", "nodes_with_selfloops", "non_neighbors",
    "number_of_selfloops", "selfloop_edges",
]
# Categories by name where the module path says nothing useful.
NAME_CATEGORIES = {"common_neighbors": "link_prediction", "non_neighbors": "link_prediction"}
# Module path part -> catalogue category; the first part of a module path that is listed wins.
CATEGORIES = {
    "centrality": "centrality",
    "link_analysis": "centrality",
    "link_prediction": "link_prediction",
    "community": "community",
    "components": "community",
    "core": "community",
    "clique": "community",
    "shortest_paths": "pathfinding",
    "simple_paths": "pathfinding",
    "astar": "pathfinding",
    "traversal": "traversal",
    "cluster": "clustering",
    "similarity": "similarity",
    "assortativity": "similarity",
}


# ------------------------------------------------------------------------------ catalogue


def _defining_module(obj):
    return getattr(getattr(obj, "orig_func", obj), "__module__", "") or ""


def _graph_params(obj, sig):
    """Names of the graph parameters, or None when the first parameter is not a graph or another
    graph is required (operators on two graphs cannot run on one projection)."""
    params = list(sig.parameters.values())
    if not params:
        return None
    graphs = getattr(obj, "graphs", None)
    if graphs is None:
        return {params[0].name} if params[0].name == "G" else None
    if graphs.get(params[0].name) != 0:
        return None
    optional = set(getattr(obj, "optional_graphs", ()) or ())
    for name in graphs:
        if name != params[0].name and name not in optional:
            return None
    return set(graphs)


def _not_implemented_for_directed(obj):
    """True when NetworkX refuses directed graphs for this function (`not_implemented_for`)."""
    seen = set()
    stack = [obj]
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        argmap = getattr(f, "__argmap__", None)
        inner = getattr(argmap, "_func", None)
        for cell in getattr(inner, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, str) and "not implemented for directed" in value:
                return True
        stack.append(getattr(f, "__wrapped__", None))
        stack.append(getattr(f, "orig_func", None))
    return False


def _sections(doc):
    """numpydoc sections: title -> list of lines."""
    out, title, lines = {}, "summary", []
    raw = doc.splitlines()
    i = 0
    while i < len(raw):
        line = raw[i]
        if i + 1 < len(raw) and re.fullmatch(r"\s*-{3,}\s*", raw[i + 1]) and line.strip():
            out[title] = lines
            title, lines = line.strip().lower(), []
            i += 2
            continue
        lines.append(line)
        i += 1
    out[title] = lines
    return out


def _param_docs(lines):
    """Parameter name -> (type text, first description line) from a numpydoc section."""
    docs, current = {}, None
    for line in lines:
        if line and not line[0].isspace():
            m = re.match(r"([A-Za-z_][A-Za-z0-9_, ]*?)\s*(?::\s*(.*))?$", line.strip())
            if m:
                current = [n.strip() for n in m.group(1).split(",")]
                for n in current:
                    docs[n] = [m.group(2) or "", ""]
            continue
        if current and line.strip():
            for n in current:
                if not docs[n][1]:
                    docs[n][1] = line.strip()
    return docs


def _first_paragraph(lines):
    text = []
    for line in lines:
        if not line.strip():
            if text:
                break
            continue
        text.append(line.strip())
    return " ".join(text)


def _jsonable_default(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (tuple, list, frozenset, set)):
        items = [_jsonable_default(v) for v in value]
        return items
    return repr(value)


def _param_type(default, type_text):
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "string"
    t = type_text.lower()
    if t.startswith("bool"):
        return "bool"
    if t.startswith("int"):
        return "int"
    if t.startswith(("float", "real")):
        return "float"
    if t.startswith("str"):
        return "string"
    return "any"


def _result_kind(name, returns_type, returns_text):
    t = returns_type.lower()
    text = (returns_type + " " + returns_text).lower()
    if "dict" in t and "node" in text and "path" not in text:
        return "node_values"
    if ("communit" in name or name.endswith("_components")) and "number" not in name:
        return "partition"
    if any(w in t for w in ("generator", "iterator", "iterable", "list", "set", "tuple", "graph")):
        return "json"
    if any(w in t for w in ("float", "int", "bool", "number")):
        return "scalar"
    return "json"


def _category(module, name=""):
    if name in NAME_CATEGORIES:
        return NAME_CATEGORIES[name]
    for part in module.split("."):
        if part in CATEGORIES:
            return CATEGORIES[part]
    return "other"


def _entry(name, attribute, obj, module):
    sig = inspect.signature(obj)
    graphs = _graph_params(obj, sig)
    doc = inspect.getdoc(getattr(obj, "orig_func", obj)) or ""
    sections = _sections(doc)
    pdocs = _param_docs(sections.get("parameters", []))
    params, accepts_kwargs = [], False
    for p in sig.parameters.values():
        if p.name in graphs or p.name in HIDDEN_PARAMS:
            continue
        if p.kind is p.VAR_KEYWORD:
            accepts_kwargs = True
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        required = p.default is p.empty
        default = None if required else _jsonable_default(p.default)
        type_text, desc = pdocs.get(p.name, ["", ""])
        params.append({
            "name": p.name,
            "type": _param_type(None if required else p.default, type_text),
            "required": required,
            "default": default,
            "description": desc or type_text,
        })
    returns = _param_docs(sections.get("returns", []))
    returns_type, returns_text = next(iter(returns.values()), ["", ""]) if returns else ["", ""]
    if not returns:
        first = [line.strip() for line in sections.get("returns", []) if line.strip()]
        returns_type = first[0] if first else ""
    summary = _first_paragraph(sections.get("summary", []))
    return {
        "name": name,
        "function": attribute,
        "module": module,
        "category": _category(module, name),
        "description": summary.split(". ")[0].rstrip(".") + "." if summary else name,
        "long_description": summary or None,
        "parameters": params,
        "returns": (returns_type + (": " + returns_text if returns_text else "")).strip(),
        "result_kind": _result_kind(name, returns_type, returns_text),
        "graph_treatment": "undirected" if _not_implemented_for_directed(obj) else "directed",
        "accepts_kwargs": accepts_kwargs,
    }


def catalogue():
    """Every public function of networkx.algorithms whose first parameter is the graph."""
    import networkx as nx

    found = []
    for info in pkgutil.walk_packages(nx.algorithms.__path__, "networkx.algorithms."):
        if ".tests" in info.name or info.name.endswith(".conftest"):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001, S112 - a module needing an optional package we lack
            continue
        for name in getattr(module, "__all__", None) or ():
            obj = getattr(module, name, None)
            if not callable(obj) or isinstance(obj, type) or name.startswith("_"):
                continue
            if _defining_module(obj) != info.name:
                continue
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            if _graph_params(obj, sig) is None:
                continue
            found.append((name, obj, info.name))
    classes = importlib.import_module("networkx.classes.function")
    for name in CLASS_FUNCTIONS:
        obj = getattr(classes, name, None)
        if callable(obj):
            found.append((name, obj, classes.__name__))
    # Top-level NetworkX names first, so `average_clustering` is nx.average_clustering and the
    # approximation's is `approximation.clustering_coefficient.average_clustering`.
    found.sort(key=lambda f: (getattr(nx, f[0], None) is not f[1], f[2], f[0]))
    entries, taken = [], set()
    for name, obj, module in found:
        public = name
        if public in taken:
            public = module.split(".", 2)[-1] + "." + name
        taken.add(public)
        try:
            entries.append(_entry(public, name, obj, module))
        except Exception:  # noqa: BLE001, S112 - an unusual signature or docstring: left out
            continue
    entries.sort(key=lambda e: e["name"])
    return {"protocol": PROTOCOL, "networkx_version": nx.__version__, "functions": entries}


# ------------------------------------------------------------------------------------ run


def _watch_parent():
    """Exit when the instance server goes away, so no orphaned worker keeps computing."""
    parent = os.getppid()

    def loop():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=loop, daemon=True).start()


def _limit_memory(megabytes):
    if megabytes and megabytes > 0:
        limit = int(megabytes) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read_graph(path):
    import networkx as nx

    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != GRAPH_MAGIC:
        raise RuntimeError("graph file: bad magic")
    version = int.from_bytes(data[4:8], "little")
    if version != 1:
        raise RuntimeError(f"graph file: unknown version {version}")
    n = int.from_bytes(data[8:16], "little")
    m = int.from_bytes(data[16:24], "little")
    arrays = []
    offset = 24
    for count in (n, m, m):
        a = array("I")
        if a.itemsize != 4:
            a = array("L")
        a.frombytes(data[offset:offset + 4 * count])
        if sys.byteorder != "little":
            a.byteswap()
        arrays.append(a)
        offset += 4 * count
    del data
    ids, src, dst = arrays
    nodes = list(ids)
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(zip(map(nodes.__getitem__, src), map(nodes.__getitem__, dst)))
    return g, nodes


def _plain(value):
    """numpy scalars to Python values."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _is_graph(value):
    import networkx as nx

    return isinstance(value, nx.Graph)


def _materialise(value, max_items):
    """Generators and iterators to lists of at most `max_items` items (recursively one level)."""
    if isinstance(value, (types.GeneratorType, map, filter, zip)) or (
        hasattr(value, "__next__") and not isinstance(value, (str, bytes))
    ):
        return [_materialise(v, max_items)[0] for v in islice(value, max_items)], True
    return value, False


def _node_column(mapping, nodes):
    """A per-node column from a dict keyed by nodes with number or bool values, else None."""
    if not isinstance(mapping, dict) or not mapping:
        return None
    index = {n: i for i, n in enumerate(nodes)}
    values = [None] * len(nodes)
    kinds = set()
    for key, raw in mapping.items():
        i = index.get(key)
        if i is None:
            return None
        v = _plain(raw)
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("BOOL")
        elif isinstance(v, int):
            if not -(2**63) <= v < 2**63:
                return None
            kinds.add("INT64")
        elif isinstance(v, float):
            kinds.add("DOUBLE")
            if not math.isfinite(v):
                v = None
        else:
            return None
        values[i] = v
    if not kinds:
        return None
    if kinds == {"BOOL"}:
        ty = "BOOL"
    elif kinds == {"INT64"}:
        ty = "INT64"
    elif "BOOL" in kinds:
        return None
    else:
        ty = "DOUBLE"
        values = [None if v is None else float(v) for v in values]
    return {"type": ty, "values": values}


def _partition(value, nodes):
    """Community index per node (0..k-1 by smallest member) for disjoint node sets, else None."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if not all(isinstance(c, (set, frozenset)) for c in value):
        return None
    index = {n: i for i, n in enumerate(nodes)}
    membership = [None] * len(nodes)
    ordered = sorted((c for c in value if c), key=min)
    for k, community in enumerate(ordered):
        for n in community:
            i = index.get(n)
            if i is None or membership[i] is not None:
                return None
            membership[i] = k
    return {"membership": membership, "communities": len(ordered)}


def _to_json(value):
    import networkx as nx

    value = _plain(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, nx.Graph):
        edges = []
        for u, v, data in value.edges(data=True):
            edges.append([_to_json(u), _to_json(v), _to_json(data)] if data else [_to_json(u), _to_json(v)])
        return {"directed": value.is_directed(), "nodes": [_to_json(n) for n in value.nodes],
                "edges": edges}
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else json.dumps(_to_json(k))): _to_json(v)
                for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [_to_json(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if hasattr(value, "tolist"):
        return _to_json(value.tolist())
    if hasattr(value, "__iter__"):
        return [_to_json(v) for v in islice(value, 1_000_000)]
    return repr(value)


def _bounded(value, max_bytes):
    """(value, truncated): lists and dicts cut to fit `max_bytes` of JSON."""
    text = json.dumps(value)
    if len(text) <= max_bytes:
        return value, False
    if isinstance(value, (list, dict)):
        items = list(value.items()) if isinstance(value, dict) else list(value)
        lo, hi = 0, len(items)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            part = dict(items[:mid]) if isinstance(value, dict) else items[:mid]
            if len(json.dumps(part)) <= max_bytes:
                lo = mid
            else:
                hi = mid - 1
        return (dict(items[:lo]) if isinstance(value, dict) else items[:lo]), True
    return None, True


def _convert(result, materialised, nodes, max_items, max_bytes):
    summary = {}
    if materialised:
        summary["items"] = len(result)
        summary["items_limit_reached"] = len(result) >= max_items
        # girvan_newman with max_items=1: one partition.
        if len(result) == 1 and _partition(result[0], nodes) is not None:
            result = result[0]
        # all_pairs_*: (node, dict) pairs become one dict keyed by node.
        elif result and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], dict)
                            for p in result):
            result = dict(result)
    column = _node_column(result, nodes)
    if column is not None:
        return {"kind": "node_values", "columns": [column], "summary": summary}
    if isinstance(result, tuple) and 1 < len(result) <= 8:
        columns = [_node_column(r, nodes) for r in result]
        if all(c is not None for c in columns):
            return {"kind": "node_values", "columns": columns, "summary": summary}
    partition = _partition(result, nodes)
    if partition is not None:
        summary["communities"] = partition["communities"]
        return {"kind": "partition", "membership": partition["membership"], "summary": summary}
    plain = _plain(result)
    if plain is None or isinstance(plain, (bool, int, float, str)):
        return {"kind": "scalar", "value": _to_json(plain), "summary": summary}
    value, truncated = _bounded(_to_json(result), max_bytes)
    return {"kind": "json", "value": value, "truncated": truncated, "summary": summary}


def _error(e):
    nx = sys.modules.get("networkx")
    if isinstance(e, MemoryError):
        kind = "memory"
    elif nx is None:
        kind = "dependency" if isinstance(e, ImportError) else "error"
    elif isinstance(e, nx.NetworkXNotImplemented):
        kind = "not_implemented"
    elif isinstance(e, (nx.NetworkXException, nx.NodeNotFound)):
        kind = "networkx"
    elif isinstance(e, (TypeError, ValueError, KeyError, IndexError)):
        kind = "invalid_argument"
    elif isinstance(e, ImportError):
        kind = "dependency"
    else:
        kind = "error"
    message = str(e) or type(e).__name__
    return {"ok": False, "error": {"type": type(e).__name__, "kind": kind, "message": message}}


def _arguments(params):
    """JSON parameters to call arguments: edge lists become lists of tuples."""
    out = {}
    for name, value in params.items():
        if name in ("ebunch", "edges", "edgelist") and isinstance(value, list):
            value = [tuple(v) if isinstance(v, list) else v for v in value]
        out[name] = value
    return out


def run(job_dir):
    with open(os.path.join(job_dir, "request.json"), encoding="utf-8") as f:
        request = json.load(f)
    _limit_memory(request.get("memory_mb"))
    try:
        import networkx as nx

        module = importlib.import_module(request["module"])
        function = getattr(module, request["function"])
        graph, nodes = _read_graph(os.path.join(job_dir, "graph.bin"))
        params = dict(request.get("parameters") or {})
        max_items = int(params.pop(MAX_ITEMS, None) or request.get("max_items", 10000))
        args = _arguments(params)
        treatment = "directed"
        try:
            result, materialised = _materialise(function(graph, **args), max_items)
        except nx.NetworkXNotImplemented as e:
            if "directed" not in str(e) or "undirected" in str(e):
                raise
            treatment = "undirected"
            graph = graph.to_undirected()
            result, materialised = _materialise(function(graph, **args), max_items)
        max_bytes = int(request.get("max_result_bytes", 1 << 20))
        answer = _convert(result, materialised, nodes, max_items, max_bytes)
        answer["summary"]["graph_treatment"] = treatment
        answer["ok"] = True
    except BaseException as e:  # every failure is reported to the server, typed
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        answer = _error(e)
    _write(os.path.join(job_dir, "result.json"), answer)


def _write(path, answer):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(answer, f, allow_nan=False)
    os.replace(tmp, path)


def main(argv):
    if len(argv) >= 2 and argv[1] == "catalogue":
        json.dump(catalogue(), sys.stdout, allow_nan=False)
        return 0
    if len(argv) == 3 and argv[1] == "run":
        _watch_parent()
        run(argv[2])
        return 0
    print("usage: nx_worker.py catalogue | run JOB_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
