"""Graph visualisation of query results (entry points kept from the first SDK).

Owns :func:`show_graph` and the :class:`GraphView` name; both now use the interactive view of
:mod:`graph_olap.widget` (sigma.js/WebGL in a Jupyter widget, a self-contained HTML rendering
where widgets are unavailable, a matplotlib drawing on request). Also the pictures that are
read rather than explored: :func:`show_schema` (labels, relationship types and counts of a
mapping or a running graph as a diagram), :func:`plot_result` (the distribution of an
algorithm's scores, community sizes, or numeric query columns) and the ops charts (cluster
health, instances over time, the export queue), with matplotlib.

Example:
    >>> from graph_olap.instance.result import QueryResult
    >>> r = QueryResult(["a", "r", "b"], ["NODE", "REL", "NODE"], [[
    ...     {"_id": 1, "_label": "Customer", "id": "C1"},
    ...     {"_id": 5, "_type": "SHARES_ACCOUNT", "_src": 1, "_dst": 2},
    ...     {"_id": 2, "_label": "Customer", "id": "C2"}]])
    >>> view = show_graph(r, backend="html")
    >>> "graph_olap graph view" in view.to_html(), view.node_count, view.edge_count
    (True, 2, 1)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from graph_olap.widget import EdgeRecord, GraphData, NodeRecord
from graph_olap.widget import GraphView as _WidgetView

__all__ = ["GraphView", "plot_cluster_health", "plot_cluster_instances", "plot_export_queue",
           "plot_instances_over_time", "plot_result", "schema_graph", "show_graph", "show_schema"]


class GraphView(_WidgetView):
    """The graph view; also accepts the first SDK's ``(nodes, edges)`` arguments.

    Args:
        nodes: a ``QueryResult`` / NetworkX graph, or a list of ``{"id", "label", "props"}``
            dicts (then ``edges`` is a list of ``(source, target, attributes)``).
        caption_property: node property used as caption.

    Other keyword arguments are those of :class:`graph_olap.widget.GraphView`.

    Example:
        >>> v = GraphView([{"id": 1, "label": "A", "props": {}}], [])
        >>> v.node_count
        1
    """

    def __init__(self, nodes: Any = None, edges: Optional[Sequence[Tuple[Any, Any, Dict[str, Any]]]] = None,
                 *, caption_property: Optional[str] = None, width: Optional[int] = None,
                 height: int = 500, seed: int = 0, **kwargs: Any) -> None:
        source = nodes
        if isinstance(nodes, list):
            source = _from_lists(nodes, list(edges or []))
        kwargs.setdefault("caption", caption_property)
        super().__init__(source, width=width, height=height, seed=seed, **kwargs)


def _from_lists(nodes: List[Dict[str, Any]], edges: List[Tuple[Any, Any, Dict[str, Any]]]) -> GraphData:
    records = [NodeRecord(str(n["id"]), n["id"], n.get("label"), dict(n.get("props") or {}))
               for n in nodes]
    links = []
    for i, (u, v, d) in enumerate(edges):
        props = {k: val for k, val in d.items() if k != "type"}
        links.append(EdgeRecord(str(d.get("_id", f"e{i}")), str(u), str(v), d.get("type"), props))
    return GraphData(records, links)


def show_graph(
    source: Any,
    *,
    backend: str = "auto",
    max_nodes: int = 50_000,
    caption_property: Optional[str] = None,
    width: Optional[int] = None,
    height: int = 500,
    seed: int = 0,
    color_by: Union[str, Any, None] = "label",
    size_by: Union[str, Any, None] = None,
    connection: Any = None,
    physics: Optional[bool] = None,
    **kwargs: Any,
) -> GraphView:
    """Visualise the graph in a query result (``RETURN`` nodes, relationships or paths).

    Args:
        source: a :class:`QueryResult`, a NetworkX graph, or ``conn.neighbourhood(...)``.
        backend: ``"auto"`` (the interactive view in Jupyter, a matplotlib drawing elsewhere
            when matplotlib is installed), ``"html"``/``"widget"`` (the interactive view) or
            ``"matplotlib"``.
        max_nodes: refuse to draw more nodes than this (use LIMIT in the query).
        caption_property: node property used as caption (default name/id).
        color_by: ``"label"``, a node property (e.g. a community) or ``None``.
        size_by: a numeric node property (e.g. PageRank), ``"degree"`` or ``None``.
        connection: the instance connection; with it, clicking a node expands it.
        physics: ``False`` keeps the initial placement (no force layout).

    Other keyword arguments go to :class:`graph_olap.widget.GraphView`.

    Example:
        >>> r = conn.query("MATCH p=(a:Customer)-[:SHARES_ACCOUNT*1..2]-(b) RETURN p LIMIT 500")
        >>> view = show_graph(r, backend="html", color_by="bk_sectr", size_by="degree", connection=conn)
        >>> view.node_count > 0
        True
    """
    if backend not in ("auto", "html", "widget", "matplotlib"):
        raise ValueError("backend must be 'auto', 'html', 'widget' or 'matplotlib'")
    if physics is False:
        kwargs.setdefault("layout", "none")
    data = GraphData.from_source(source)
    if len(data) > max_nodes:
        raise ValueError(f"{len(data)} nodes exceed max_nodes={max_nodes}; "
                         "add a LIMIT or raise max_nodes")
    view = GraphView(data, caption_property=caption_property, width=width, height=height,
                     seed=seed, color_by=color_by, size_by=size_by, connection=connection, **kwargs)
    from graph_olap.progress import in_notebook

    if backend == "auto":
        backend = "html" if in_notebook() else "matplotlib"
    if backend == "matplotlib":
        try:
            view.draw_matplotlib()
        except ImportError:
            pass
    # In Jupyter the returned view displays itself (widget, or HTML where widgets are unavailable).
    return view


def schema_graph(source: Any) -> GraphData:
    """Labels as nodes and relationship types as edges, from a schema, connection or mapping.

    ``source`` is a :class:`~graph_olap.models.instance.GraphSchema` (with counts), anything
    with ``get_schema()`` (an instance connection), or a mapping / mapping version (its node and
    edge definitions, no counts).

    Example:
        >>> from graph_olap.models.instance import GraphSchema
        >>> s = GraphSchema.from_dict({"node_tables": [
        ...     {"label": "Customer", "properties": {"id": "STRING"}, "node_count": 10}],
        ...     "edge_tables": [{"type": "SHARES_ACCOUNT", "from_node": "Customer",
        ...                      "to_node": "Customer", "edge_count": 25}]})
        >>> g = schema_graph(s)
        >>> [(n.key, n.props["count"]) for n in g.nodes], [e.props["caption"] for e in g.edges]
        ([('Customer', 10)], ['SHARES_ACCOUNT (25)'])
    """
    if callable(getattr(source, "get_schema", None)):
        source = source.get_schema()
    nodes: List[NodeRecord] = []
    edges: List[EdgeRecord] = []
    if hasattr(source, "node_tables"):
        for t in source.node_tables:
            props = list(getattr(t, "properties", {}) or {})
            name = t.label if t.node_count is None else f"{t.label} ({t.node_count:,})"
            nodes.append(NodeRecord(t.label, t.label, t.label,
                                    {"name": name, "count": t.node_count, "properties": props,
                                     "primary_key": getattr(t, "primary_key", None)}))
        for e in source.edge_tables:
            count = getattr(e, "edge_count", None)
            caption = e.type if count is None else f"{e.type} ({count:,})"
            if e.from_node == e.to_node:  # a loop is hard to see: name it on its label too
                for n in nodes:
                    if n.key == e.from_node:
                        n.props["name"] = f"{n.props['name']} ↻ {caption}"
            edges.append(EdgeRecord(e.type, str(e.from_node), str(e.to_node), e.type,
                                    {"count": count, "caption": caption,
                                     "properties": list(getattr(e, "properties", {}) or {})}))
    elif hasattr(source, "node_definitions"):
        for d in source.node_definitions:
            nodes.append(NodeRecord(d.label, d.label, d.label,
                                    {"name": d.label, "count": None,
                                     "primary_key": d.primary_key.name,
                                     "properties": [p.name for p in d.properties]}))
        for ed in source.edge_definitions:
            edges.append(EdgeRecord(ed.type, ed.from_node, ed.to_node, ed.type,
                                    {"count": None, "caption": ed.type,
                                     "properties": [p.name for p in ed.properties]}))
    else:
        raise TypeError("expected a GraphSchema, a connection or a mapping")
    return GraphData(nodes, edges)


def show_schema(source: Any, *, height: int = 360, **kwargs: Any) -> GraphView:
    """The schema of a mapping or a running graph as a diagram: one node per label (sized by
    its count when known), one edge per relationship type, captioned with its count.

    Example:
        >>> show_schema(conn).node_count              # counts from the instance
        1
        >>> show_schema(client.mappings.get(mapping.id)).edge_count
        1
    """
    data = schema_graph(source)
    counted = any(isinstance(n.props.get("count"), int) for n in data.nodes)
    kwargs.setdefault("size_by", "count" if counted else None)
    kwargs.setdefault("edge_caption", "caption")
    kwargs.setdefault("arrows", True)
    view = GraphView(data, height=height, **kwargs)
    view.style.min_size, view.style.max_size = 10.0, 26.0
    return view


def _numeric(values: Sequence[Any]) -> List[float]:
    return [float(v) for v in values
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]


def plot_result(result: Any, column: Optional[str] = None, *, by: Optional[str] = None,
                kind: str = "auto", bins: int = 40, top: int = 30, log: bool = False,
                ax: Any = None) -> Any:
    """A matplotlib chart of a query or algorithm result (returns the axes).

    Args:
        result: a ``QueryResult`` (or anything with ``columns`` and ``column(name)``).
        column: the column to plot (default: the last numeric column).
        by: a category column; with it, a bar of ``column`` per category (top ``top``).
        kind: ``"hist"`` (distribution, e.g. PageRank), ``"sizes"`` (how many rows share each
            value, e.g. community sizes), ``"bar"`` (needs ``by``) or ``"auto"``: ``bar`` with
            ``by``, ``sizes`` for integer columns with repeated values, else ``hist``.
        log: logarithmic value axis (long-tailed centralities).

    Example:
        >>> run = conn.algo.pagerank("Customer", "viz_pr", show_progress=False)
        >>> r = conn.query("MATCH (c:Customer) RETURN c.id AS id, c.viz_pr AS pr")
        >>> ax = plot_result(r, "pr", log=True)            # distribution of PageRank
        >>> ax.get_yscale()
        'log'
    """
    import matplotlib.pyplot as plt

    if column is None:
        numeric_cols = [c for c in result.columns if _numeric(result.column(c)[:200])]
        if not numeric_cols:
            raise ValueError("no numeric column to plot; name one with column=")
        column = numeric_cols[-1]
    values = result.column(column)
    if kind == "auto":
        if by is not None:
            kind = "bar"
        else:
            ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
            kind = "sizes" if ints and len(ints) == len([v for v in values if v is not None]) \
                and len(set(ints)) < 0.5 * len(ints) else "hist"
    if kind not in ("hist", "sizes", "bar"):
        raise ValueError("kind must be 'auto', 'hist', 'sizes' or 'bar'")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    if kind == "hist":
        nums = _numeric(values)
        ax.hist(nums, bins=bins, color="#1f77b4", log=log)
        ax.set_xlabel(column)
        ax.set_ylabel("rows")
        ax.set_title(f"distribution of {column} ({len(nums):,} values)")
    elif kind == "sizes":
        counts: Dict[Any, int] = {}
        for v in values:
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        shown = ranked[:top]
        ax.bar([str(k) for k, _ in shown], [n for _, n in shown], color="#1f77b4", log=log)
        ax.set_xlabel(column)
        ax.set_ylabel("rows")
        rest = f", top {top} shown" if len(ranked) > top else ""
        ax.set_title(f"sizes by {column} ({len(ranked):,} values{rest})")
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    else:
        if by is None:
            raise ValueError("kind='bar' needs by=<category column>")
        pairs = [(k, v) for k, v in zip(result.column(by), values) if _numeric([v])]
        pairs.sort(key=lambda kv: -float(kv[1]))
        shown_pairs = pairs[:top]
        ax.bar([str(k) for k, _ in shown_pairs], [float(v) for _, v in shown_pairs],
               color="#1f77b4", log=log)
        ax.set_xlabel(by)
        ax.set_ylabel(column)
        ax.set_title(f"{column} by {by}" + (f" (top {top})" if len(pairs) > top else ""))
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    ax.figure.tight_layout()
    return ax


_STATUS_COLOURS = {"healthy": "#2ca02c", "ok": "#2ca02c", "running": "#2ca02c", "completed": "#2ca02c",
                   "ready": "#2ca02c", "degraded": "#ff7f0e", "pending": "#9aa5b1", "claimed": "#1f77b4",
                   "starting": "#1f77b4", "waiting_for_snapshot": "#9aa5b1", "unhealthy": "#d62728",
                   "failed": "#d62728", "terminated": "#7f7f7f", "cancelled": "#7f7f7f"}


def _status_colour(status: Any) -> str:
    return _STATUS_COLOURS.get(str(status).lower(), "#8c564b")


def _axes(ax: Any, size: Tuple[float, float] = (6, 3)) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_cluster_health(health: Any, *, ax: Any = None) -> Any:
    """Latency of each platform component, coloured by its status (``ops.get_cluster_health()``).

    Example:
        >>> ax = plot_cluster_health(ops.ops.get_cluster_health())
    """
    ax = _axes(ax)
    comps = sorted(health.components.items())
    names = [name for name, _ in comps]
    latency = [float(c.latency_ms or 0) for _, c in comps]
    ax.barh(names, latency, color=[_status_colour(c.status) for _, c in comps])
    for i, (_, c) in enumerate(comps):
        ax.annotate(f" {c.status}", (latency[i], i), va="center", fontsize=8)
    ax.set_xlabel("latency (ms)")
    ax.set_title(f"cluster health: {health.status}")
    ax.figure.tight_layout()
    return ax


def plot_cluster_instances(instances: Any, *, ax: Any = None) -> Any:
    """Instances by status against the cluster limit (``ops.get_cluster_instances()``).

    Example:
        >>> ax = plot_cluster_instances(ops.ops.get_cluster_instances())
    """
    ax = _axes(ax)
    items = sorted(instances.by_status.items())
    ax.bar([k for k, _ in items], [v for _, v in items], color=[_status_colour(k) for k, _ in items])
    limit = instances.limits.cluster_total
    if limit:
        ax.axhline(limit, color="#d62728", linestyle="--", linewidth=1)
        ax.annotate(f"cluster limit {limit}", (0, limit), xytext=(2, 2), textcoords="offset points",
                    fontsize=8, color="#d62728")
    ax.set_ylabel("instances")
    used = instances.limits.cluster_used
    ax.set_title(f"{instances.total} instances · {used} of {limit if limit else '∞'} slots used")
    ax.figure.tight_layout()
    return ax


def plot_instances_over_time(instances: Sequence[Any], *, ax: Any = None) -> Any:
    """How many instances existed at each moment: created → terminated (or still alive).

    ``instances``: instance records (``client.instances.list()`` items), with ``created_at``
    and ``terminated_at`` timestamps.

    Example:
        >>> ax = plot_instances_over_time(client.instances.list(limit=500))
    """
    from datetime import datetime, timezone

    events: List[Tuple[Any, int]] = []
    for inst in instances:
        start = getattr(inst, "created_at", None)
        if start is None:
            continue
        events.append((start, 1))
        end = getattr(inst, "terminated_at", None)
        if end is not None:
            events.append((end, -1))
    ax = _axes(ax, (7, 3))
    if not events:
        ax.set_title("no instances")
        return ax
    events.sort(key=lambda e: e[0])
    times, counts, level = [], [], 0
    for when, delta in events:
        level += delta
        times.append(when)
        counts.append(level)
    now = datetime.now(timezone.utc) if getattr(times[-1], "tzinfo", None) else datetime.now()
    times.append(max(now, times[-1]))
    counts.append(level)
    ax.step(times, counts, where="post", color="#1f77b4")
    ax.fill_between(times, counts, step="post", alpha=0.2, color="#1f77b4")
    ax.set_ylabel("instances")
    ax.set_title(f"instances over time (peak {max(counts)}, now {level})")
    ax.figure.autofmt_xdate()
    return ax


def _field(record: Any, name: str) -> Any:
    """A field of a dict (the original SDK's export-job shape) or of a model."""
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def _when(value: Any) -> Any:
    """A timestamp as ``datetime`` (ISO-8601 strings parsed), or ``None``."""
    from datetime import datetime

    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def plot_export_queue(jobs: Sequence[Any], *, ax: Any = None) -> Any:
    """Export jobs by status, with the mean run time of completed ones.

    ``jobs`` are what ``ops.get_export_jobs()`` returns (dicts, as in the original SDK) or
    :class:`~graph_olap.models.ops.ExportJob` models.

    Example:
        >>> ax = plot_export_queue(ops.ops.get_export_jobs(limit=500))
        >>> ax.get_title().startswith("export queue: ")
        True
    """
    counts: Dict[str, int] = {}
    durations = []
    for job in jobs:
        status = _field(job, "status")
        counts[status] = counts.get(status, 0) + 1
        started, done = _when(_field(job, "started_at")), _when(_field(job, "completed_at"))
        if started is not None and done is not None:
            durations.append((done - started).total_seconds())
    ax = _axes(ax)
    order: List[str] = [k for k in ("pending", "claimed", "running", "completed", "failed") if k in counts]
    order += sorted(k for k in counts if k not in order)
    ax.bar(order, [counts[k] for k in order], color=[_status_colour(k) for k in order])
    ax.set_ylabel("export jobs")
    mean = f" · mean run {sum(durations) / len(durations):.1f} s" if durations else ""
    ax.set_title(f"export queue: {sum(counts.values())} jobs{mean}")
    ax.figure.tight_layout()
    return ax
