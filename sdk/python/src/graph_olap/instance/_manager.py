"""The shared core of ``conn.algo`` and ``conn.networkx``: run, wait, status, catalogue.

Owns starting executions (``202 Accepted``), polling them to completion with a
progress display, cancellation, history, catalogue reads, and the argument
conventions every typed method shares (``property_name``/``result_property``,
label and edge-type scopes).  The typed methods themselves are generated
(:mod:`graph_olap.instance._generated`); the public classes are in
:mod:`graph_olap.instance.algorithms`.

Example:
    >>> _property(None, "pr", "pagerank"), _first(None, 0.85)
    ('pr', 0.85)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from graph_olap.exceptions import AlgorithmFailedError, AlgorithmTimeoutError
from graph_olap.models.execution import AlgorithmExecution, AlgorithmInfo
from graph_olap.models.pagination import PaginatedList
from graph_olap.polling import poll
from graph_olap.progress import ProgressCallback, ProgressReporter

__all__ = ["DEFAULT_WAIT_SECONDS", "LabelArg"]


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
    """What ``conn.algo`` and ``conn.networkx`` share: the catalogue, running, waiting, executions."""

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
             ) -> PaginatedList[AlgorithmInfo]:
        """Catalogue entries as models, optionally filtered by category or text.

        Example:
            >>> "louvain" in [a.name for a in conn.algo.list(category="community")]
            True
        """
        return PaginatedList(
            [AlgorithmInfo.from_dict(a) for a in self.algorithms(category, search=search)])

    def info(self, name: str) -> AlgorithmInfo:
        """One catalogue entry with its parameters, as a model.

        Raises:
            AlgorithmNotFoundError: unknown name.

        Example:
            >>> [p.name for p in conn.algo.info("pagerank").parameters]
            ['damping_factor', 'max_iterations', 'tolerance']
        """
        return AlgorithmInfo.from_dict(self.algorithm_info(name))

    def algorithms(self, category: Optional[str] = None, *, search: Optional[str] = None
                   ) -> List[Dict[str, Any]]:
        """The catalogue as plain dicts (``name``, ``category``, ``description``, ``parameters``…).

        Example:
            >>> "pagerank" in [a["name"] for a in conn.algo.algorithms(category="centrality")]
            True
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
            >>> conn.algo.algorithm_info("pagerank")["parameters"][0]["name"]
            'damping_factor'
        """
        body = self._http.get(f"/{self._prefix}/algorithms/{algorithm}")
        return dict(body) if isinstance(body, dict) else {"value": body}

    # ---------------------------------------------------------- executions
    def status(self, execution_id: str) -> AlgorithmExecution:
        """Current state of an execution.

        Example:
            >>> run = conn.algo.wcc("Customer", "doc_status", show_progress=False)
            >>> conn.algo.status(run.execution_id).status
            'completed'
        """
        return AlgorithmExecution.from_dict(
            self._http.get(f"/{self._prefix}/status/{execution_id}"))

    def executions(self, *, status: Optional[str] = None, limit: int = 20
                   ) -> PaginatedList[AlgorithmExecution]:
        """Recent executions, newest first.

        Example:
            >>> run = conn.algo.kcore("Customer", "doc_executions", show_progress=False)
            >>> conn.algo.executions(limit=5)[0].execution_id == run.execution_id
            True
        """
        body = self._http.get(f"/{self._prefix}/executions",
                              params={"status": status, "limit": limit})
        items = body.get("executions", []) if isinstance(body, dict) else body
        return PaginatedList([AlgorithmExecution.from_dict(e) for e in items])

    def cancel(self, execution_id: str) -> AlgorithmExecution:
        """Cancel a running execution.

        Example:
            >>> from graph_olap.exceptions import InvalidStateError
            >>> run = conn.algo.betweenness("Customer", "doc_cancel", wait=False)
            >>> try:
            ...     outcome = conn.algo.cancel(run.execution_id).status
            ... except InvalidStateError:  # it finished before the cancel arrived
            ...     outcome = conn.algo.status(run.execution_id).status
            >>> outcome in ("cancelled", "completed")
            True
            >>> conn.algo.wait(run, show_progress=False, raise_on_failure=False).is_done
            True
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
            >>> started = conn.algo.run("wcc", "Customer", wait=False, result_property="doc_wait")
            >>> conn.algo.wait(started, show_progress=False).status
            'completed'
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
            >>> conn.algo.run("pagerank", "Customer", "doc_pr", params={"damping_factor": 0.9},
            ...               show_progress=False).parameters["damping_factor"]
            0.9
            >>> conn.algo.run("louvain", node_label="Customer", result_property="doc_community", seed=1,
            ...               show_progress=False).status
            'completed'
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
