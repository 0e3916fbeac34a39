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
    >>> # run = conn.algo.pagerank("Customer", "pr")
    >>> # conn.query("MATCH (c:Customer) RETURN c.id, c.pr ORDER BY c.pr DESC LIMIT 5").show()
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from graph_olap.exceptions import AlgorithmFailedError, AlgorithmTimeoutError
from graph_olap.models.execution import AlgorithmExecution, AlgorithmInfo
from graph_olap.polling import poll
from graph_olap.progress import ProgressCallback, ProgressReporter

__all__ = ["AlgorithmManager", "NetworkXManager"]

LabelArg = Union[str, Sequence[str], None]

#: Default seconds to wait for an execution (the original SDK's default).
DEFAULT_WAIT_SECONDS = 300

# Attribute names that must never be turned into "run this algorithm" calls.
_NOT_ALGORITHMS = frozenset({"algorithms", "algorithm_info", "list", "info", "status",
                             "executions", "cancel", "wait", "run"})


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


def _property(property_name: Optional[str], result_property: Optional[str],
              default: Optional[str]) -> Optional[str]:
    if property_name is not None and result_property is not None \
            and property_name != result_property:
        raise ValueError(f"property_name={property_name!r} and result_property="
                         f"{result_property!r} name the same thing; give one of them")
    return property_name if property_name is not None else (
        result_property if result_property is not None else default)


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


class _Manager:
    _prefix = "algo"

    def __init__(self, client: Any = None, *, conn: Any = None) -> None:
        # ``client``: the InstanceConnection (or an HTTPClient bound to the instance).
        self._conn = client if client is not None else conn

    @property
    def _http(self) -> Any:
        conn = self._conn
        return conn._http if hasattr(conn, "_http") else conn

    # ----------------------------------------------------------- catalogue
    def list(self, category: Optional[str] = None, search: Optional[str] = None
             ) -> List[AlgorithmInfo]:
        """Catalogue entries as models, optionally filtered by category or text.

        Example:
            >>> # [a.name for a in conn.algo.list(category="community")]
        """
        return [AlgorithmInfo.from_dict(a) for a in self.algorithms(category, search=search)]

    def info(self, name: str) -> AlgorithmInfo:
        """One catalogue entry with its parameters, as a model.

        Raises:
            AlgorithmNotFoundError: unknown name.

        Example:
            >>> # conn.algo.info("pagerank").parameters
        """
        return AlgorithmInfo.from_dict(self.algorithm_info(name))

    def algorithms(self, category: Optional[str] = None, *, search: Optional[str] = None
                   ) -> List[Dict[str, Any]]:
        """The catalogue as plain dicts (``name``, ``category``, ``description``, ``parameters``…).

        Example:
            >>> # [a["name"] for a in conn.algo.algorithms(category="centrality")]
        """
        body = self._http.get(f"/{self._prefix}/algorithms",
                              params={"category": category, "search": search})
        items = body.get("algorithms", body.get("data", [])) if isinstance(body, dict) else body
        return [dict(a) for a in items or []]

    def algorithm_info(self, algorithm: str) -> Dict[str, Any]:
        """One catalogue entry as a dict (with its ``parameters``).

        Raises:
            AlgorithmNotFoundError: unknown name.

        Example:
            >>> # conn.algo.algorithm_info("pagerank")["parameters"]
        """
        body = self._http.get(f"/{self._prefix}/algorithms/{algorithm}")
        return dict(body) if isinstance(body, dict) else {"value": body}

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
            AlgorithmTimeoutError: it hit its server-side timeout, or is still
                running after ``timeout`` seconds (client side; it keeps running —
                ``cancel()`` stops it).

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
                timeout_error=lambda e: AlgorithmTimeoutError(
                    f"Algorithm execution {execution_id} still running after {timeout}s",
                    {"execution_id": execution_id}))
        if raise_on_failure and result.status != "completed":
            cls: Callable[..., Exception] = (
                AlgorithmTimeoutError if result.error_code == "ALGORITHM_TIMEOUT"
                else AlgorithmFailedError)
            raise cls(
                f"Algorithm failed: {result.algorithm_name} {result.status}: "
                f"{result.error_message or 'no details'}",
                {"execution_id": result.execution_id, "status": result.status},
                code=result.error_code or "ALGORITHM_FAILED")
        return result

    def run(
        self,
        algorithm: Optional[str] = None,
        node_label: LabelArg = None,
        property_name: Optional[str] = None,
        edge_type: Union[LabelArg, Mapping[str, Any]] = None,
        *,
        params: Optional[Mapping[str, Any]] = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
        wait: bool = True,
        name: Optional[str] = None,
        result_property: Optional[str] = None,
        parameters: Optional[Mapping[str, Any]] = None,
        write_back: bool = True,
        timeout_ms: Optional[int] = None,
        poll_interval: float = 1.0,
        show_progress: Union[bool, str] = True,
        subgraph_query: Optional[str] = None,
        **extra_parameters: Any,
    ) -> AlgorithmExecution:
        """Start ``algorithm``; by default wait (up to ``timeout`` seconds) for it to finish.

        Args:
            algorithm: catalogue name (``name=`` also works).
            node_label: label (or list of labels) in scope; ``None`` = every node.
            property_name: node property receiving the result (``result_property=``).
            edge_type: relationship type (or list) in scope.  A dict in this
                position is taken as the algorithm parameters.
            params: algorithm parameters (``parameters=``, or plain keyword arguments).
            timeout: seconds to wait when ``wait`` is true.
            wait: ``False`` returns the running execution immediately.
            write_back: write node results to ``property_name``.
            timeout_ms: server-side execution timeout.
            subgraph_query: (NetworkX names only) project the graph from a
                read-only Cypher statement instead of a label/edge-type scope: its
                first two columns are the source and target of each edge, as nodes
                or node ids (``RETURN id(a), id(b)``); a null on one side keeps the
                other as an isolated node.  Only the nodes it returns are written.

        Raises:
            AlgorithmNotFoundError: unknown algorithm.
            ResourceLockedError: another algorithm is running on this instance.
            AlgorithmFailedError: the execution failed (when waiting).
            AlgorithmTimeoutError: not finished within ``timeout`` seconds.

        Example:
            >>> # conn.algo.run("pagerank", "Customer", "pr", params={"damping_factor": 0.9})
            >>> # conn.algo.run("louvain", node_label="Customer", result_property="c", seed=1)
        """
        algorithm = _first(algorithm, name)
        if not algorithm:
            raise TypeError("run() needs the algorithm name")
        if isinstance(edge_type, Mapping):
            # Older positional form: run(name, label, property, {parameters}).
            parameters = {**edge_type, **(parameters or {})}
            edge_type = None
        prop = _property(property_name, result_property, None)
        body: Dict[str, Any] = {"write_back": bool(write_back)}
        _scope(body, node_label, edge_type)
        if prop is not None:
            body["result_property"] = prop
        merged = {**(parameters or {}), **(params or {}), **extra_parameters}
        body["parameters"] = _drop_none(merged)
        if timeout_ms is not None:
            body["timeout_ms"] = int(timeout_ms)
        if subgraph_query is not None:
            body["subgraph_query"] = subgraph_query
        started = AlgorithmExecution.from_dict(
            self._http.post(f"/{self._prefix}/{algorithm}", json=body))
        if not wait:
            return started
        return self.wait(started, timeout=timeout, poll_interval=poll_interval,
                         show_progress=show_progress)

    def _named(self, algorithm: str, node_label: LabelArg, property_name: Optional[str],
               edge_type: LabelArg, result_property: Optional[str], default_property: str,
               kw: Dict[str, Any], **algorithm_parameters: Any) -> AlgorithmExecution:
        prop = _property(property_name, result_property, default_property)
        explicit: Dict[str, Any] = {}
        if isinstance(edge_type, Mapping):
            explicit.update(edge_type)
            edge_type = None
        explicit.update(kw.pop("parameters", None) or {})
        explicit.update(kw.pop("params", None) or {})
        # Defaults of the typed signature < parameters/params dicts < parameter keywords.
        merged = {**_drop_none(algorithm_parameters), **explicit}
        return self.run(algorithm, node_label, prop, edge_type, parameters=merged, **kw)

    def __getattr__(self, name: str) -> Callable[..., AlgorithmExecution]:
        """Any catalogue entry as a method: ``conn.algo.leiden(...)`` = ``run("leiden", ...)``."""
        if name.startswith("_") or name in _NOT_ALGORITHMS:
            raise AttributeError(name)

        def call(node_label: LabelArg = None, property_name: Optional[str] = None,
                 edge_type: LabelArg = None, **kw: Any) -> AlgorithmExecution:
            return self.run(name, node_label, property_name, edge_type, **kw)

        call.__name__ = name
        call.__doc__ = f"Run the {self._prefix} algorithm ``{name}`` (see ``info({name!r})``)."
        return call


class AlgorithmManager(_Manager):
    """Native algorithms (``/algo``), implemented in Rust over a CSR.

    Besides the typed methods below, every catalogue entry (``leiden``,
    ``closeness``, ``harmonic``, ``eigenvector``, ``katz``, ``fastrp``,
    ``node_similarity`` …) can be called as a method with its parameters as
    keyword arguments.  Every method takes ``(node_label, property_name,
    edge_type)`` positionally plus ``timeout=`` (seconds to wait) and ``wait=``.

    Example:
        >>> # conn.algo.louvain("Customer", "community", seed=1)
        >>> # conn.algo.shortest_path("C000001", "C000042").result["path"]
    """

    _prefix = "algo"

    def pagerank(self, node_label: LabelArg = None, property_name: Optional[str] = None,
                 edge_type: LabelArg = None, *, damping: float = 0.85,
                 max_iterations: int = 100, tolerance: float = 1e-6,
                 timeout: float = DEFAULT_WAIT_SECONDS, wait: bool = True,
                 result_property: Optional[str] = None,
                 damping_factor: Optional[float] = None, **kw: Any) -> AlgorithmExecution:
        """PageRank score (DOUBLE); ``damping`` = ``damping_factor``.

        Example:
            >>> # conn.algo.pagerank("Customer", "pr", damping=0.85).result["converged"]
        """
        return self._named("pagerank", node_label, property_name, edge_type, result_property,
                           "pagerank", {"timeout": timeout, "wait": wait, **kw},
                           damping_factor=_first(damping_factor, damping),
                           max_iterations=max_iterations, tolerance=tolerance)

    def betweenness(self, node_label: LabelArg = None, property_name: Optional[str] = None,
                    edge_type: LabelArg = None, *, normalized: Optional[bool] = None,
                    sample_size: Optional[int] = None, seed: Optional[int] = None,
                    timeout: float = DEFAULT_WAIT_SECONDS, wait: bool = True,
                    result_property: Optional[str] = None, **kw: Any) -> AlgorithmExecution:
        """Betweenness centrality (exact, or sampled with ``sample_size``).

        Example:
            >>> # conn.algo.betweenness("Customer", "bc", sample_size=100, seed=1)
        """
        return self._named("betweenness", node_label, property_name, edge_type,
                           result_property, "betweenness", {"timeout": timeout, "wait": wait,
                                                            **kw},
                           normalized=normalized, sample_size=sample_size, seed=seed)

    def degree(self, node_label: LabelArg = None, property_name: Optional[str] = None,
               edge_type: LabelArg = None, *, direction: Optional[str] = None,
               timeout: float = DEFAULT_WAIT_SECONDS, wait: bool = True,
               result_property: Optional[str] = None, **kw: Any) -> AlgorithmExecution:
        """Degree (``direction`` = ``in`` | ``out`` | ``both``).

        Example:
            >>> # conn.algo.degree("Customer", "deg", direction="both")
        """
        return self._named("degree", node_label, property_name, edge_type, result_property,
                           "degree", {"timeout": timeout, "wait": wait, **kw},
                           direction=direction)

    def wcc(self, node_label: LabelArg = None, property_name: Optional[str] = None,
            edge_type: LabelArg = None, *, timeout: float = DEFAULT_WAIT_SECONDS,
            wait: bool = True, result_property: Optional[str] = None,
            **kw: Any) -> AlgorithmExecution:
        """Weakly connected components (component id = smallest member ``_id``).

        Example:
            >>> # conn.algo.wcc("Customer", "wcc").result["components"]
        """
        return self._named("wcc", node_label, property_name, edge_type, result_property,
                           "wcc", {"timeout": timeout, "wait": wait, **kw})

    def connected_components(self, node_label: LabelArg = None,
                             property_name: Optional[str] = None,
                             edge_type: LabelArg = None, *,
                             timeout: float = DEFAULT_WAIT_SECONDS, wait: bool = True,
                             result_property: Optional[str] = None,
                             **kw: Any) -> AlgorithmExecution:
        """Weakly connected components (runs ``wcc``; default property ``component``).

        Example:
            >>> # conn.algo.connected_components("Customer", "component")
        """
        return self._named("wcc", node_label, property_name, edge_type, result_property,
                           "component", {"timeout": timeout, "wait": wait, **kw})

    def scc(self, node_label: LabelArg = None, property_name: Optional[str] = None,
            edge_type: LabelArg = None, *, timeout: float = DEFAULT_WAIT_SECONDS,
            wait: bool = True, result_property: Optional[str] = None,
            **kw: Any) -> AlgorithmExecution:
        """Strongly connected components.

        Example:
            >>> # conn.algo.scc("Account", "scc", edge_type="TRANSFER")
        """
        return self._named("scc", node_label, property_name, edge_type, result_property,
                           "scc", {"timeout": timeout, "wait": wait, **kw})

    def scc_kosaraju(self, node_label: LabelArg = None, property_name: Optional[str] = None,
                     edge_type: LabelArg = None, *, timeout: float = DEFAULT_WAIT_SECONDS,
                     wait: bool = True, result_property: Optional[str] = None,
                     **kw: Any) -> AlgorithmExecution:
        """Strongly connected components (Kosaraju; same ids as :meth:`scc`).

        Example:
            >>> # conn.algo.scc_kosaraju("Account", "scc")
        """
        return self._named("scc_kosaraju", node_label, property_name, edge_type,
                           result_property, "scc", {"timeout": timeout, "wait": wait, **kw})

    def louvain(self, node_label: LabelArg = None, property_name: Optional[str] = None,
                edge_type: LabelArg = None, *, resolution: float = 1.0,
                timeout: float = DEFAULT_WAIT_SECONDS, wait: bool = True,
                result_property: Optional[str] = None, max_phases: Optional[int] = None,
                max_iterations: Optional[int] = None, seed: Optional[int] = None,
                **kw: Any) -> AlgorithmExecution:
        """Louvain communities (``result`` has ``communities`` and ``modularity``).

        Example:
            >>> # conn.algo.louvain("Customer", "community", resolution=1.0).result["modularity"]
        """
        return self._named("louvain", node_label, property_name, edge_type, result_property,
                           "community", {"timeout": timeout, "wait": wait, **kw},
                           resolution=resolution, max_phases=max_phases,
                           max_iterations=max_iterations, seed=seed)

    def label_propagation(self, node_label: LabelArg = None,
                          property_name: Optional[str] = None, edge_type: LabelArg = None, *,
                          max_iterations: int = 100, timeout: float = DEFAULT_WAIT_SECONDS,
                          wait: bool = True, result_property: Optional[str] = None,
                          seed: Optional[int] = None, **kw: Any) -> AlgorithmExecution:
        """Label propagation communities.

        Example:
            >>> # conn.algo.label_propagation("Customer", "label", seed=0)
        """
        return self._named("label_propagation", node_label, property_name, edge_type,
                           result_property, "label", {"timeout": timeout, "wait": wait, **kw},
                           max_iterations=max_iterations, seed=seed)

    def kcore(self, node_label: LabelArg = None, property_name: Optional[str] = None,
              edge_type: LabelArg = None, *, timeout: float = DEFAULT_WAIT_SECONDS,
              wait: bool = True, result_property: Optional[str] = None,
              **kw: Any) -> AlgorithmExecution:
        """Core number of every node.

        Example:
            >>> # conn.algo.kcore("Customer", "core").result["max_k"]
        """
        return self._named("kcore", node_label, property_name, edge_type, result_property,
                           "core", {"timeout": timeout, "wait": wait, **kw})

    def triangle_count(self, node_label: LabelArg = None, property_name: Optional[str] = None,
                       edge_type: LabelArg = None, *, timeout: float = DEFAULT_WAIT_SECONDS,
                       wait: bool = True, result_property: Optional[str] = None,
                       **kw: Any) -> AlgorithmExecution:
        """Triangles through each node.

        Example:
            >>> # conn.algo.triangle_count("Customer", "triangles").result["triangles"]
        """
        return self._named("triangle_count", node_label, property_name, edge_type,
                           result_property, "triangles", {"timeout": timeout, "wait": wait,
                                                          **kw})

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
            >>> # p = conn.algo.shortest_path("C000001", "C000042", max_depth=6)
            >>> # p.result["found"], p.result["path"]
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


class NetworkXManager(_Manager):
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
        >>> # conn.networkx.degree_centrality("Customer", "dc")
        >>> # conn.networkx.run("load_centrality", "Customer", "load")
        >>> # conn.networkx.run("dijkstra_path", parameters={"source": 0, "target": 7}).value
        >>> # conn.networkx.run("katz_centrality", "Customer", "katz", params={"alpha": 0.1})
        >>> # conn.networkx.density().value
    """

    _prefix = "networkx"

    def _node_values(self, name: str, node_label: LabelArg, property_name: Optional[str],
                     result_property: Optional[str], kw: Dict[str, Any],
                     **algorithm_parameters: Any) -> AlgorithmExecution:
        edge_type = kw.pop("edge_type", None)
        return self._named(name, node_label, property_name, edge_type, result_property, name,
                           kw, **algorithm_parameters)

    def degree_centrality(self, node_label: LabelArg = None,
                          property_name: Optional[str] = None, *,
                          result_property: Optional[str] = None, **kw: Any
                          ) -> AlgorithmExecution:
        """``nx.degree_centrality``.

        Example:
            >>> # conn.networkx.degree_centrality("Customer", "dc")
        """
        return self._node_values("degree_centrality", node_label, property_name,
                                 result_property, kw)

    def in_degree_centrality(self, node_label: LabelArg = None,
                             property_name: Optional[str] = None, *,
                             result_property: Optional[str] = None, **kw: Any
                             ) -> AlgorithmExecution:
        """``nx.in_degree_centrality``.

        Example:
            >>> # conn.networkx.in_degree_centrality("Account", "idc")
        """
        return self._node_values("in_degree_centrality", node_label, property_name,
                                 result_property, kw)

    def out_degree_centrality(self, node_label: LabelArg = None,
                              property_name: Optional[str] = None, *,
                              result_property: Optional[str] = None, **kw: Any
                              ) -> AlgorithmExecution:
        """``nx.out_degree_centrality``.

        Example:
            >>> # conn.networkx.out_degree_centrality("Account", "odc")
        """
        return self._node_values("out_degree_centrality", node_label, property_name,
                                 result_property, kw)

    def betweenness_centrality(self, node_label: LabelArg = None,
                               property_name: Optional[str] = None, *,
                               k: Optional[int] = None, normalized: Optional[bool] = None,
                               seed: Optional[int] = None,
                               result_property: Optional[str] = None,
                               **kw: Any) -> AlgorithmExecution:
        """``nx.betweenness_centrality`` (``k`` sampled sources).

        Example:
            >>> # conn.networkx.betweenness_centrality("Customer", "bc", k=50, seed=1)
        """
        return self._node_values("betweenness_centrality", node_label, property_name,
                                 result_property, kw, k=k, normalized=normalized, seed=seed)

    def closeness_centrality(self, node_label: LabelArg = None,
                             property_name: Optional[str] = None, *,
                             wf_improved: Optional[bool] = None,
                             result_property: Optional[str] = None, **kw: Any
                             ) -> AlgorithmExecution:
        """``nx.closeness_centrality``.

        Example:
            >>> # conn.networkx.closeness_centrality("Customer", "cc")
        """
        return self._node_values("closeness_centrality", node_label, property_name,
                                 result_property, kw, wf_improved=wf_improved)

    def eigenvector_centrality(self, node_label: LabelArg = None,
                               property_name: Optional[str] = None, *,
                               max_iter: int = 100, tol: Optional[float] = None,
                               result_property: Optional[str] = None,
                               **kw: Any) -> AlgorithmExecution:
        """``nx.eigenvector_centrality``.

        Example:
            >>> # conn.networkx.eigenvector_centrality("Customer", "ev", max_iter=500)
        """
        return self._node_values("eigenvector_centrality", node_label, property_name,
                                 result_property, kw, max_iter=max_iter, tol=tol)

    def pagerank(self, node_label: LabelArg = None, property_name: Optional[str] = None, *,
                 alpha: Optional[float] = None, max_iter: Optional[int] = None,
                 tol: Optional[float] = None, result_property: Optional[str] = None,
                 **kw: Any) -> AlgorithmExecution:
        """``nx.pagerank`` (default property ``nx_pagerank``).

        Example:
            >>> # conn.networkx.pagerank("Customer", "pr", alpha=0.85)
        """
        prop = _property(property_name, result_property, "nx_pagerank")
        return self._node_values("pagerank", node_label, prop, None, kw, alpha=alpha,
                                 max_iter=max_iter, tol=tol)

    def clustering(self, node_label: LabelArg = None, property_name: Optional[str] = None, *,
                   result_property: Optional[str] = None, **kw: Any) -> AlgorithmExecution:
        """``nx.clustering`` (local clustering coefficient).

        Example:
            >>> # conn.networkx.clustering("Customer", "clustering")
        """
        return self._node_values("clustering", node_label, property_name, result_property, kw)

    def clustering_coefficient(self, node_label: LabelArg = None,
                               property_name: Optional[str] = None, *,
                               result_property: Optional[str] = None,
                               **kw: Any) -> AlgorithmExecution:
        """Local clustering coefficient (runs ``nx.clustering``).

        Example:
            >>> # conn.networkx.clustering_coefficient("Customer", "cc")
        """
        prop = _property(property_name, result_property, "clustering")
        return self._node_values("clustering", node_label, prop, None, kw)

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
