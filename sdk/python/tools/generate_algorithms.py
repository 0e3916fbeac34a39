"""Generates ``graph_olap/instance/_generated.py``: the typed algorithm methods, from the catalogue.

The instance serves its algorithm catalogues (``GET /algo/algorithms/{name}``,
``GET /networkx/algorithms/{name}``, API.md §10.8).  Each typed method of
``conn.algo`` / ``conn.networkx`` is generated from its catalogue entry: the
docstring (description, parameters with their server defaults and ranges,
result) and one keyword argument per catalogue parameter (default ``None`` =
the server's default, not sent).  ``WRAPPERS`` below adds only what the
catalogue cannot know: the method's name and default result property, and the
original ``graph_olap`` package's compatible forms (its defaults, which are sent,
and its parameter names such as ``damping``).

The catalogue entries used are kept in ``tests/unit/data/algorithm_catalogue.json``.

    python tools/generate_algorithms.py                    # regenerate from that file
    python tools/generate_algorithms.py --check            # exit 1 if the module is stale
    python tools/generate_algorithms.py --instance-url URL --username NAME
                                                           # refresh the file from an instance

``tests/unit/test_algorithm_wrappers.py`` fails when the checked-in module differs
from what this script generates; ``tests/integration/test_instances.py``
(``test_algorithm_wrappers_match_the_live_catalogue``) fails when a live
instance's catalogue differs from the file.
"""

from __future__ import annotations

import argparse
import json
import keyword
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
SDK = HERE.parent
CATALOGUE_FILE = SDK / "tests" / "unit" / "data" / "algorithm_catalogue.json"
MODULE_FILE = SDK / "src" / "graph_olap" / "instance" / "_generated.py"


@dataclass(frozen=True)
class Compat:
    """A keyword the original package had for a catalogue parameter.

    ``name``: the keyword (the catalogue name itself, or an alias such as
    ``damping`` for ``damping_factor``); ``default``: the original's default,
    sent to the server; ``annotation``: its type.
    """

    name: str
    parameter: str
    default: Any
    annotation: str


@dataclass(frozen=True)
class Wrapper:
    """One typed method: ``namespace`` (``algo``/``networkx``), method and catalogue names."""

    namespace: str
    method: str
    algorithm: str
    #: Property written when neither ``property_name`` nor ``result_property`` is given.
    default_property: Optional[str] = None
    compat: Tuple[Compat, ...] = ()
    #: Extra sentence for the docstring (why this method exists next to the catalogue name).
    note: str = ""
    #: Label used by the live doctest example (the tutorial graph's ``Customer``).
    example_label: str = "Customer"
    #: Extra keyword arguments of the live doctest example (e.g. more iterations where the
    #: tutorial graph needs them to converge).
    example_args: str = ""


def _algo(method: str, algorithm: Optional[str] = None, prop: Optional[str] = None,
          compat: Tuple[Compat, ...] = (), note: str = "") -> Wrapper:
    return Wrapper("algo", method, algorithm or method, prop or method, compat, note)


def _nx(method: str, algorithm: Optional[str] = None, prop: Optional[str] = None,
        compat: Tuple[Compat, ...] = (), note: str = "", example_args: str = "") -> Wrapper:
    return Wrapper("networkx", method, algorithm or method, prop or method, compat, note,
                   example_args=example_args)


#: The typed methods (every other catalogue entry is reachable as ``conn.algo.<name>(...)``
#: or ``run(name, ...)``).  ``shortest_path`` has its own endpoint and stays hand-written.
WRAPPERS: Tuple[Wrapper, ...] = (
    _algo("pagerank", compat=(
        Compat("damping", "damping_factor", 0.85, "float"),
        Compat("max_iterations", "max_iterations", 100, "int"),
        Compat("tolerance", "tolerance", 1e-6, "float"),
    ), note="``damping`` is ``damping_factor`` (either name works)."),
    _algo("betweenness"),
    _algo("degree"),
    _algo("wcc"),
    _algo("connected_components", "wcc", "component",
          note="The same as :meth:`wcc` with the default property ``component``."),
    _algo("scc"),
    _algo("scc_kosaraju", prop="scc"),
    _algo("louvain", prop="community", compat=(Compat("resolution", "resolution", 1.0, "float"),)),
    _algo("label_propagation", prop="label",
          compat=(Compat("max_iterations", "max_iterations", 100, "int"),)),
    _algo("kcore", prop="core"),
    _algo("triangle_count", prop="triangles"),
    _nx("degree_centrality"),
    _nx("in_degree_centrality"),
    _nx("out_degree_centrality"),
    _nx("betweenness_centrality"),
    _nx("closeness_centrality"),
    # The tutorial graph needs more than the default 100 power iterations to converge.
    _nx("eigenvector_centrality", compat=(Compat("max_iter", "max_iter", 100, "int"),),
        example_args="max_iter=1000"),
    _nx("pagerank", prop="nx_pagerank"),
    _nx("clustering"),
    _nx("clustering_coefficient", "clustering", "clustering",
        note="The same as :meth:`clustering` (local clustering coefficient)."),
    _nx("average_clustering"),
    _nx("density"),
)

_TYPES = {"int": "int", "float": "float", "string": "str", "bool": "bool",
          "int[]": "Sequence[int]", "string[]": "Sequence[str]", "any": "Any"}
#: Names the generated signatures already use.
_RESERVED = {"self", "node_label", "property_name", "edge_type", "result_property", "timeout",
             "wait", "kw", "parameters", "params", "write_back", "timeout_ms", "name",
             "algorithm", "poll_interval", "show_progress", "subgraph_query"}
_WRITE_BACK_KINDS = {"node_values", "partition"}
#: Property-name prefix of the live examples (one property per method and namespace).
_EXAMPLE_PREFIX = {"algo": "algo_", "networkx": "nx_"}


def _default_text(value: Any) -> str:
    return "null" if value is None else json.dumps(value)


def _range_text(p: Dict[str, Any]) -> str:
    parts = []
    if p.get("minimum") is not None:
        parts.append(f"min {p['minimum']:g}")
    if p.get("maximum") is not None:
        parts.append(f"max {p['maximum']:g}")
    if p.get("enum"):
        parts.append(" | ".join(p["enum"]))
    return f"; {', '.join(parts)}" if parts else ""


@dataclass
class _Arg:
    name: str
    annotation: str
    default: str
    doc: str
    sends: Optional[str] = None  # catalogue parameter it fills


@dataclass
class _Method:
    wrapper: Wrapper
    info: Dict[str, Any]
    args: List[_Arg] = field(default_factory=list)


def _args(w: Wrapper, info: Dict[str, Any]) -> List[_Arg]:
    compat_by_param: Dict[str, List[Compat]] = {}
    for c in w.compat:
        compat_by_param.setdefault(c.parameter, []).append(c)
    names = {p["name"] for p in info["parameters"]}
    unknown = set(compat_by_param) - names
    if unknown:
        raise SystemExit(f"{w.namespace}/{w.algorithm}: compat names unknown catalogue "
                         f"parameters {sorted(unknown)}")
    out: List[_Arg] = []
    for p in info["parameters"]:
        name = p["name"]
        if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
            raise SystemExit(f"{w.namespace}/{w.algorithm}: parameter {name!r} cannot be a "
                             "keyword argument; add an exception to the generator")
        ann = _TYPES.get(p["type"])
        if ann is None:
            raise SystemExit(f"{w.namespace}/{w.algorithm}: unknown parameter type {p['type']!r}")
        doc = (f"{p['description']} (server default {_default_text(p.get('default'))}"
               f"{_range_text(p)}).")
        compat = compat_by_param.get(name, [])
        same = [c for c in compat if c.name == name]
        if same:
            c = same[0]
            out.append(_Arg(name, c.annotation, repr(c.default),
                            f"{doc} Sent as {c.default!r} unless given (the original "
                            "package's default).", name))
        else:
            optional = ann if ann == "Any" else f"Optional[{ann}]"
            out.append(_Arg(name, optional, "None", doc, name))
        for c in compat:
            if c.name != name:
                out.append(_Arg(c.name, c.annotation, repr(c.default),
                                f"Same as ``{name}``; its default {c.default!r} is sent when "
                                f"``{name}`` is not given (the original package's name).", None))
    return out


def _value_expr(arg: _Arg, args: List[_Arg], w: Wrapper) -> str:
    aliases = [c.name for c in w.compat if c.parameter == arg.name and c.name != arg.name]
    if aliases:
        return f"_first({arg.name}, {', '.join(aliases)})"
    return arg.name


def _docstring(m: _Method, indent: str) -> str:
    w, info = m.wrapper, m.info
    kind = info["result_kind"]
    lines = [f"{info['description']} — catalogue ``{w.namespace}/{w.algorithm}``."]
    lines.append("")
    if w.note:
        lines += [w.note, ""]
    if kind in _WRITE_BACK_KINDS:
        lines.append(f"Writes {info['returns']} ({info.get('result_type')}) to ``property_name`` "
                     f"(default ``{w.default_property}``); graph: {info['graph_treatment']}.")
    else:
        lines.append(f"Returns {info['returns']} in ``.value`` ({kind}); nothing is written; "
                     f"graph: {info['graph_treatment']}.")
    lines.append("")
    lines.append("Args:")
    lines.append("    node_label: label (or list of labels) in scope; ``None`` = every node.")
    if kind in _WRITE_BACK_KINDS:
        lines.append("    property_name: node property receiving the result "
                     "(``result_property=`` also works).")
    if w.namespace == "algo":
        lines.append("    edge_type: relationship type (or list) in scope.")
    for a in m.args:
        lines.append(f"    {a.name}: {a.doc}")
    if w.namespace == "algo":
        lines.append("    timeout: seconds to wait for the execution.")
        lines.append("    wait: ``False`` returns the running execution at once.")
    lines.append("    **kw: any other ``run()`` argument or catalogue parameter.")
    lines.append("")
    lines.append("Example:")
    call = f'conn.{w.namespace}.{w.method}("{w.example_label}"'
    if kind in _WRITE_BACK_KINDS:
        call += f', "{_EXAMPLE_PREFIX[w.namespace]}{w.method}"'
    if w.example_args:
        call += f", {w.example_args}"
    lines.append(f"    >>> {call}).status")
    lines.append("    'completed'")
    body = "\n".join((indent + line) if line else "" for line in lines)
    return f'{indent}"""{body.lstrip()}\n{indent}"""'


def _method_source(m: _Method) -> str:
    w, info = m.wrapper, m.info
    kind = info["result_kind"]
    writes = kind in _WRITE_BACK_KINDS
    sig = ["self", "node_label: LabelArg = None"]
    if writes:
        sig.append("property_name: Optional[str] = None")
    if w.namespace == "algo":
        sig.append("edge_type: LabelArg = None")
    keywords = [f"{a.name}: {a.annotation} = {a.default}" for a in m.args]
    if w.namespace == "algo":
        keywords += ["timeout: float = DEFAULT_WAIT_SECONDS", "wait: bool = True"]
    if writes:
        keywords.append("result_property: Optional[str] = None")
    if keywords:
        sig += ["*", *keywords]
    sig.append("**kw: Any")
    params = ", ".join(f"{a.sends}={_value_expr(a, m.args, w)}" for a in m.args if a.sends)
    head = f"    def {w.method}(\n" + "".join(f"        {s},\n" for s in sig) \
        + "    ) -> AlgorithmExecution:\n"
    doc = _docstring(m, "        ") + "\n"
    if writes and w.namespace == "algo":
        call = (f'        return self._named("{w.algorithm}", node_label, property_name, '
                f'edge_type, result_property,\n                           '
                f'"{w.default_property}", {{"timeout": timeout, "wait": wait, **kw}}'
                + (f",\n                           {params})\n" if params else ")\n"))
    elif writes:
        call = (f'        return self._named("{w.algorithm}", node_label, property_name, '
                f'kw.pop("edge_type", None),\n                           result_property, '
                f'"{w.default_property}", kw'
                + (f",\n                           {params})\n" if params else ")\n"))
    else:
        extra = f", {params}" if params else ""
        call = (f'        return self.run("{w.algorithm}", node_label, None, write_back=False'
                f'{extra}, **kw)\n')
    return head + doc + call


HEADER = '''"""Typed algorithm methods, GENERATED from the instance's algorithm catalogue — do not edit.

Regenerate with ``python sdk/python/tools/generate_algorithms.py`` (see its
docstring); ``tests/unit/test_algorithm_wrappers.py`` fails when this file is stale.
:class:`~graph_olap.instance.algorithms.AlgorithmManager` and
:class:`~graph_olap.instance.algorithms.NetworkXManager` inherit these methods.

Example:
    >>> "damping_factor" in GeneratedAlgorithms.pagerank.__doc__
    True
"""

# ruff: noqa: E501

from __future__ import annotations

{imports}
from graph_olap.models.execution import AlgorithmExecution

__all__ = ["GeneratedAlgorithms", "GeneratedNetworkX"]

#: Catalogue entries this module was generated from: namespace → {name: parameter names}.
CATALOGUE_PARAMETERS = {catalogue_parameters}
'''

#: namespace → (class name, what it holds, catalogue entry its example shows).
CLASSES = {
    "algo": ("GeneratedAlgorithms", "native algorithms", "louvain"),
    "networkx": ("GeneratedNetworkX", "NetworkX-compatible algorithms", "betweenness_centrality"),
}


def _class_source(ns: str, params: List[str]) -> str:
    cls, what, example = CLASSES[ns]
    return (f"\n\nclass {cls}(_Manager):\n"
            f'    """Typed methods of ``conn.{ns}`` ({what}).\n\n'
            f"    Example:\n"
            f"        >>> CATALOGUE_PARAMETERS[{ns!r}][{example!r}]\n"
            f"        {params!r}\n"
            f'    """\n')


def render(catalogue: Dict[str, Dict[str, Dict[str, Any]]]) -> str:
    """The module's source for ``catalogue`` (namespace → name → AlgorithmInfo)."""
    methods: Dict[str, List[_Method]] = {"algo": [], "networkx": []}
    for w in WRAPPERS:
        try:
            info = catalogue[w.namespace][w.algorithm]
        except KeyError:
            raise SystemExit(f"catalogue has no {w.namespace}/{w.algorithm}") from None
        methods[w.namespace].append(_Method(w, info, _args(w, info)))
    used = {ns: {w.algorithm: [p["name"] for p in catalogue[ns][w.algorithm]["parameters"]]
                 for w in WRAPPERS if w.namespace == ns} for ns in ("algo", "networkx")}
    body = []
    for ns, (_cls, _what, example) in CLASSES.items():
        body.append(_class_source(ns, used[ns][example]))
        for m in methods[ns]:
            body.append("\n" + _method_source(m))
    code = "".join(body)
    typing_names = [n for n in ("Any", "Optional", "Sequence") if f"{n}[" in code or
                    f": {n}" in code]
    manager_names = [n for n in ("DEFAULT_WAIT_SECONDS", "LabelArg", "_first") if n in code]
    imports = (f"from typing import {', '.join(typing_names)}\n\n"
               f"from graph_olap.instance._manager import {', '.join([*manager_names, '_Manager'])}")
    head = HEADER.replace("{catalogue_parameters}", _pformat(used)).replace("{imports}", imports)
    return head + code.rstrip() + "\n"


def _pformat(value: Dict[str, Dict[str, List[str]]]) -> str:
    lines = ["{"]
    for ns, entries in value.items():
        lines.append(f"    {ns!r}: {{")
        for name, params in entries.items():
            lines.append(f"        {name!r}: {params!r},")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines)


def fetch(instance_url: str, username: Optional[str] = None, api_key: Optional[str] = None
          ) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """The catalogue entries ``WRAPPERS`` use, from a running instance (control-plane proxy URL)."""
    import httpx

    headers = {"X-Username": username} if username else {}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    out: Dict[str, Dict[str, Dict[str, Any]]] = {"algo": {}, "networkx": {}}
    with httpx.Client(base_url=instance_url.rstrip("/"), headers=headers, timeout=30) as http:
        for w in WRAPPERS:
            if w.algorithm in out[w.namespace]:
                continue
            r = http.get(f"/{w.namespace}/algorithms/{w.algorithm}")
            r.raise_for_status()
            body = r.json()
            out[w.namespace][w.algorithm] = body.get("data", body) if "meta" in body else body
    return out


def load(path: Path = CATALOGUE_FILE) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """The checked-in catalogue entries."""
    data: Dict[str, Dict[str, Dict[str, Any]]] = json.loads(path.read_text())
    return data


def dump(catalogue: Dict[str, Dict[str, Dict[str, Any]]], path: Path = CATALOGUE_FILE) -> None:
    """Write the catalogue entries (sorted, stable) for checking in."""
    path.write_text(json.dumps(catalogue, indent=1, sort_keys=True) + "\n")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the module is stale")
    ap.add_argument("--instance-url", help="refresh the catalogue file from this instance")
    ap.add_argument("--username", help="X-Username for --instance-url")
    ap.add_argument("--api-key", help="API key for --instance-url")
    args = ap.parse_args(argv)
    if args.instance_url:
        dump(fetch(args.instance_url, args.username, args.api_key))
    source = render(load())
    if args.check:
        if MODULE_FILE.read_text() != source:
            print(f"{MODULE_FILE} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    MODULE_FILE.write_text(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
