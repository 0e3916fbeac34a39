"""One call to draw a running instance's graph in a notebook.

Example:
    >>> from graph_olap import visualize
    >>> "Customers" in visualize(conn, limit=300, title="Customers").data
    True
"""

from __future__ import annotations

import html
from typing import Any, Union

__all__ = ["visualize"]


def _height_px(height: Union[str, int]) -> int:
    text = str(height).strip().lower()
    if text.endswith("px"):
        text = text[:-2]
    try:
        return max(100, int(float(text)))
    except ValueError:
        return 600


def visualize(wrapper_url: Any, limit: int = 200, height: Union[str, int] = "600px",
              title: str = "Graph", physics: bool = True) -> Any:
    """Draw up to ``limit`` relationships of an instance (with their end nodes).

    Args:
        wrapper_url: an :class:`~graph_olap.instance.connection.InstanceConnection`,
            or the instance URL (``instance.instance_url``; credentials come from
            the ``GRAPH_OLAP_*`` environment).
        limit: maximum number of relationships drawn.
        height: drawing height (``"600px"`` or pixels).
        title: heading shown above the drawing.
        physics: let the layout keep moving (force simulation) after the first layout.

    Returns:
        ``IPython.display.HTML`` when IPython is available, else the graph view.

    Example:
        >>> "relationships" in visualize(client.instances.connect(inst.id), limit=100).data
        True
    """
    from graph_olap.instance.connection import InstanceConnection
    from graph_olap.viz import show_graph

    own = not isinstance(wrapper_url, InstanceConnection)
    conn = InstanceConnection(str(wrapper_url)) if own else wrapper_url
    try:
        result = conn.query(f"MATCH (n)-[r]->(m) RETURN n, r, m LIMIT {int(limit)}")
    finally:
        if own:
            conn.close()
    header = (f"<div class='graph-olap'><b>{html.escape(title)}</b> — "
              f"{len(result)} relationships</div>")
    if not len(result):
        body = "<p class='go-muted'>No relationships found in this graph.</p>"
        view: Any = None
    else:
        try:
            view = show_graph(result, backend="html", height=_height_px(height), physics=physics)
        except TypeError:  # views without a physics switch
            view = show_graph(result, backend="html", height=_height_px(height))
        body = view._repr_html_() if hasattr(view, "_repr_html_") else str(view)
    try:
        from IPython.core.display import HTML
    except ImportError:
        return view
    return HTML(header + body)
