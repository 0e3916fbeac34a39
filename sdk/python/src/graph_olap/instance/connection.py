"""Connection to one running graph instance: Cypher, schema, lock, algorithms (API.md §10).

Owns requests to the instance API (through the control-plane proxy's
``instance_url`` or in-cluster DNS): queries as JSON or Arrow, schema, status,
lock.  Algorithms live in :mod:`graph_olap.instance.algorithms`.

Example:
    >>> conn = client.instances.connect(inst.id)
    >>> conn.query_scalar("MATCH (c:Customer) RETURN count(c)") > 0
    True
    >>> df = conn.query_df("MATCH (c:Customer) RETURN c.id AS id, c.bk_sectr AS sector")
    >>> df.columns
    ['id', 'sector']
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Optional, Protocol, cast

from graph_olap.config import Config
from graph_olap.http import HTTPClient
from graph_olap.instance.algorithms import AlgorithmManager, NetworkXManager
from graph_olap.instance.result import QueryResult
from graph_olap.models.instance import GraphSchema, Instance, InstanceStatus, LockStatus


class InstanceControl(Protocol):
    """What a connection needs from the control plane: terminating its instance.

    ``client.instances`` (:class:`~graph_olap.resources.instances.InstanceResource`)
    is one; the connection names only this method so that the instance layer does
    not depend on the resources layer (which creates connections).
    """

    def terminate(self, instance_id: int) -> Any:
        """Terminate the instance with this id."""

__all__ = ["ARROW_STREAM", "InstanceConnection"]

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def _has_pyarrow() -> bool:
    try:
        import pyarrow
        import pyarrow.ipc  # noqa: F401
    except ImportError:
        return False
    return True


class InstanceConnection:
    """Queries and algorithms on one running instance.

    Args:
        instance_url: the instance's ``instance_url`` (opaque; API paths are appended).
        config: client configuration (credentials are reused).
        instance: the :class:`Instance` record, if known.
        api_key: shortcut to build a config from just a key.

    Attributes:
        algo: native algorithms (:class:`AlgorithmManager`).
        networkx: NetworkX-compatible algorithms (:class:`NetworkXManager`).

    Example:
        >>> conn = InstanceConnection("http://localhost:8000/wrapper/abc",
        ...                           config=Config(username="analyst_alice@e2e.local"))
        >>> conn.url, type(conn.algo).__name__
        ('http://localhost:8000/wrapper/abc', 'AlgorithmManager')
        >>> conn.close()
    """

    def __init__(
        self,
        instance_url: str,
        api_key: Optional[str] = None,
        instance_id: Optional[int] = None,
        username: Optional[str] = None,
        role: Optional[str] = None,
        timeout: Optional[float] = None,
        name: Optional[str] = None,
        status: Optional[str] = None,
        snapshot_id: Optional[int] = None,
        *,
        config: Optional[Config] = None,
        instance: Optional[Instance] = None,
        control: Optional[InstanceControl] = None,
    ) -> None:
        if config is None:
            config = Config.from_env(api_key=api_key, username=username, role=role,
                                     timeout=timeout)
            if api_key or username:
                # Explicit credentials replace (not merge with) environment credentials.
                config = replace(config, api_key=api_key, username=username,
                                 internal_api_key=None)
        else:
            config = config.with_overrides(api_key=api_key, username=username, role=role,
                                           timeout=timeout)
        self._config = config
        self.url = instance_url.rstrip("/")
        self.instance = instance
        self.instance_id = instance.id if instance is not None else instance_id
        self._name = name if name is not None else (instance.name if instance else None)
        self._status = status if status is not None else (
            instance.status if instance else None)
        self._snapshot_id = snapshot_id if snapshot_id is not None else (
            instance.snapshot_id if instance else None)
        self._control = control
        self._http = HTTPClient(config, base_url=self.url)
        self.algo = AlgorithmManager(self)
        self.networkx = NetworkXManager(self)

    # ---------------------------------------------------------- identity
    @property
    def instance_url(self) -> str:
        """The instance API base URL this connection talks to."""
        return self.url

    @property
    def id(self) -> Optional[int]:
        """Instance id (``None`` when connected by URL only)."""
        return self.instance_id

    @property
    def name(self) -> Optional[str]:
        """Instance name, if known."""
        return self._name

    @property
    def snapshot_id(self) -> Optional[int]:
        """Snapshot the instance was loaded from, if known."""
        return self._snapshot_id

    @property
    def current_status(self) -> Optional[str]:
        """Instance status when the connection was made (``status()`` asks the instance)."""
        return self._status

    # ---------------------------------------------------------- plumbing
    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> InstanceConnection:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        name = f" {self.instance.name!r}" if self.instance is not None else ""
        return f"InstanceConnection(id={self.instance_id}{name}, url={self.url!r})"

    # ------------------------------------------------------------ queries
    def _query_body(self, query: str, parameters: Optional[Dict[str, Any]],
                    timeout_ms: Optional[int], max_rows: Optional[int]) -> Dict[str, Any]:
        body: Dict[str, Any] = {"query": query, "parameters": dict(parameters or {})}
        if timeout_ms is not None:
            body["timeout_ms"] = int(timeout_ms)
        if max_rows is not None:
            body["max_rows"] = int(max_rows)
        return body

    def _read_timeout(self, timeout_ms: Optional[int]) -> float:
        server = (timeout_ms or 60_000) / 1000.0
        return max(self._config.timeout, server + 30.0)

    @staticmethod
    def _statement(cypher: Optional[str], params: Dict[str, Any]) -> str:
        # ``query=`` is accepted as the keyword name of the statement too.
        if cypher is None:
            cypher = params.pop("query", None)
        if not isinstance(cypher, str) or not cypher.strip():
            raise TypeError("a Cypher statement is required")
        return cypher

    @staticmethod
    def _timeout_ms(timeout: Optional[float], timeout_ms: Optional[int]) -> Optional[int]:
        if timeout_ms is None and timeout:
            return int(float(timeout) * 1000)
        return timeout_ms

    def query(
        self,
        cypher: Optional[str] = None,
        parameters: Optional[Dict[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        coerce_types: bool = True,
        timeout_ms: Optional[int] = None,
        max_rows: Optional[int] = None,
        **params: Any,
    ) -> QueryResult:
        """Run a read-only Cypher statement.

        Parameters may be given as a dict or as keyword arguments.  ``timeout``
        is in seconds (``timeout_ms`` in milliseconds); ``coerce_types=False``
        keeps dates, timestamps, intervals and blobs as the server's JSON text.

        Raises:
            QuerySyntaxError: the statement does not parse.
            ReadOnlyViolationError: it contains an updating clause.
            QueryTimeoutError: it exceeded its timeout.

        Example:
            >>> sector = conn.query_scalar("MATCH (c:Customer) RETURN c.bk_sectr LIMIT 1")
            >>> r = conn.query("MATCH (c:Customer) WHERE c.bk_sectr = $s RETURN c.id AS id LIMIT 3",
            ...                s=sector)
            >>> r.columns, 1 <= r.row_count <= 3
            (['id'], True)
        """
        statement = self._statement(cypher, params)
        merged = {**(parameters or {}), **params}
        timeout_ms = self._timeout_ms(timeout, timeout_ms)
        body = self._query_body(statement, merged, timeout_ms, max_rows)
        data = self._http.post("/query", json=body, idempotent=True,
                               timeout=self._read_timeout(timeout_ms))
        return QueryResult.from_response(data, query=statement, decode=coerce_types)

    def query_arrow(
        self,
        cypher: Optional[str] = None,
        parameters: Optional[Dict[str, Any]] = None,
        *,
        timeout_ms: Optional[int] = None,
        max_rows: Optional[int] = None,
        timeout: Optional[float] = None,
        **params: Any,
    ) -> Any:
        """Run a query and return a ``pyarrow.Table`` via the Arrow IPC stream.

        Falls back to the JSON result when the server answers JSON.

        Example:
            >>> tbl = conn.query_arrow("MATCH (c:Customer) RETURN c.id AS id LIMIT 4")
            >>> tbl.column_names, tbl.num_rows
            (['id'], 4)
        """
        import pyarrow as pa
        import pyarrow.ipc as ipc

        statement = self._statement(cypher, params)
        timeout_ms = self._timeout_ms(timeout, timeout_ms)
        body = self._query_body(statement, {**(parameters or {}), **params}, timeout_ms,
                                max_rows)
        response = self._http.send(
            "POST", "/query", json=body, idempotent=True,
            headers={"Accept": f"{ARROW_STREAM}, application/json;q=0.9"},
            timeout=self._read_timeout(timeout_ms))
        ctype = response.headers.get("Content-Type", "")
        if ARROW_STREAM in ctype:
            if not response.content:
                return pa.table({})
            return ipc.open_stream(pa.BufferReader(response.content)).read_all()
        return QueryResult.from_response(response.json(), query=statement).to_arrow()

    def query_duckdb(
        self,
        cypher: Optional[str] = None,
        sql: Optional[str] = None,
        parameters: Optional[Dict[str, Any]] = None,
        *,
        name: str = "graph",
        connection: Any = None,
        timeout_ms: Optional[int] = None,
        max_rows: Optional[int] = None,
        timeout: Optional[float] = None,
        **params: Any,
    ) -> Any:
        """Run a Cypher query and hand its result to DuckDB as the table ``name``.

        The rows come over the Arrow stream and DuckDB reads the Arrow table in place, so a graph
        result can be joined with local data (DataFrames, Parquet or CSV files) in SQL. With
        ``sql``, returns that query's DuckDB relation; without, the registered table's.
        ``connection`` is an existing ``duckdb`` connection (default: a new in-memory one): register
        local DataFrames on it (``con.register("targets", df)``) to join them, or several graph
        results under different names.

        Example:
            >>> import duckdb, pandas as pd
            >>> con = duckdb.connect()
            >>> first = conn.query_scalar("MATCH (c:Customer) RETURN c.id ORDER BY c.id LIMIT 1")
            >>> con.register("targets", pd.DataFrame({"id": [first], "segment": ["gold"]}))
            <...>
            >>> conn.query_duckdb(
            ...     "MATCH (c:Customer) RETURN c.id AS id, c.account_count AS accounts",
            ...     "SELECT g.id = t.id, t.segment FROM graph g JOIN targets t USING (id)",
            ...     connection=con,
            ... ).fetchall()
            [(True, 'gold')]
        """
        import duckdb

        table = self.query_arrow(cypher, parameters, timeout_ms=timeout_ms, max_rows=max_rows,
                                 timeout=timeout, **params)
        con = connection if connection is not None else duckdb.connect()
        con.register(name, table)
        return con.sql(sql) if sql else con.table(name)

    def query_df(
        self,
        cypher: Optional[str] = None,
        parameters: Optional[Dict[str, Any]] = None,
        *,
        backend: str = "polars",
        timeout_ms: Optional[int] = None,
        max_rows: Optional[int] = None,
        use_arrow: Optional[bool] = None,
        timeout: Optional[float] = None,
        **params: Any,
    ) -> Any:
        """Run a query and return a DataFrame (``backend="polars"`` or ``"pandas"``).

        Uses the Arrow stream (no JSON round trip) when pyarrow is installed: polars keeps its
        record batches as chunks (numeric columns not copied), pandas converts the table.

        Example:
            >>> df = conn.query_df("MATCH (c:Customer) RETURN c.bk_sectr AS s, count(*) AS n",
            ...                    backend="pandas")
            >>> type(df).__name__, list(df.columns)
            ('DataFrame', ['s', 'n'])
        """
        if backend not in ("polars", "pandas"):
            raise ValueError("backend must be 'polars' or 'pandas'")
        statement = self._statement(cypher, params)
        merged = {**(parameters or {}), **params}
        timeout_ms = self._timeout_ms(timeout, timeout_ms)
        arrow = _has_pyarrow() if use_arrow is None else use_arrow
        if arrow:
            table = self.query_arrow(statement, merged, timeout_ms=timeout_ms, max_rows=max_rows)
            if backend == "pandas":
                return table.to_pandas()
            import polars as pl

            return pl.from_arrow(table, rechunk=False)  # keep the record batches: no copy
        return self.query(statement, merged, timeout_ms=timeout_ms,
                          max_rows=max_rows).to_df(backend)

    def query_scalar(self, cypher: Optional[str] = None,
                     parameters: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Any:
        """First column of the first row (``None`` for an empty result).

        Example:
            >>> conn.query_scalar("MATCH (n) RETURN count(n)") > 0
            True
        """
        return self.query(cypher, parameters, **kwargs).scalar()

    def query_one(self, cypher: Optional[str] = None,
                  parameters: Optional[Dict[str, Any]] = None,
                  **kwargs: Any) -> Optional[Dict[str, Any]]:
        """First row as a dict (``None`` when empty).

        Example:
            >>> first = conn.query_scalar("MATCH (c:Customer) RETURN c.id ORDER BY c.id LIMIT 1")
            >>> row = conn.query_one("MATCH (c:Customer {id: $id}) RETURN c", id=first)
            >>> row["c"]["id"] == first, row["c"]["_label"]
            (True, 'Customer')
        """
        return self.query(cypher, parameters, **kwargs).first()

    def neighbourhood(self, node: Any, hops: int = 1, *, limit: int = 500,
                      relationship_types: Any = None, direction: str = "both",
                      schema: Optional[GraphSchema] = None, **kwargs: Any) -> QueryResult:
        """A node with everything within ``hops`` relationships of it, as one Cypher query.

        Args:
            node: a node value from a result (a dict with ``_label`` and its primary key, or
                ``_id``), ``(label, primary key value)``, or the node's ``_id``.
            hops: path length (1 returns ``n, r, m`` rows; more returns paths ``n, p``).
            limit: row limit of the query.
            relationship_types: only these types (default all).
            direction: ``"both"``, ``"out"`` or ``"in"``.
            schema: the graph schema, if already fetched (saves a request).

        The result shows as a graph with ``.visualize()`` or
        ``graph_olap.widget.GraphView(result, connection=conn)`` (click to expand further).

        Example:
            >>> hub = conn.query_scalar("MATCH (c:Customer)-[:SHARES_ACCOUNT]-() RETURN c.id LIMIT 1")
            >>> r = conn.neighbourhood(("Customer", hub), hops=2)
            >>> r.row_count > 0
            True
            >>> view = r.visualize(color_by="bk_sectr", size_by="degree")
        """
        from graph_olap.widget._neighbourhood import neighbourhood

        result: QueryResult = neighbourhood(self, node, hops, limit=limit,
                                            relationship_types=relationship_types,
                                            direction=direction, schema=schema, **kwargs)
        return result

    # ------------------------------------------------------------ metadata
    def get_schema(self) -> GraphSchema:
        """Node labels, relationship types, properties and exact counts.

        ``node_labels`` / ``relationship_types`` map each label/type to its
        property names (and still compare equal to, and index like, the list of
        names).

        Example:
            >>> s = conn.get_schema(); s.node_labels["Customer"][:2], s.node_counts["Customer"] > 0
            (['id', 'bk_sectr'], True)
        """
        return GraphSchema.from_dict(self._http.get("/schema"))

    def status(self) -> InstanceStatus:
        """Instance server status (counts, lock, uptime).

        Example:
            >>> conn.status().node_count > 0
            True
        """
        return InstanceStatus.from_dict(self._http.get("/status"))

    def get_lock(self) -> LockStatus:
        """Current algorithm lock.

        Example:
            >>> conn.get_lock().locked
            False
        """
        body = self._http.get("/lock")
        return LockStatus.from_dict(body.get("lock", body) if isinstance(body, dict) else {})

    def health(self) -> Dict[str, Any]:
        """Instance liveness body.

        Example:
            >>> conn.health()["status"]
            'healthy'
        """
        return cast(Dict[str, Any], self._http.get("/health"))

    def is_ready(self) -> bool:
        """``True`` when the instance's ``/ready`` answers 200.

        Example:
            >>> conn.is_ready()
            True
        """
        try:
            self._http.get("/ready")
        except Exception:
            return False
        return True

    def terminate(self) -> Any:
        """Terminate this instance through the control plane.

        Example:
            >>> from graph_olap.testing import random_name
            >>> scratch = client.instances.create_and_wait(snapshot_id=inst.snapshot_id,
            ...                                            name=random_name("scratch"), show_progress=False)
            >>> client.instances.connect(scratch).terminate().status in ("stopping", "terminated")
            True
        """
        if self._control is None or self.instance_id is None:
            raise RuntimeError("this connection was not created by client.instances.connect()")
        result = self._control.terminate(self.instance_id)
        self.close()
        return result
