"""The interactive graph view: :class:`GraphView` and its Jupyter widget.

Owns what a notebook shows for a graph: an anywidget (sigma.js/WebGL front end bundled in
``static/graph_view.js``) where widgets work — JupyterLab, classic Notebook, VS Code — and, in
the same output, a self-contained HTML rendering of the same view for places without a widget
manager (an exported HTML notebook, nbviewer). Clicking a node sends a message to Python, which
fetches the node's neighbours through the SDK (:meth:`InstanceConnection.neighbourhood`) and
sends the merged graph back.

Example:
    >>> import networkx as nx
    >>> view = GraphView(nx.path_graph(4), color_by=None)
    >>> view.node_count, view.edge_count
    (4, 3)
    >>> "graph_olap graph view" in view.to_html()
    True
"""

from __future__ import annotations

import html
import json
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple, Union

from graph_olap.widget._data import GraphData, NodeRecord, Style

__all__ = ["BUNDLE", "GraphView", "explore"]

BUNDLE = Path(__file__).with_name("static") / "graph_view.js"

ExpandFn = Callable[[NodeRecord], Any]


def _bundle_text() -> str:
    text = BUNDLE.read_text(encoding="utf-8")
    # Inline <script> content must not contain its own end tag.
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _script_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _widgets_available() -> bool:
    """``True`` inside a Jupyter kernel with anywidget installed."""
    try:
        import anywidget  # noqa: F401
        from IPython.core.getipython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


_WIDGET_CLASS: Any = None


def _widget_class() -> Any:
    """The anywidget class (created on first use, so anywidget stays an optional dependency)."""
    global _WIDGET_CLASS
    if _WIDGET_CLASS is not None:
        return _WIDGET_CLASS
    import anywidget
    import traitlets

    class GraphWidget(anywidget.AnyWidget):  # type: ignore[misc,unused-ignore]
        """The Jupyter widget of a :class:`GraphView` (``view.widget``)."""

        _esm = BUNDLE
        nodes: Any = traitlets.List().tag(sync=True)
        edges: Any = traitlets.List().tag(sync=True)
        legend = traitlets.Dict().tag(sync=True)
        options = traitlets.Dict().tag(sync=True)
        expandable = traitlets.Bool(False).tag(sync=True)

        def __init__(self, view: GraphView, **kwargs: Any) -> None:
            super().__init__(**view._state(), **kwargs)
            self._view = view
            self.on_msg(self._on_message)

        def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
            if isinstance(content, dict) and content.get("type") == "expand":
                self.send(self._view._handle_expand(content.get("node")))

    _WIDGET_CLASS = GraphWidget
    return GraphWidget


class GraphView:
    """An explorable picture of a graph; displays itself in Jupyter.

    Args:
        source: a :class:`~graph_olap.instance.result.QueryResult` (nodes, relationships and
            paths anywhere in it), a NetworkX graph, or ``None`` for an empty view.
        color_by: ``"label"`` (default), any node property (e.g. a Louvain community written
            back), a function of a node record, or ``None``.
        color_scale: ``"auto"``, ``"categorical"`` or ``"numeric"`` (see :class:`Style`).
        size_by: a numeric property (e.g. PageRank), ``"degree"``, or ``None``.
        caption: node property used as caption (default name/title/label/id).
        connection: an :class:`~graph_olap.instance.connection.InstanceConnection`; with it,
            clicking a node (or :meth:`expand`) adds its neighbours from the instance.
        expand: instead of ``connection``, a function ``node_record -> QueryResult | graph``.
        hops, expand_limit: how far and how many rows one expansion fetches.
        height, width: size in pixels (width defaults to the cell's width).
        layout: ``"force"`` (ForceAtlas2 in a web worker, stops by itself) or ``"none"`` (keep
            ``x``/``y`` node properties or the initial placement).
        seed: seed of the initial placement.
        arrows: draw arrow heads (default: directed graphs up to 5,000 relationships).
        edge_caption, edge_size: relationship property shown as its label / used as its width.
        static_fallback: also put the self-contained HTML rendering (the bundle and the data,
            ~0.2 MB + ~0.4 kB per node) in the notebook output, for viewers without widgets. When
            widgets are available and this is ``False``, the output holds the widget only.

    Raises:
        TypeError: ``source`` is not a result, a graph or a view.
        ValueError: an unknown ``layout``/``color_scale``, a size or count below 1, or a
            ``color_by``/``size_by`` property that no node has.

    Example:
        >>> view = GraphView(conn.query("MATCH p=(c:Customer)-[*1..2]-() RETURN p LIMIT 200"),
        ...                  color_by="bk_sectr", size_by="degree", connection=conn)
        >>> view.node_count > 0   # in Jupyter, `view` shows it: click a node to expand it
        True
    """

    def __init__(
        self,
        source: Any = None,
        *,
        color_by: Union[str, Callable[[NodeRecord], Any], None] = "label",
        color_scale: str = "auto",
        size_by: Union[str, Callable[[NodeRecord], Any], None] = None,
        caption: Optional[str] = None,
        connection: Any = None,
        expand: Optional[ExpandFn] = None,
        hops: int = 1,
        expand_limit: int = 300,
        height: int = 500,
        width: Optional[int] = None,
        layout: str = "force",
        seed: int = 0,
        arrows: Optional[bool] = None,
        edge_caption: Optional[str] = None,
        edge_size: Optional[str] = None,
        static_fallback: bool = True,
    ) -> None:
        if layout not in ("force", "none"):
            raise ValueError("layout must be 'force' or 'none'")
        for name, value in (("height", height), ("width", width), ("hops", hops),
                            ("expand_limit", expand_limit)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        self.data = GraphData() if source is None else GraphData.from_source(source)
        self.style = Style(color_by=color_by, color_scale=color_scale, size_by=size_by,
                           caption=caption).fit(self.data)
        self.connection = connection
        self.hops = hops
        self.expand_limit = expand_limit
        self.height = height
        self.width = width
        self.layout = layout
        self.seed = seed
        self.arrows = arrows
        self.edge_caption = edge_caption
        self.edge_size = edge_size
        self.static_fallback = static_fallback
        self._expand_fn: Optional[ExpandFn] = expand
        if expand is None and connection is not None:
            self._expand_fn = self._expand_from_connection
        self._widget: Any = None
        self._schema: Any = None

    # ------------------------------------------------------------ facts
    @property
    def node_count(self) -> int:
        """Number of nodes in the view."""
        return len(self.data.nodes)

    @property
    def edge_count(self) -> int:
        """Number of relationships in the view."""
        return len(self.data.edges)

    @property
    def expandable(self) -> bool:
        """``True`` when clicking a node can fetch its neighbours."""
        return self._expand_fn is not None

    def __repr__(self) -> str:
        return (f"GraphView({self.node_count} nodes, {self.edge_count} relationships"
                f"{', expandable' if self.expandable else ''})")

    # ------------------------------------------------------------ state
    def _options(self) -> Dict[str, Any]:
        arrows = self.arrows if self.arrows is not None else (
            self.data.directed and self.edge_count <= 5000)
        opts: Dict[str, Any] = {"height": self.height, "seed": self.seed, "layout": self.layout,
                                "arrows": arrows}
        if self.width:
            opts["width"] = self.width
        if self.edge_caption is not None:
            opts["edge_labels"] = True
        return opts

    def _state(self) -> Dict[str, Any]:
        return {"nodes": self.style.node_payloads(self.data.nodes),
                "edges": self.style.edge_payloads(self.data.edges, self.edge_caption, self.edge_size),
                "legend": self.style.legend(self.data),
                "options": self._options(),
                "expandable": self.expandable}

    @property
    def widget(self) -> Any:
        """The Jupyter widget (needs ``anywidget``: ``pip install graph-olap[widget]``)."""
        if self._widget is None:
            self._widget = _widget_class()(self)
        return self._widget

    def _push(self) -> None:
        if self._widget is None:
            return
        state = self._state()
        with self._widget.hold_sync():
            self._widget.nodes = state["nodes"]
            self._widget.edges = state["edges"]
            self._widget.legend = state["legend"]

    # ------------------------------------------------------------ growing
    def add(self, source: Any) -> Tuple[int, int]:
        """Merge more nodes/relationships (a result, a graph); returns ``(nodes, edges)`` added.

        Example:
            >>> import networkx as nx
            >>> v = GraphView(nx.path_graph(3))
            >>> v.add(nx.path_graph(5)), v.node_count
            ((2, 2), 5)
        """
        added = self.data.merge(GraphData.from_source(source))
        self.style.refresh_degrees(self.data)
        self._push()
        return added

    def _expand_from_connection(self, node: NodeRecord) -> Any:
        if self._schema is None:
            self._schema = self.connection.get_schema()
        return self.connection.neighbourhood(node.as_node_value(), hops=self.hops,
                                             limit=self.expand_limit, schema=self._schema)

    def expand(self, node: Any) -> Tuple[int, int]:
        """Fetch the neighbours of a node of the view and add them (what a click does).

        Args:
            node: the node's key (its ``_id``), or its record.

        Returns:
            ``(nodes added, relationships added)``.

        Raises:
            RuntimeError: the view has no ``connection`` or ``expand`` function.
            KeyError: no such node in the view.

        Example:
            >>> import networkx as nx
            >>> view = GraphView(nx.path_graph(2), expand=lambda node: nx.star_graph(3))
            >>> view.expand(0), view.node_count   # a star around node 0: leaves 2 and 3 are new
            ((2, 2), 4)
        """
        if self._expand_fn is None:
            raise RuntimeError("this view cannot expand nodes: create it with connection=conn")
        record = node if isinstance(node, NodeRecord) else self.data.node(node)
        if record is None:
            raise KeyError(f"no node {node!r} in this view")
        return self.add(self._expand_fn(record))

    def _handle_expand(self, key: Any) -> Dict[str, Any]:
        """The widget's expand message: expand, and say what happened (sent back to the page)."""
        try:
            nodes, edges = self.expand(key)
        except Exception as exc:
            return {"type": "error", "node": key, "message": f"{type(exc).__name__}: {exc}"[:300]}
        return {"type": "expanded", "node": key, "nodes_added": nodes, "edges_added": edges}

    # ------------------------------------------------------------ output
    def _fragment(self) -> str:
        uid = "go-gv-" + uuid.uuid4().hex[:10]
        state = self._state()
        state["expandable"] = False  # no kernel behind a static page
        legend = state["legend"]
        swatches = "".join(
            f"<span style='margin-left:8px'><svg width='10' height='10'><circle cx='5' cy='5' r='5' "
            f"fill='{html.escape(i['color'])}'/></svg> {html.escape(i['value'])}</span>"
            for i in legend.get("items", [])[:12])
        summary = (f"<div class='go-gv-summary' style='font:12px system-ui,sans-serif;color:#52606d;"
                   f"margin:2px 0'>{self.node_count} nodes · {self.edge_count} relationships{swatches}</div>")
        boot = (f"document.getElementById('{uid}').previousElementSibling.style.display='none';"
                "globalThis.graphOlapViews=globalThis.graphOlapViews||[];"
                f"globalThis.graphOlapViews.push(globalThis.GraphOLAPView.mount("
                f"document.getElementById('{uid}'),"
                f"JSON.parse(document.getElementById('{uid}-data').textContent)));")
        return (f"<div class='graph-olap go-gv-static'>{summary}"
                f"<div id='{uid}' class='go-gv-host'></div>"
                f"<script type='application/json' id='{uid}-data'>{_script_json(state)}</script>"
                f"<script type='module'>{_bundle_text()}\n{boot}</script></div>")

    def to_html(self, path: Union[str, Path, None] = None, *, title: str = "graph view") -> str:
        """A self-contained HTML page of the view (no network needed); written to ``path`` if given.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "graph.html")
            >>> html = GraphView(conn.query("MATCH (c:Customer) RETURN c LIMIT 5")).to_html(path)
            >>> os.path.getsize(path) > 0
            True
        """
        page = ("<!doctype html><html><head><meta charset='utf-8'>"
                "<meta name='generator' content='graph_olap graph view'>"
                f"<title>{html.escape(title)}</title></head>"
                f"<body style='margin:8px'>{self._fragment()}</body></html>")
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def _repr_html_(self) -> str:
        return self._fragment()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, Any]:
        data: Dict[str, Any] = {"text/plain": repr(self)}
        widgets = _widgets_available()
        if self.static_fallback or not widgets:
            data["text/html"] = self._fragment()
        if widgets:
            bundle = self.widget._repr_mimebundle_()
            if isinstance(bundle, tuple):
                bundle = bundle[0]
            data.update({k: v for k, v in (bundle or {}).items() if k != "text/plain"})
        return data

    def save_png(self, path: Union[str, Path], *, width: int = 1000, settle: float = 15.0) -> Path:
        """Render the view in headless Chromium (system ``chromium``) and save a PNG snapshot.

        Waits until the layout has stopped (at most ``settle`` seconds).

        Raises:
            ChromiumNotFound: no Chromium installed (``apt-get install chromium``).

        Example:
            >>> import networkx as nx, os, tempfile
            >>> from graph_olap.widget._chromium import ChromiumNotFound
            >>> path = os.path.join(tempfile.mkdtemp(), "view.png")
            >>> try:
            ...     png = GraphView(nx.path_graph(3), height=200).save_png(path).read_bytes()[1:4]
            ... except ChromiumNotFound:
            ...     png = b"PNG"
            >>> png
            b'PNG'
        """
        import tempfile

        from graph_olap.widget._chromium import Chromium

        with tempfile.TemporaryDirectory() as tmp:
            page_path = Path(tmp) / "view.html"
            self.to_html(page_path)
            with Chromium() as browser:
                page = browser.open(page_path.as_uri(), width=width, height=self.height + 60)
                page.wait_for("document.querySelector('.go-gv[data-rendered]') !== null", timeout=60)
                try:
                    page.wait_for("document.querySelector('.go-gv').dataset.layout === 'stopped'",
                                  timeout=settle)
                except Exception:
                    pass
                out = Path(path)
                out.write_bytes(page.screenshot())
        return out

    def to_networkx(self) -> Any:
        """The view's nodes and relationships as a ``networkx.MultiDiGraph``.

        Example:
            >>> import networkx as nx
            >>> g = GraphView(nx.karate_club_graph()).to_networkx()
            >>> g.number_of_nodes(), g.nodes["0"]["club"]
            (34, 'Mr. Hi')
        """
        import networkx as nx

        g = nx.MultiDiGraph()
        for n in self.data.nodes:
            g.add_node(n.key, label=n.label, **n.props)
        for e in self.data.edges:
            g.add_edge(e.source, e.target, key=e.key, type=e.type, **e.props)
        return g

    def draw_matplotlib(self, ax: Any = None) -> Any:
        """A static matplotlib drawing with the view's colours and sizes (returns the axes).

        Uses NetworkX's spring layout; meant for small graphs and printed reports.

        Example:
            >>> import matplotlib; matplotlib.use("Agg")
            >>> import networkx as nx
            >>> ax = GraphView(nx.path_graph(4), color_by=None).draw_matplotlib()
            >>> len(ax.collections) >= 2   # nodes and edges drawn
            True
        """
        import matplotlib.pyplot as plt
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(n.key for n in self.data.nodes)
        g.add_edges_from((e.source, e.target) for e in self.data.edges)
        pos = nx.spring_layout(g, seed=self.seed)
        if ax is None:
            _, ax = plt.subplots(figsize=((self.width or 800) / 100, self.height / 100))
        payload = self.style.node_payloads(self.data.nodes)
        nx.draw_networkx_edges(g, pos, ax=ax, edge_color="#9aa5b1", width=0.8)
        nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=[p["id"] for p in payload],
                               node_color=[p["color"] for p in payload],
                               node_size=[(p["size"] * 2) ** 2 for p in payload])
        if self.node_count <= 200:
            nx.draw_networkx_labels(g, pos, ax=ax, font_size=7,
                                    labels={p["id"]: p["caption"][:20] for p in payload})
        ax.set_axis_off()
        return ax


def explore(connection: Any, node: Any, hops: int = 1, *, limit: int = 500, **kwargs: Any) -> GraphView:
    """A view of ``connection.neighbourhood(node, hops)`` that expands on click.

    Example:
        >>> hub = conn.query_scalar("MATCH (c:Customer)-[:SHARES_ACCOUNT]-() RETURN c.id LIMIT 1")
        >>> explore(conn, ("Customer", hub), hops=2, color_by="bk_sectr", size_by="degree").node_count > 1
        True
    """
    result = connection.neighbourhood(node, hops=hops, limit=limit)
    return GraphView(result, connection=connection, **kwargs)
