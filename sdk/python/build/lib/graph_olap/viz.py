"""Graph visualisation of query results.

Owns drawing the nodes and relationships contained in a
:class:`~graph_olap.instance.result.QueryResult` (or a NetworkX graph):
a self-contained interactive SVG (hover titles, draggable nodes, no CDN) in
Jupyter, and a static matplotlib figure as fallback or on request.

Example:
    >>> from graph_olap.instance.result import QueryResult
    >>> r = QueryResult(["a", "r", "b"], ["NODE", "REL", "NODE"], [[
    ...     {"_id": 1, "_label": "Customer", "id": "C1"},
    ...     {"_id": 5, "_type": "SHARES_ACCOUNT", "_src": 1, "_dst": 2},
    ...     {"_id": 2, "_label": "Customer", "id": "C2"}]])
    >>> view = show_graph(r, backend="html")
    >>> "<svg" in view._repr_html_(), view.node_count, view.edge_count
    (True, 2, 1)
"""

from __future__ import annotations

import html
import json
import math
import uuid
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["GraphView", "show_graph"]

_PALETTE = ["#1565c0", "#2e7d32", "#e65100", "#6a1b9a", "#c62828", "#00838f", "#ad1457",
            "#4e342e", "#558b2f", "#283593"]


def _extract(source: Any) -> Tuple[List[Dict[str, Any]], List[Tuple[Any, Any, Dict[str, Any]]]]:
    """Nodes (dicts with ``id``, ``label``, ``props``) and edges from a result or graph."""
    if hasattr(source, "nodes") and hasattr(source, "relationships"):
        nodes = [{"id": n["_id"], "label": n.get("_label"),
                  "props": {k: v for k, v in n.items() if not k.startswith("_")}}
                 for n in source.nodes()]
        known = {n["id"] for n in nodes}
        edges = []
        for r in source.relationships():
            for end in (r["_src"], r["_dst"]):
                if end not in known:
                    nodes.append({"id": end, "label": None, "props": {}})
                    known.add(end)
            edges.append((r["_src"], r["_dst"], {"type": r.get("_type"),
                          **{k: v for k, v in r.items() if not k.startswith("_")}}))
        return nodes, edges
    try:  # a NetworkX graph
        nodes = [{"id": n, "label": d.get("label"), "props": dict(d)}
                 for n, d in source.nodes(data=True)]
        edges = [(u, v, dict(d)) for u, v, d in source.edges(data=True)]
        return nodes, edges
    except (AttributeError, TypeError) as exc:
        raise TypeError("show_graph expects a QueryResult or a networkx graph") from exc


def _layout(nodes: List[Dict[str, Any]], edges: List[Tuple[Any, Any, Dict[str, Any]]],
            seed: int) -> Dict[Any, Tuple[float, float]]:
    try:
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(n["id"] for n in nodes)
        g.add_edges_from((u, v) for u, v, _ in edges)
        pos = nx.spring_layout(g, seed=seed)
        return {k: (float(x), float(y)) for k, (x, y) in pos.items()}
    except ImportError:
        count = max(len(nodes), 1)
        return {n["id"]: (math.cos(2 * math.pi * i / count), math.sin(2 * math.pi * i / count))
                for i, n in enumerate(nodes)}


class GraphView:
    """A drawable subgraph; renders as interactive HTML in Jupyter.

    Example:
        >>> v = GraphView([{"id": 1, "label": "A", "props": {}}], [])
        >>> v.node_count
        1
    """

    def __init__(self, nodes: List[Dict[str, Any]], edges: List[Tuple[Any, Any, Dict[str, Any]]],
                 *, caption_property: Optional[str] = None, width: int = 800, height: int = 500,
                 seed: int = 0) -> None:
        self.nodes = nodes
        self.edges = edges
        self.caption_property = caption_property
        self.width = width
        self.height = height
        self.seed = seed

    @property
    def node_count(self) -> int:
        """Number of nodes drawn."""
        return len(self.nodes)

    @property
    def edge_count(self) -> int:
        """Number of edges drawn."""
        return len(self.edges)

    def _caption(self, node: Dict[str, Any]) -> str:
        props = node["props"]
        if self.caption_property and self.caption_property in props:
            return str(props[self.caption_property])
        for key in ("name", "id", "title"):
            if key in props and props[key] is not None:
                return str(props[key])
        return str(node["id"])

    def _repr_html_(self) -> str:
        pos = _layout(self.nodes, self.edges, self.seed)
        pad = 30
        xs = [p[0] for p in pos.values()] or [0.0]
        ys = [p[1] for p in pos.values()] or [0.0]
        span_x = (max(xs) - min(xs)) or 1.0
        span_y = (max(ys) - min(ys)) or 1.0

        def sx(x: float) -> float:
            return pad + (x - min(xs)) / span_x * (self.width - 2 * pad)

        def sy(y: float) -> float:
            return pad + (y - min(ys)) / span_y * (self.height - 2 * pad)

        labels = sorted({str(n["label"]) for n in self.nodes})
        colors = {lab: _PALETTE[i % len(_PALETTE)] for i, lab in enumerate(labels)}
        uid = "go" + uuid.uuid4().hex[:8]
        index = {n["id"]: i for i, n in enumerate(self.nodes)}
        parts = [f"<svg id='{uid}' class='go-graph' width='{self.width}' "
                 f"height='{self.height}' viewBox='0 0 {self.width} {self.height}'>"]
        for u, v, d in self.edges:
            (x1, y1), (x2, y2) = pos[u], pos[v]
            title = html.escape(str(d.get("type") or ""))
            parts.append(f"<line data-s='{index[u]}' data-t='{index[v]}' x1='{sx(x1):.1f}' "
                         f"y1='{sy(y1):.1f}' x2='{sx(x2):.1f}' y2='{sy(y2):.1f}'>"
                         f"<title>{title}</title></line>")
        for i, n in enumerate(self.nodes):
            x, y = pos[n["id"]]
            tip = html.escape(f"{n['label']} {json.dumps(n['props'], default=str)[:300]}")
            color = colors[str(n["label"])]
            parts.append(f"<g data-i='{i}' transform='translate({sx(x):.1f},{sy(y):.1f})'>"
                         f"<circle r='7' fill='{color}'><title>{tip}</title></circle>"
                         f"<text x='9' y='3'>{html.escape(self._caption(n)[:24])}</text></g>")
        parts.append("</svg>")
        legend = "".join(f"<span><i style='background:{c}'></i>{html.escape(lab)}</span>"
                         for lab, c in colors.items())
        script = (
            "<script>(function(){var s=document.getElementById('%s');if(!s)return;"
            "var drag=null;function pt(e){var r=s.getBoundingClientRect();"
            "return [(e.clientX-r.left)*%d/r.width,(e.clientY-r.top)*%d/r.height];}"
            "s.addEventListener('mousedown',function(e){var g=e.target.closest('g');"
            "if(g){drag=g;e.preventDefault();}});"
            "window.addEventListener('mouseup',function(){drag=null;});"
            "s.addEventListener('mousemove',function(e){if(!drag)return;var p=pt(e);"
            "drag.setAttribute('transform','translate('+p[0]+','+p[1]+')');"
            "var i=drag.getAttribute('data-i');"
            "s.querySelectorAll(\"line[data-s='\"+i+\"']\").forEach(function(l){"
            "l.setAttribute('x1',p[0]);l.setAttribute('y1',p[1]);});"
            "s.querySelectorAll(\"line[data-t='\"+i+\"']\").forEach(function(l){"
            "l.setAttribute('x2',p[0]);l.setAttribute('y2',p[1]);});});})();</script>"
        ) % (uid, self.width, self.height)
        return (f"<div class='graph-olap'>{''.join(parts)}<div class='go-legend'>{legend}"
                f"<span class='go-muted'>{self.node_count} nodes · {self.edge_count} edges"
                f"</span></div>{script}</div>")

    def draw_matplotlib(self, ax: Any = None) -> Any:
        """Static drawing with matplotlib (returns the axes).

        Example:
            >>> # show_graph(result, backend="matplotlib")
        """
        import matplotlib.pyplot as plt

        pos = _layout(self.nodes, self.edges, self.seed)
        if ax is None:
            _, ax = plt.subplots(figsize=(self.width / 100, self.height / 100))
        labels = sorted({str(n["label"]) for n in self.nodes})
        colors = {lab: _PALETTE[i % len(_PALETTE)] for i, lab in enumerate(labels)}
        for u, v, _ in self.edges:
            ax.plot([pos[u][0], pos[v][0]], [pos[u][1], pos[v][1]], color="#9aa5b1",
                    linewidth=0.8, zorder=1)
        for n in self.nodes:
            x, y = pos[n["id"]]
            ax.scatter([x], [y], color=colors[str(n["label"])], s=60, zorder=2)
            ax.annotate(self._caption(n)[:20], (x, y), fontsize=7, xytext=(4, 2),
                        textcoords="offset points")
        ax.set_axis_off()
        return ax


def show_graph(
    source: Any,
    *,
    backend: str = "auto",
    max_nodes: int = 500,
    caption_property: Optional[str] = None,
    width: int = 800,
    height: int = 500,
    seed: int = 0,
) -> GraphView:
    """Visualise the graph in a query result (``RETURN`` nodes, relationships or paths).

    Args:
        source: a :class:`QueryResult` or a NetworkX graph.
        backend: ``"auto"`` (interactive HTML in Jupyter, matplotlib elsewhere
            when available), ``"html"`` or ``"matplotlib"``.
        max_nodes: refuse to draw more nodes than this (use LIMIT in the query).
        caption_property: node property used as caption (default name/id).

    Example:
        >>> # r = conn.query("MATCH p=(a:Customer)-[:SHARES_ACCOUNT*1..2]-(b) RETURN p LIMIT 25")
        >>> # show_graph(r)          # or r.visualize()
    """
    nodes, edges = _extract(source)
    if len(nodes) > max_nodes:
        raise ValueError(f"{len(nodes)} nodes exceed max_nodes={max_nodes}; "
                         "add a LIMIT or raise max_nodes")
    view = GraphView(nodes, edges, caption_property=caption_property, width=width,
                     height=height, seed=seed)
    from graph_olap.progress import in_notebook

    if backend == "auto":
        backend = "html" if in_notebook() else "matplotlib"
    if backend == "matplotlib":
        try:
            view.draw_matplotlib()
        except ImportError:
            pass
    # backend "html": Jupyter renders the returned view through ``_repr_html_``.
    return view
