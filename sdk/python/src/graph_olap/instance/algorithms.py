"""Graph algorithms on an instance: native (``conn.algo``) and NetworkX-compatible (``conn.networkx``).

Owns starting executions (``202 Accepted``), polling them to completion with a
progress display, cancellation, history, the catalogue, and typed convenience
methods (API.md §10.8–10.12).  Results are written back as node properties and
are queryable with Cypher.

Two calling conventions work everywhere:

* ``conn.algo.pagerank("Customer", "pr", "SHARES_ACCOUNT", damping=0.85, timeout=300)``
  — label, result property, edge type positionally; ``timeout`` is how long to
  wait (seconds); ``wait=False`` returns as soon as the execution started;
* ``conn.algo.pagerank("Customer", result_property="pr", damping_factor=0.85)``
  — the API's own names (``property_name`` = ``result_property``,
  ``damping`` = ``damping_factor``, ``params`` = ``parameters``).

Example:
    >>> run = conn.algo.pagerank("Customer", "pr", show_progress=False)
    >>> top = conn.query("MATCH (c:Customer) RETURN c.id, c.pr ORDER BY c.pr DESC LIMIT 5")
    >>> run.status, top.row_count
    ('completed', 5)
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

from graph_olap.instance._generated import GeneratedAlgorithms, GeneratedNetworkX
from graph_olap.instance._manager import DEFAULT_WAIT_SECONDS, LabelArg, _drop_none
from graph_olap.models.execution import AlgorithmExecution

__all__ = ["DEFAULT_WAIT_SECONDS", "AlgorithmManager", "LabelArg", "NetworkXManager"]


class AlgorithmManager(GeneratedAlgorithms):
    """Native algorithms (``/algo``), implemented in Rust over a CSR.

    Besides the typed methods below, every catalogue entry (``leiden``,
    ``closeness``, ``harmonic``, ``eigenvector``, ``katz``, ``fastrp``,
    ``node_similarity`` …) can be called as a method with its parameters as
    keyword arguments.  Every method takes ``(node_label, property_name,
    edge_type)`` positionally plus ``timeout=`` (seconds to wait) and ``wait=``.

    Example:
        >>> conn.algo.louvain("Customer", "community", seed=1, show_progress=False).result["communities"] > 0
        True
    """

    _prefix = "algo"

    def shortest_path(
        self,
        source_id: Union[str, int],
        target_id: Union[str, int],
        *,
        relationship_types: Optional[Sequence[str]] = None,
        max_depth: Optional[int] = None,
        timeout: Optional[float] = 60,
        source_label: Optional[str] = None,
        target_label: Optional[str] = None,
        direction: Optional[str] = None,
        timeout_ms: Optional[int] = None,
    ) -> AlgorithmExecution:
        """Unweighted shortest path between two primary-key values (synchronous).

        ``timeout`` (seconds) bounds the search on the server (``timeout_ms`` wins
        when both are given).  ``result`` has ``found``, ``length``, ``path``
        (keys), ``nodes`` and ``relationships``.

        Example:
            >>> a, b = conn.query("MATCH (a:Customer)-[:SHARES_ACCOUNT]->(b:Customer) "
            ...                   "RETURN a.id, b.id LIMIT 1").rows[0]
            >>> p = conn.algo.shortest_path(a, b, max_depth=6)
            >>> p.result["found"], p.result["path"] == [a, b]
            (True, True)
        """
        if timeout_ms is None and timeout is not None:
            timeout_ms = int(float(timeout) * 1000)
        body = _drop_none({
            "source_id": source_id, "target_id": target_id, "source_label": source_label,
            "target_label": target_label,
            "relationship_types": list(relationship_types) if relationship_types else None,
            "max_depth": max_depth, "direction": direction, "timeout_ms": timeout_ms,
        })
        return AlgorithmExecution.from_dict(self._http.post("/algo/shortest_path", json=body))


class NetworkXManager(GeneratedNetworkX):
    """NetworkX-compatible algorithms (``/networkx``), named like the NetworkX functions.

    Any catalogue entry can be called as a method: ``conn.networkx.katz_centrality(...)``
    is ``conn.networkx.run("katz_centrality", ...)``.  The catalogue is every NetworkX
    function that takes a graph: our native kernels where we have them, the rest run in real
    NetworkX in a worker process on the instance (``list()`` entries say which in
    ``implementation``).  Node arguments (``source``, ``target``, ``ebunch`` …) are node ids
    (``id(n)``).  Per-node results are written to ``result_property`` when one is given,
    otherwise they come back in ``.value`` keyed by node id; paths, edge lists, graphs and
    numbers come back in ``.value``; ``max_items`` bounds generator results.

    Example:
        >>> conn.networkx.degree_centrality("Customer", "dc", show_progress=False).status
        'completed'
        >>> conn.networkx.run("katz_centrality", "Customer", "katz", params={"alpha": 0.1},
        ...                   show_progress=False).status
        'completed'
        >>> 0 < conn.networkx.density(show_progress=False).value <= 1
        True
    """

    _prefix = "networkx"
