"""Graph algorithms on an instance: native (``conn.algo``) and NetworkX-compatible (``conn.networkx``).

Owns starting executions (``202 Accepted``), polling them to completion with a
progress display, cancellation, history, and typed convenience methods
(API.md §10.8–10.12).  Results are written back as node properties and are
queryable with Cypher.

Example:
    >>> # run = conn.algo.pagerank("Customer", result_property="pr")
    >>> # conn.query("MATCH (c:Customer) RETURN c.id, c.pr ORDER BY c.pr DESC LIMIT 5").show()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Union

from graph_olap.exceptions import AlgorithmFailedError, AlgorithmTimeoutError, TimeoutError
from graph_olap.models.execution import AlgorithmExecution, AlgorithmInfo
from graph_olap.progress import ProgressCallback, ProgressReporter
from graph_olap.resources._base import poll

if TYPE_CHECKING:
    from graph_olap.instance.connection import InstanceConnection

__all__ = ["AlgorithmManager", "NetworkXManager"]

LabelArg = Union[str, Sequence[str], None]


def _scope(body: Dict[str, Any], node_label: LabelArg, edge_type: LabelArg) -> None:
    if isinstance(node_label, str):
        body["node_label"] = node_label
    elif node_label:
        body["node_labels"] = list(node_label)
    if isinstance(edge_type, str):
        body["edge_type"] = edge_type
    elif edge_type:
        body["edge_types"] = list(edge_type)


def _drop_none(params: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class _Manager:
    _prefix = "algo"

    def __init__(self, conn: InstanceConnection) -> None:
        self._conn = conn

    @property
    def _http(self) -> Any:
        return self._conn._http

    # ----------------------------------------------------------- catalogue
    def list(self, category: Optional[str] = None, search: Optional[str] = None
             ) -> List[AlgorithmInfo]:
        """Catalogue entries, optionally filtered by category or text.

        Example:
            >>> # [a.name for a in conn.algo.list(category="community")]
        """
        body = self._http.get(f"/{self._prefix}/algorithms",
                              params={"category": category, "search": search})
        items = body.get("algorithms", []) if isinstance(body, dict) else body
        return [AlgorithmInfo.from_dict(a) for a in items]

    def info(self, name: str) -> AlgorithmInfo:
        """One catalogue entry with its parameters.

        Raises:
            AlgorithmNotFoundError: unknown name.

        Example:
            >>> # conn.algo.info("pagerank").parameters
        """
        return AlgorithmInfo.from_dict(self._http.get(f"/{self._prefix}/algorithms/{name}"))

    # ---------------------------------------------------------- executions
    def status(self, execution_id: str) -> AlgorithmExecution:
        """Current state of an execution.

        Example:
            >>> # conn.algo.status(run.execution_id).status
        """
        return AlgorithmExecution.from_dict(
            self._http.get(f"/{self._prefix}/status/{execution_id}"))

    def executions(self, *, status: Optional[str] = None, limit: int = 20
                   ) -> List[AlgorithmExecution]:
        """Recent executions, newest first.

        Example:
            >>> # conn.algo.executions(limit=5)
        """
        body = self._http.get(f"/{self._prefix}/executions",
                              params={"status": status, "limit": limit})
        items = body.get("executions", []) if isinstance(body, dict) else body
        return [AlgorithmExecution.from_dict(e) for e in items]

    def cancel(self, execution_id: str) -> AlgorithmExecution:
        """Cancel a running execution.

        Example:
            >>> # conn.algo.cancel(run.execution_id).status   # 'cancelled'
        """
        return AlgorithmExecution.from_dict(
            self._http.delete(f"/{self._prefix}/executions/{execution_id}"))

    def wait(
        self,
        execution: Union[str, AlgorithmExecution],
        *,
        timeout: float = 3600,
        poll_interval: float = 1.0,
        show_progress: Union[bool, str] = True,
        on_progress: Optional[ProgressCallback] = None,
        raise_on_failure: bool = True,
    ) -> AlgorithmExecution:
        """Poll an execution until it completes, fails or is cancelled.

        Raises:
            AlgorithmFailedError: it failed or was cancelled.
            AlgorithmTimeoutError: it hit its server-side timeout.
            TimeoutError: still running after ``timeout`` seconds (client side).

        Example:
            >>> # done = conn.algo.wait(conn.algo.run("wcc", wait=False, result_property="c"))
        """
        first = execution if isinstance(execution, AlgorithmExecution) else None
        execution_id = first.execution_id if first else str(execution)
        name = first.algorithm_name if first else execution_id
        mode = "auto" if show_progress is True else ("none" if not show_progress
                                                      else str(show_progress))
        with ProgressReporter(f"{self._prefix}/{name}", mode=mode, callback=on_progress) as bar:
            def tick(e: AlgorithmExecution) -> None:
                done = e.is_done
                bar.update(e.status, 1 if done else 0, 1, percent=100 if done else 0)

            result = first if first is not None and first.is_done else poll(
                lambda: self.status(execution_id), lambda e: e.is_done,
                timeout=timeout, poll_interval=poll_interval, on_tick=tick,
                timeout_error=lambda e: TimeoutError(
                    f"Algorithm execution {execution_id} still running after {timeout}s",
                    {"execution_id": execution_id}))
        if raise_on_failure and result.status != "completed":
            cls: Callable[..., Exception] = (
                AlgorithmTimeoutError if result.error_code == "ALGORITHM_TIMEOUT"
                else AlgorithmFailedError)
            raise cls(
                f"{result.algorithm_name} {result.status}: {result.error_message or 'no details'}",
                {"execution_id": result.execution_id, "status": result.status},
                code=result.error_code or "ALGORITHM_FAILED")
        return result

    def run(
        self,
        name: str,
        node_label: LabelArg = None,
        result_property: Optional[str] = None,
        parameters: Optional[Dict[str, Any]] = None,
        *,
        edge_type: LabelArg = None,
        write_back: bool = True,
        timeout_ms: Optional[int] = None,
        wait: bool = True,
        timeout: float = 3600,
        poll_interval: float = 1.0,
        show_progress: Union[bool, str] = True,
        subgraph_query: Optional[str] = None,
        **extra_parameters: Any,
    ) -> AlgorithmExecution:
        """Start algorithm ``name``; by default wait for it to finish.

        Keyword arguments not listed become algorithm parameters.  With
        ``write_back=True`` results are written to ``result_property`` on every
        node in scope.

        ``subgraph_query`` (NetworkX names only) projects the graph from a
        read-only Cypher statement instead of a label/edge-type scope: its first
        two columns are the source and target of each edge, as nodes or node
        ids (``RETURN id(a), id(b)`` is the cheapest); a null on one side keeps
        the other as an isolated node.  Only the nodes it returns are written;
        every other node keeps its value.

        Raises:
            AlgorithmNotFoundError: unknown algorithm.
            ResourceLockedError: another algorithm is running on this instance.
            AlgorithmFailedError: the execution failed (when waiting).

        Example:
            >>> # conn.algo.run("pagerank", "Customer", "pr", damping_factor=0.9)
        """
        body: Dict[str, Any] = {"write_back": bool(write_back)}
        _scope(body, node_label, edge_type)
        if result_property is not None:
            body["result_property"] = result_property
        params = _drop_none({**(parameters or {}), **extra_parameters})
        body["parameters"] = params
        if timeout_ms is not None:
            body["timeout_ms"] = int(timeout_ms)
        if subgraph_query is not None:
            body["subgraph_query"] = subgraph_query
        started = AlgorithmExecution.from_dict(
            self._http.post(f"/{self._prefix}/{name}", json=body))
        if not wait:
            return started
        return self.wait(started, timeout=timeout, poll_interval=poll_interval,
                         show_progress=show_progress)


    def __getattr__(self, name: str) -> Callable[..., AlgorithmExecution]:
        """Any catalogue entry as a method: ``conn.algo.leiden(...)`` = ``run("leiden", ...)``."""
        if name.startswith("_"):
            raise AttributeError(name)

        def call(node_label: LabelArg = None, result_property: Optional[str] = None,
                 **kw: Any) -> AlgorithmExecution:
            return self.run(name, node_label, result_property, **kw)

        call.__name__ = name
        call.__doc__ = f"Run the {self._prefix} algorithm ``{name}`` (see ``info({name!r})``)."
        return call

class AlgorithmManager(_Manager):
    """Native algorithms (``/algo``), implemented in Rust over a CSR.

    Besides the typed methods below, every catalogue entry (``leiden``,
    ``closeness``, ``harmonic``, ``eigenvector``, ``katz``, ``fastrp``,
    ``node_similarity`` …) can be called as a method with its parameters as
    keyword arguments.

    Example:
        >>> # conn.algo.louvain("Customer", result_property="community", seed=1)
        >>> # conn.algo.shortest_path("C000001", "C000042").result["path"]
    """

    _prefix = "algo"

    def pagerank(self, node_label: LabelArg = None, result_property: str = "pagerank", *,
                 edge_type: LabelArg = None, damping_factor: Optional[float] = None,
                 max_iterations: Optional[int] = None, tolerance: Optional[float] = None,
                 **kw: Any) -> AlgorithmExecution:
        """PageRank score (DOUBLE).

        Example:
            >>> # conn.algo.pagerank("Customer", "pr").result["converged"]
        """
        return self.run("pagerank", node_label, result_property, edge_type=edge_type,
                        damping_factor=damping_factor, max_iterations=max_iterations,
                        tolerance=tolerance, **kw)

    def betweenness(self, node_label: LabelArg = None, result_property: str = "betweenness", *,
                    edge_type: LabelArg = None, normalized: Optional[bool] = None,
                    sample_size: Optional[int] = None, seed: Optional[int] = None,
                    **kw: Any) -> AlgorithmExecution:
        """Betweenness centrality (exact, or sampled with ``sample_size``).

        Example:
            >>> # conn.algo.betweenness("Customer", sample_size=100, seed=1)
        """
        return self.run("betweenness", node_label, result_property, edge_type=edge_type,
                        normalized=normalized, sample_size=sample_size, seed=seed, **kw)

    def degree(self, node_label: LabelArg = None, result_property: str = "degree", *,
               edge_type: LabelArg = None, direction: Optional[str] = None,
               **kw: Any) -> AlgorithmExecution:
        """Degree (``direction`` = ``in`` | ``out`` | ``both``).

        Example:
            >>> # conn.algo.degree("Customer", direction="both")
        """
        return self.run("degree", node_label, result_property, edge_type=edge_type,
                        direction=direction, **kw)

    def wcc(self, node_label: LabelArg = None, result_property: str = "wcc", *,
            edge_type: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """Weakly connected components (component id = smallest member ``_id``).

        Example:
            >>> # conn.algo.wcc("Customer").result["components"]
        """
        return self.run("wcc", node_label, result_property, edge_type=edge_type, **kw)

    def connected_components(self, node_label: LabelArg = None,
                             result_property: str = "component", **kw: Any
                             ) -> AlgorithmExecution:
        """Alias of :meth:`wcc`.

        Example:
            >>> # conn.algo.connected_components("Customer")
        """
        return self.wcc(node_label, result_property, **kw)

    def scc(self, node_label: LabelArg = None, result_property: str = "scc", *,
            edge_type: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """Strongly connected components.

        Example:
            >>> # conn.algo.scc("Account", edge_type="TRANSFER")
        """
        return self.run("scc", node_label, result_property, edge_type=edge_type, **kw)

    def scc_kosaraju(self, node_label: LabelArg = None, result_property: str = "scc", *,
                     edge_type: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """Strongly connected components (Kosaraju; same ids as :meth:`scc`).

        Example:
            >>> # conn.algo.scc_kosaraju("Account")
        """
        return self.run("scc_kosaraju", node_label, result_property, edge_type=edge_type, **kw)

    def louvain(self, node_label: LabelArg = None, result_property: str = "community", *,
                edge_type: LabelArg = None, resolution: Optional[float] = None,
                max_phases: Optional[int] = None, max_iterations: Optional[int] = None,
                seed: Optional[int] = None, **kw: Any) -> AlgorithmExecution:
        """Louvain communities (``result`` has ``communities`` and ``modularity``).

        Example:
            >>> # conn.algo.louvain("Customer", resolution=1.0, seed=0).result["modularity"]
        """
        return self.run("louvain", node_label, result_property, edge_type=edge_type,
                        resolution=resolution, max_phases=max_phases,
                        max_iterations=max_iterations, seed=seed, **kw)

    def label_propagation(self, node_label: LabelArg = None, result_property: str = "label", *,
                          edge_type: LabelArg = None, max_iterations: Optional[int] = None,
                          seed: Optional[int] = None, **kw: Any) -> AlgorithmExecution:
        """Label propagation communities.

        Example:
            >>> # conn.algo.label_propagation("Customer", seed=0)
        """
        return self.run("label_propagation", node_label, result_property, edge_type=edge_type,
                        max_iterations=max_iterations, seed=seed, **kw)

    def kcore(self, node_label: LabelArg = None, result_property: str = "core", *,
              edge_type: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """Core number of every node.

        Example:
            >>> # conn.algo.kcore("Customer").result["max_k"]
        """
        return self.run("kcore", node_label, result_property, edge_type=edge_type, **kw)

    def triangle_count(self, node_label: LabelArg = None, result_property: str = "triangles", *,
                       edge_type: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """Triangles through each node.

        Example:
            >>> # conn.algo.triangle_count("Customer").result["triangles"]
        """
        return self.run("triangle_count", node_label, result_property, edge_type=edge_type,
                        **kw)

    def shortest_path(
        self,
        source_id: Union[str, int],
        target_id: Union[str, int],
        *,
        source_label: Optional[str] = None,
        target_label: Optional[str] = None,
        relationship_types: Optional[Sequence[str]] = None,
        max_depth: Optional[int] = None,
        direction: Optional[str] = None,
        timeout_ms: Optional[int] = None,
    ) -> AlgorithmExecution:
        """Unweighted shortest path between two primary-key values (synchronous).

        ``result`` has ``found``, ``length``, ``path`` (keys), ``nodes`` and
        ``relationships``.

        Example:
            >>> # p = conn.algo.shortest_path("C000001", "C000042", max_depth=6)
            >>> # p.result["found"], p.result["path"]
        """
        body = _drop_none({
            "source_id": source_id, "target_id": target_id, "source_label": source_label,
            "target_label": target_label,
            "relationship_types": list(relationship_types) if relationship_types else None,
            "max_depth": max_depth, "direction": direction, "timeout_ms": timeout_ms,
        })
        return AlgorithmExecution.from_dict(self._http.post("/algo/shortest_path", json=body))


class NetworkXManager(_Manager):
    """NetworkX-compatible algorithms (``/networkx``), named like the NetworkX functions.

    Any catalogue entry can be called as a method: ``conn.networkx.katz_centrality(...)``
    is ``conn.networkx.run("katz_centrality", ...)``.

    Example:
        >>> # conn.networkx.degree_centrality("Customer", result_property="dc")
        >>> # conn.networkx.density().value
    """

    _prefix = "networkx"

    def _node_values(self, name: str, node_label: LabelArg, result_property: Optional[str],
                     **kw: Any) -> AlgorithmExecution:
        return self.run(name, node_label, result_property or name, **kw)

    def degree_centrality(self, node_label: LabelArg = None,
                          result_property: str = "degree_centrality", **kw: Any
                          ) -> AlgorithmExecution:
        """``nx.degree_centrality``.

        Example:
            >>> # conn.networkx.degree_centrality("Customer")
        """
        return self._node_values("degree_centrality", node_label, result_property, **kw)

    def in_degree_centrality(self, node_label: LabelArg = None,
                             result_property: str = "in_degree_centrality", **kw: Any
                             ) -> AlgorithmExecution:
        """``nx.in_degree_centrality``.

        Example:
            >>> # conn.networkx.in_degree_centrality("Account")
        """
        return self._node_values("in_degree_centrality", node_label, result_property, **kw)

    def out_degree_centrality(self, node_label: LabelArg = None,
                              result_property: str = "out_degree_centrality", **kw: Any
                              ) -> AlgorithmExecution:
        """``nx.out_degree_centrality``.

        Example:
            >>> # conn.networkx.out_degree_centrality("Account")
        """
        return self._node_values("out_degree_centrality", node_label, result_property, **kw)

    def betweenness_centrality(self, node_label: LabelArg = None,
                               result_property: str = "betweenness_centrality", *,
                               k: Optional[int] = None, normalized: Optional[bool] = None,
                               seed: Optional[int] = None, **kw: Any) -> AlgorithmExecution:
        """``nx.betweenness_centrality``.

        Example:
            >>> # conn.networkx.betweenness_centrality("Customer", k=50, seed=1)
        """
        return self._node_values("betweenness_centrality", node_label, result_property, k=k,
                                 normalized=normalized, seed=seed, **kw)

    def closeness_centrality(self, node_label: LabelArg = None,
                             result_property: str = "closeness_centrality", *,
                             wf_improved: Optional[bool] = None, **kw: Any
                             ) -> AlgorithmExecution:
        """``nx.closeness_centrality``.

        Example:
            >>> # conn.networkx.closeness_centrality("Customer")
        """
        return self._node_values("closeness_centrality", node_label, result_property,
                                 wf_improved=wf_improved, **kw)

    def eigenvector_centrality(self, node_label: LabelArg = None,
                               result_property: str = "eigenvector_centrality", *,
                               max_iter: Optional[int] = None, tol: Optional[float] = None,
                               **kw: Any) -> AlgorithmExecution:
        """``nx.eigenvector_centrality``.

        Example:
            >>> # conn.networkx.eigenvector_centrality("Customer", max_iter=500)
        """
        return self._node_values("eigenvector_centrality", node_label, result_property,
                                 max_iter=max_iter, tol=tol, **kw)

    def pagerank(self, node_label: LabelArg = None, result_property: str = "nx_pagerank", *,
                 alpha: Optional[float] = None, max_iter: Optional[int] = None,
                 tol: Optional[float] = None, **kw: Any) -> AlgorithmExecution:
        """``nx.pagerank``.

        Example:
            >>> # conn.networkx.pagerank("Customer", alpha=0.85)
        """
        return self._node_values("pagerank", node_label, result_property, alpha=alpha,
                                 max_iter=max_iter, tol=tol, **kw)

    def clustering(self, node_label: LabelArg = None, result_property: str = "clustering",
                   **kw: Any) -> AlgorithmExecution:
        """``nx.clustering`` (local clustering coefficient).

        Example:
            >>> # conn.networkx.clustering("Customer")
        """
        return self._node_values("clustering", node_label, result_property, **kw)

    def average_clustering(self, node_label: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """``nx.average_clustering`` (scalar in ``.value``; nothing written).

        Example:
            >>> # conn.networkx.average_clustering("Customer").value
        """
        return self.run("average_clustering", node_label, None, write_back=False, **kw)

    def density(self, node_label: LabelArg = None, **kw: Any) -> AlgorithmExecution:
        """``nx.density`` (scalar in ``.value``).

        Example:
            >>> # conn.networkx.density().value
        """
        return self.run("density", node_label, None, write_back=False, **kw)
