"""Interactive graph view for notebooks (anywidget + sigma.js, bundled; no CDN).

Owns :class:`GraphView` — build it from a ``QueryResult``, a NetworkX graph or
``conn.neighbourhood(node, hops)``; colour by label or any property, size by a numeric property
or degree, hover for details, click a node to expand its neighbours from the instance — and the
data conversion behind it (:mod:`graph_olap.widget._data`). The JavaScript front end is built
from ``sdk/python/js`` into ``static/graph_view.js``; see ``docs/notebook-graph-view.md``.

Example:
    >>> import networkx as nx
    >>> view = GraphView(nx.karate_club_graph(), color_by="club", size_by="degree")
    >>> view.node_count, view.style.legend(view.data)["items"][0]["value"]
    (34, 'Mr. Hi')
"""

from graph_olap.widget._data import EdgeRecord, GraphData, NodeRecord, Style, jsonable
from graph_olap.widget._view import BUNDLE, GraphView, explore

__all__ = ["BUNDLE", "EdgeRecord", "GraphData", "GraphView", "NodeRecord", "Style", "explore",
           "jsonable"]
