"""Typed algorithm methods, GENERATED from the instance's algorithm catalogue — do not edit.

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

from typing import Any, Optional

from graph_olap.instance._manager import DEFAULT_WAIT_SECONDS, LabelArg, _first, _Manager
from graph_olap.models.execution import AlgorithmExecution

__all__ = ["GeneratedAlgorithms", "GeneratedNetworkX"]

#: Catalogue entries this module was generated from: namespace → {name: parameter names}.
CATALOGUE_PARAMETERS = {
    'algo': {
        'pagerank': ['damping_factor', 'max_iterations', 'tolerance'],
        'betweenness': ['normalized', 'sample_size', 'seed'],
        'degree': ['direction'],
        'wcc': ['max_iterations'],
        'scc': ['max_iterations'],
        'scc_kosaraju': [],
        'louvain': ['resolution', 'max_phases', 'max_iterations', 'seed'],
        'label_propagation': ['max_iterations', 'seed'],
        'kcore': [],
        'triangle_count': [],
    },
    'networkx': {
        'degree_centrality': [],
        'in_degree_centrality': [],
        'out_degree_centrality': [],
        'betweenness_centrality': ['k', 'normalized', 'seed'],
        'closeness_centrality': ['wf_improved'],
        'eigenvector_centrality': ['max_iter', 'tol'],
        'pagerank': ['alpha', 'max_iter', 'tol'],
        'clustering': [],
        'average_clustering': [],
        'density': [],
    },
}


class GeneratedAlgorithms(_Manager):
    """Typed methods of ``conn.algo`` (native algorithms).

    Example:
        >>> CATALOGUE_PARAMETERS['algo']['louvain']
        ['resolution', 'max_phases', 'max_iterations', 'seed']
    """

    def pagerank(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        damping_factor: Optional[float] = None,
        damping: float = 0.85,
        max_iterations: int = 100,
        tolerance: float = 1e-06,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """PageRank score of every node (random-surfer importance along edge direction) — catalogue ``algo/pagerank``.

        ``damping`` is ``damping_factor`` (either name works).

        Writes PageRank score (sums to 1) (DOUBLE) to ``property_name`` (default ``pagerank``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            damping_factor: Probability of following an edge rather than teleporting (server default 0.85; min 0, max 1).
            damping: Same as ``damping_factor``; its default 0.85 is sent when ``damping_factor`` is not given (the original package's name).
            max_iterations: Maximum power iterations (server default 20; min 1, max 1000). Sent as 100 unless given (the original package's default).
            tolerance: Stop when the L1 change falls below n × tolerance (server default 1e-07; min 0). Sent as 1e-06 unless given (the original package's default).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.pagerank("Customer", "algo_pagerank").status
            'completed'
        """
        return self._named("pagerank", node_label, property_name, edge_type, result_property,
                           "pagerank", {"timeout": timeout, "wait": wait, **kw},
                           damping_factor=_first(damping_factor, damping), max_iterations=max_iterations, tolerance=tolerance)

    def betweenness(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        normalized: Optional[bool] = None,
        sample_size: Optional[int] = None,
        seed: Optional[int] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Fraction of shortest paths passing through each node (exact Brandes, or sampled sources) — catalogue ``algo/betweenness``.

        Writes betweenness centrality (DOUBLE) to ``property_name`` (default ``betweenness``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            normalized: Divide by the number of node pairs (server default true).
            sample_size: Number of sampled source nodes (null = exact); alias `k` (server default null; min 1, max 10000).
            seed: Random seed; identical inputs and seed give identical results (null = 0) (server default 0; min 0).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.betweenness("Customer", "algo_betweenness").status
            'completed'
        """
        return self._named("betweenness", node_label, property_name, edge_type, result_property,
                           "betweenness", {"timeout": timeout, "wait": wait, **kw},
                           normalized=normalized, sample_size=sample_size, seed=seed)

    def degree(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        direction: Optional[str] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Number of relationships of each node (parallel relationships each count) — catalogue ``algo/degree``.

        Writes degree (INT64) to ``property_name`` (default ``degree``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            direction: Which relationships to count (server default "both"; in | out | both).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.degree("Customer", "algo_degree").status
            'completed'
        """
        return self._named("degree", node_label, property_name, edge_type, result_property,
                           "degree", {"timeout": timeout, "wait": wait, **kw},
                           direction=direction)

    def wcc(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        max_iterations: Optional[int] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Connected components ignoring edge direction; id = smallest member _id — catalogue ``algo/wcc``.

        Writes component id (smallest member _id) (INT64) to ``property_name`` (default ``wcc``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            max_iterations: Accepted for compatibility and ignored (the algorithm is exact) (server default 20; min 1, max 1000).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.wcc("Customer", "algo_wcc").status
            'completed'
        """
        return self._named("wcc", node_label, property_name, edge_type, result_property,
                           "wcc", {"timeout": timeout, "wait": wait, **kw},
                           max_iterations=max_iterations)

    def connected_components(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        max_iterations: Optional[int] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Connected components ignoring edge direction; id = smallest member _id — catalogue ``algo/wcc``.

        The same as :meth:`wcc` with the default property ``component``.

        Writes component id (smallest member _id) (INT64) to ``property_name`` (default ``component``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            max_iterations: Accepted for compatibility and ignored (the algorithm is exact) (server default 20; min 1, max 1000).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.connected_components("Customer", "algo_connected_components").status
            'completed'
        """
        return self._named("wcc", node_label, property_name, edge_type, result_property,
                           "component", {"timeout": timeout, "wait": wait, **kw},
                           max_iterations=max_iterations)

    def scc(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        max_iterations: Optional[int] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Strongly connected components (Tarjan); id = smallest member _id — catalogue ``algo/scc``.

        Writes component id (smallest member _id) (INT64) to ``property_name`` (default ``scc``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            max_iterations: Accepted for compatibility and ignored (the algorithm is exact) (server default 20; min 1, max 1000).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.scc("Customer", "algo_scc").status
            'completed'
        """
        return self._named("scc", node_label, property_name, edge_type, result_property,
                           "scc", {"timeout": timeout, "wait": wait, **kw},
                           max_iterations=max_iterations)

    def scc_kosaraju(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Strongly connected components by Kosaraju's algorithm; same ids as scc — catalogue ``algo/scc_kosaraju``.

        Writes component id (smallest member _id) (INT64) to ``property_name`` (default ``scc``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.scc_kosaraju("Customer", "algo_scc_kosaraju").status
            'completed'
        """
        return self._named("scc_kosaraju", node_label, property_name, edge_type, result_property,
                           "scc", {"timeout": timeout, "wait": wait, **kw})

    def louvain(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        resolution: float = 1.0,
        max_phases: Optional[int] = None,
        max_iterations: Optional[int] = None,
        seed: Optional[int] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Modularity-maximising communities (Louvain); id = smallest member _id — catalogue ``algo/louvain``.

        Writes community id (smallest member _id) (INT64) to ``property_name`` (default ``community``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            resolution: Resolution γ; below 1 favours larger communities (server default 1.0; min 0). Sent as 1.0 unless given (the original package's default).
            max_phases: Maximum aggregation phases (server default 20; min 1, max 100).
            max_iterations: Maximum local-moving sweeps per phase (server default 20; min 1, max 1000).
            seed: Random seed; identical inputs and seed give identical results (null = 0) (server default 0; min 0).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.louvain("Customer", "algo_louvain").status
            'completed'
        """
        return self._named("louvain", node_label, property_name, edge_type, result_property,
                           "community", {"timeout": timeout, "wait": wait, **kw},
                           resolution=resolution, max_phases=max_phases, max_iterations=max_iterations, seed=seed)

    def label_propagation(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        max_iterations: int = 100,
        seed: Optional[int] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Semi-synchronous label propagation communities; id = smallest member _id — catalogue ``algo/label_propagation``.

        Writes community id (smallest member _id) (INT64) to ``property_name`` (default ``label``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            max_iterations: Maximum sweeps (server default 100; min 1, max 1000). Sent as 100 unless given (the original package's default).
            seed: Random seed; identical inputs and seed give identical results (null = 0) (server default 0; min 0).
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.label_propagation("Customer", "algo_label_propagation").status
            'completed'
        """
        return self._named("label_propagation", node_label, property_name, edge_type, result_property,
                           "label", {"timeout": timeout, "wait": wait, **kw},
                           max_iterations=max_iterations, seed=seed)

    def kcore(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Core number of every node (largest k such that the node is in a k-core) — catalogue ``algo/kcore``.

        Writes core number (INT64) to ``property_name`` (default ``core``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.kcore("Customer", "algo_kcore").status
            'completed'
        """
        return self._named("kcore", node_label, property_name, edge_type, result_property,
                           "core", {"timeout": timeout, "wait": wait, **kw})

    def triangle_count(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: LabelArg = None,
        *,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Number of triangles through each node — catalogue ``algo/triangle_count``.

        Writes triangles through the node (INT64) to ``property_name`` (default ``triangles``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            edge_type: relationship type (or list) in scope.
            timeout: seconds to wait for the execution.
            wait: ``False`` returns the running execution at once.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.algo.triangle_count("Customer", "algo_triangle_count").status
            'completed'
        """
        return self._named("triangle_count", node_label, property_name, edge_type, result_property,
                           "triangles", {"timeout": timeout, "wait": wait, **kw})


class GeneratedNetworkX(_Manager):
    """Typed methods of ``conn.networkx`` (NetworkX-compatible algorithms).

    Example:
        >>> CATALOGUE_PARAMETERS['networkx']['betweenness_centrality']
        ['k', 'normalized', 'seed']
    """

    def degree_centrality(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Degree divided by n − 1 — catalogue ``networkx/degree_centrality``.

        Writes Degree divided by n − 1 (DOUBLE) to ``property_name`` (default ``degree_centrality``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.degree_centrality("Customer", "nx_degree_centrality").status
            'completed'
        """
        return self._named("degree_centrality", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "degree_centrality", kw)

    def in_degree_centrality(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """In-degree divided by n − 1 — catalogue ``networkx/in_degree_centrality``.

        Writes In-degree divided by n − 1 (DOUBLE) to ``property_name`` (default ``in_degree_centrality``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.in_degree_centrality("Customer", "nx_in_degree_centrality").status
            'completed'
        """
        return self._named("in_degree_centrality", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "in_degree_centrality", kw)

    def out_degree_centrality(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Out-degree divided by n − 1 — catalogue ``networkx/out_degree_centrality``.

        Writes Out-degree divided by n − 1 (DOUBLE) to ``property_name`` (default ``out_degree_centrality``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.out_degree_centrality("Customer", "nx_out_degree_centrality").status
            'completed'
        """
        return self._named("out_degree_centrality", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "out_degree_centrality", kw)

    def betweenness_centrality(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        k: Optional[int] = None,
        normalized: Optional[bool] = None,
        seed: Optional[int] = None,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Shortest-path betweenness centrality (k sampled sources when k is set) — catalogue ``networkx/betweenness_centrality``.

        Writes Shortest-path betweenness centrality (k sampled sources when k is set) (DOUBLE) to ``property_name`` (default ``betweenness_centrality``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            k: Number of sampled source nodes (null = all) (server default null; min 1).
            normalized: Normalise by the number of node pairs (server default true).
            seed: Random seed; identical inputs and seed give identical results (null = 0) (server default null; min 0).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.betweenness_centrality("Customer", "nx_betweenness_centrality").status
            'completed'
        """
        return self._named("betweenness_centrality", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "betweenness_centrality", kw,
                           k=k, normalized=normalized, seed=seed)

    def closeness_centrality(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        wf_improved: Optional[bool] = None,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Closeness centrality (incoming distances on directed graphs) — catalogue ``networkx/closeness_centrality``.

        Writes Closeness centrality (incoming distances on directed graphs) (DOUBLE) to ``property_name`` (default ``closeness_centrality``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            wf_improved: Wasserman–Faust scaling for disconnected graphs (server default true).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.closeness_centrality("Customer", "nx_closeness_centrality").status
            'completed'
        """
        return self._named("closeness_centrality", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "closeness_centrality", kw,
                           wf_improved=wf_improved)

    def eigenvector_centrality(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        max_iter: int = 100,
        tol: Optional[float] = None,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Eigenvector centrality (fails if power iteration does not converge in max_iter) — catalogue ``networkx/eigenvector_centrality``.

        Writes Eigenvector centrality (fails if power iteration does not converge in max_iter) (DOUBLE) to ``property_name`` (default ``eigenvector_centrality``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            max_iter: Maximum number of iterations (server default 100; min 1, max 100000). Sent as 100 unless given (the original package's default).
            tol: Error tolerance used to check convergence (server default 1e-06; min 0).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.eigenvector_centrality("Customer", "nx_eigenvector_centrality", max_iter=1000).status
            'completed'
        """
        return self._named("eigenvector_centrality", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "eigenvector_centrality", kw,
                           max_iter=max_iter, tol=tol)

    def pagerank(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        alpha: Optional[float] = None,
        max_iter: Optional[int] = None,
        tol: Optional[float] = None,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """PageRank (fails if it does not converge in max_iter) — catalogue ``networkx/pagerank``.

        Writes PageRank (fails if it does not converge in max_iter) (DOUBLE) to ``property_name`` (default ``nx_pagerank``); graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            alpha: Damping parameter (server default 0.85; min 0, max 1).
            max_iter: Maximum number of iterations (server default 100; min 1, max 100000).
            tol: Error tolerance used to check convergence (server default 1e-06; min 0).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.pagerank("Customer", "nx_pagerank").status
            'completed'
        """
        return self._named("pagerank", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "nx_pagerank", kw,
                           alpha=alpha, max_iter=max_iter, tol=tol)

    def clustering(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Local clustering coefficient — catalogue ``networkx/clustering``.

        Writes Local clustering coefficient (DOUBLE) to ``property_name`` (default ``clustering``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.clustering("Customer", "nx_clustering").status
            'completed'
        """
        return self._named("clustering", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "clustering", kw)

    def clustering_coefficient(
        self,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        *,
        result_property: Optional[str] = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Local clustering coefficient — catalogue ``networkx/clustering``.

        The same as :meth:`clustering` (local clustering coefficient).

        Writes Local clustering coefficient (DOUBLE) to ``property_name`` (default ``clustering``); graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=`` also works).
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.clustering_coefficient("Customer", "nx_clustering_coefficient").status
            'completed'
        """
        return self._named("clustering", node_label, property_name, kw.pop("edge_type", None),
                           result_property, "clustering", kw)

    def average_clustering(
        self,
        node_label: LabelArg = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Mean local clustering coefficient — catalogue ``networkx/average_clustering``.

        Returns a single number (result.value) in ``.value`` (scalar); nothing is written; graph: undirected.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.average_clustering("Customer").status
            'completed'
        """
        return self.run("average_clustering", node_label, None, write_back=False, **kw)

    def density(
        self,
        node_label: LabelArg = None,
        **kw: Any,
    ) -> AlgorithmExecution:
        """Edges divided by possible edges — catalogue ``networkx/density``.

        Returns a single number (result.value) in ``.value`` (scalar); nothing is written; graph: directed.

        Args:
            node_label: label (or list of labels) in scope; ``None`` = every node.
            **kw: any other ``run()`` argument or catalogue parameter.

        Example:
            >>> conn.networkx.density("Customer").status
            'completed'
        """
        return self.run("density", node_label, None, write_back=False, **kw)
