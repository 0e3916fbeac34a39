"""Instance models: instances, progress, events, lock, status and graph schema.

Owns the typed shapes of API.md §3.8–3.10 and the instance API's
``/status``, ``/lock`` and ``/schema`` bodies (§10.4–10.7).  HTTP calls live in
:mod:`graph_olap.resources.instances` and :mod:`graph_olap.instance`.

Example:
    >>> i = Instance.from_dict({"id": 3, "name": "a", "status": "running",
    ...                         "instance_url": "http://h/wrapper/x"})
    >>> i.is_running, i
    (True, Instance(id=3, name='a', status='running', owner_username=None))
"""

from __future__ import annotations

import html
from typing import Any, ClassVar, Dict, List, Optional, cast

from pydantic import field_validator

from graph_olap.models.base import GraphOLAPModel, Timestamp
from graph_olap.models.enums import InstanceState
from graph_olap.models.snapshot import _Progress

__all__ = [
    "EdgeTableSchema",
    "GraphSchema",
    "Instance",
    "InstanceEvent",
    "InstanceProgress",
    "InstanceStatus",
    "LabelMap",
    "LockStatus",
    "NodeTableSchema",
]

ACTIVE_STATUSES = ("waiting_for_snapshot", "starting", "running")


class Instance(GraphOLAPModel):
    """A graph instance loaded from a snapshot (API.md §3.8).

    Example:
        >>> Instance(id=1, status="waiting_for_snapshot").is_active
        True
    """

    id: int
    name: Optional[str] = None
    description: Optional[str] = None
    owner_username: Optional[str] = None
    mapping_id: Optional[int] = None
    mapping_version: Optional[int] = None
    mapping_name: Optional[str] = None
    snapshot_id: Optional[int] = None
    snapshot_name: Optional[str] = None
    wrapper_type: Optional[str] = None
    status: str = "starting"
    instance_url: Optional[str] = None
    pod_name: Optional[str] = None
    cpu_cores: Optional[int] = None
    memory_gb: Optional[int] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    stack_trace: Optional[str] = None
    ttl: Optional[str] = None
    inactivity_timeout: Optional[str] = None
    expires_at: Timestamp = None
    inactivity_expires_at: Timestamp = None
    last_activity_at: Timestamp = None
    started_at: Timestamp = None
    terminated_at: Timestamp = None
    termination_reason: Optional[str] = None
    memory_usage_bytes: Optional[int] = None
    disk_usage_bytes: Optional[int] = None
    graph_stats: Optional[Dict[str, Any]] = None
    explorer_url: Optional[str] = None
    progress: Optional[Dict[str, Any]] = None
    created_at: Timestamp = None
    updated_at: Timestamp = None

    _repr_keys = ("id", "name", "status", "owner_username")

    @property
    def is_running(self) -> bool:
        """``status == "running"``."""
        return self.status == "running"

    @property
    def memory_mb(self) -> Optional[float]:
        """Memory used by the graph engine in MiB (from ``memory_usage_bytes``)."""
        b = self.memory_usage_bytes
        return None if b is None else b / (1024 * 1024)

    @property
    def disk_mb(self) -> Optional[float]:
        """Disk used by the instance in MiB (from ``disk_usage_bytes``)."""
        b = self.disk_usage_bytes
        return None if b is None else b / (1024 * 1024)

    @property
    def is_active(self) -> bool:
        """Counts toward concurrency limits (waiting, starting or running)."""
        return self.status in ACTIVE_STATUSES


class InstanceProgress(_Progress):
    """Startup progress of an instance (API.md §3.9).

    Example:
        >>> InstanceProgress(id=1, status="starting", phase="loading_data").phase
        'loading_data'
    """


class InstanceEvent(GraphOLAPModel):
    """One entry of an instance's event history (API.md §3.10).

    Example:
        >>> InstanceEvent(id=1, instance_id=3, event_type="created").event_type
        'created'
    """

    id: int
    instance_id: Optional[int] = None
    event_type: str
    actor: Optional[str] = None
    details: Dict[str, Any] = {}
    created_at: Timestamp = None

    _repr_keys = ("id", "event_type", "actor", "created_at")


class LockStatus(GraphOLAPModel):
    """Algorithm lock of an instance (API.md §10.7).

    ``algorithm`` and ``holder_name`` are aliases kept from the original SDK.

    Example:
        >>> LockStatus(locked=True, holder_username="a@x", algorithm_name="pagerank").algorithm
        'pagerank'
    """

    locked: bool = False
    holder_id: Optional[str] = None
    holder_username: Optional[str] = None
    algorithm_name: Optional[str] = None
    algorithm_type: Optional[str] = None
    execution_id: Optional[str] = None
    acquired_at: Timestamp = None

    _repr_keys = ("locked", "holder_username", "algorithm_name")

    @property
    def algorithm(self) -> Optional[str]:
        """Alias of ``algorithm_name``."""
        return self.algorithm_name

    @property
    def holder_name(self) -> Optional[str]:
        """Alias of ``holder_username``."""
        return self.holder_username

    @property
    def locked_at(self) -> Any:
        """Alias of ``acquired_at``."""
        return self.acquired_at


class InstanceStatus(GraphOLAPModel):
    """Body of the instance API ``GET /status`` (API.md §10.4).

    Example:
        >>> InstanceStatus(status="running", ready=True, node_count=5).node_count
        5
        >>> InstanceStatus.RUNNING == "running"
        True
    """

    # The instance lifecycle states, as members (``InstanceStatus.RUNNING == "running"``).
    WAITING_FOR_SNAPSHOT: ClassVar[InstanceState] = InstanceState.WAITING_FOR_SNAPSHOT
    STARTING: ClassVar[InstanceState] = InstanceState.STARTING
    RUNNING: ClassVar[InstanceState] = InstanceState.RUNNING
    STOPPING: ClassVar[InstanceState] = InstanceState.STOPPING
    FAILED: ClassVar[InstanceState] = InstanceState.FAILED
    TERMINATED: ClassVar[InstanceState] = InstanceState.TERMINATED
    SUSPENDED: ClassVar[InstanceState] = InstanceState.SUSPENDED
    RESUMING: ClassVar[InstanceState] = InstanceState.RESUMING

    status: str
    ready: bool = False
    instance_id: Optional[int] = None
    snapshot_id: Optional[int] = None
    mapping_id: Optional[int] = None
    mapping_version: Optional[int] = None
    owner_username: Optional[str] = None
    wrapper_type: Optional[str] = None
    #: What the instance's engine can do beyond the shared instance API, e.g.
    #: ``interrupt_running_query``, ``exact_doubles``, ``timestamp_microseconds`` (Ryugraph has
    #: them; FalkorDB does not — see docs/decisions.md, "FalkorDB, the second engine").
    capabilities: List[str] = []
    version: Optional[str] = None
    started_at: Timestamp = None
    uptime_seconds: Optional[int] = None
    node_count: Optional[int] = None
    edge_count: Optional[int] = None
    node_tables: List[str] = []
    edge_tables: List[str] = []
    memory_usage_bytes: Optional[int] = None
    disk_usage_bytes: Optional[int] = None
    active_queries: int = 0
    lock: LockStatus = LockStatus()

    _repr_keys = ("status", "ready", "node_count", "edge_count")


class NodeTableSchema(GraphOLAPModel):
    """A node label of the graph schema.

    Example:
        >>> NodeTableSchema(label="A", properties={"id": "STRING"}).property_names
        ['id']
    """

    label: str
    primary_key: Optional[str] = None
    primary_key_type: Optional[str] = None
    properties: Dict[str, str] = {}
    algorithm_properties: List[str] = []
    node_count: Optional[int] = None

    _repr_keys = ("label", "node_count")

    @field_validator("properties", mode="before")
    @classmethod
    def _props(cls, v: Any) -> Any:
        if isinstance(v, list):
            return {p["name"]: p.get("type", "STRING") for p in v if isinstance(p, dict)}
        return v or {}

    @property
    def property_names(self) -> List[str]:
        """Property names in schema order."""
        return list(self.properties)


class EdgeTableSchema(GraphOLAPModel):
    """An edge type of the graph schema.

    Example:
        >>> EdgeTableSchema(type="R", from_node="A", to_node="B").from_node
        'A'
    """

    type: str
    from_node: Optional[str] = None
    to_node: Optional[str] = None
    from_key: Optional[str] = None
    to_key: Optional[str] = None
    properties: Dict[str, str] = {}
    edge_count: Optional[int] = None

    _repr_keys = ("type", "from_node", "to_node", "edge_count")

    @field_validator("properties", mode="before")
    @classmethod
    def _props(cls, v: Any) -> Any:
        if isinstance(v, list):
            return {p["name"]: p.get("type", "STRING") for p in v if isinstance(p, dict)}
        return v or {}


class LabelMap(Dict[str, List[str]]):
    """``{label: [property names]}`` that also behaves like the list of labels.

    Iterating, ``in``, ``len`` and the keys see the labels; ``m["Customer"]``
    gives that label's property names; ``m[0]`` is the first label; it compares
    equal to a list of the labels in order.

    Example:
        >>> m = LabelMap({"Customer": ["id", "name"], "Account": ["id"]})
        >>> m["Customer"], m[0], m == ["Customer", "Account"], list(m)
        (['id', 'name'], 'Customer', True, ['Customer', 'Account'])
    """

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, slice)) and not isinstance(key, bool) and cast(Any, key) not in self:
            return list(self.keys())[key]
        return super().__getitem__(key)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return list(self.keys()) == list(other)
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment,unused-ignore]


class GraphSchema(GraphOLAPModel):
    """Schema of a running graph with exact counts (instance API ``GET /schema``).

    Example:
        >>> s = GraphSchema.from_dict({"node_tables": [{"label": "A", "properties": {"id": "STRING"},
        ...     "node_count": 2}], "edge_tables": [], "total_nodes": 2, "total_edges": 0})
        >>> s.node_labels, s.node_counts, s.properties["A"]
        ({'A': ['id']}, {'A': 2}, {'id': 'STRING'})
        >>> s.node_labels == ["A"], s.node_labels[0], s.node_count
        (True, 'A', 2)
    """

    node_tables: List[NodeTableSchema] = []
    edge_tables: List[EdgeTableSchema] = []
    total_nodes: Optional[int] = None
    total_edges: Optional[int] = None

    _repr_keys = ("node_labels", "relationship_types", "total_nodes", "total_edges")

    @property
    def node_labels(self) -> LabelMap:
        """Node labels → their property names (also usable as the list of labels)."""
        return LabelMap((n.label, list(n.properties)) for n in self.node_tables)

    @property
    def relationship_types(self) -> LabelMap:
        """Relationship types → their property names (also usable as the list of types)."""
        return LabelMap((e.type, list(e.properties)) for e in self.edge_tables)

    @property
    def node_count(self) -> int:
        """Total number of nodes (``total_nodes``, or the sum of per-label counts)."""
        if self.total_nodes is not None:
            return self.total_nodes
        return sum(n.node_count or 0 for n in self.node_tables)

    @property
    def relationship_count(self) -> int:
        """Total number of relationships (``total_edges``, or the sum per type)."""
        if self.total_edges is not None:
            return self.total_edges
        return sum(e.edge_count or 0 for e in self.edge_tables)

    @property
    def properties(self) -> Dict[str, Dict[str, str]]:
        """``{label or type: {property: type}}`` for nodes and edges."""
        out = {n.label: dict(n.properties) for n in self.node_tables}
        out.update({e.type: dict(e.properties) for e in self.edge_tables})
        return out

    @property
    def node_counts(self) -> Dict[str, Optional[int]]:
        """``{label: count}``."""
        return {n.label: n.node_count for n in self.node_tables}

    @property
    def edge_counts(self) -> Dict[str, Optional[int]]:
        """``{type: count}``."""
        return {e.type: e.edge_count for e in self.edge_tables}

    def _repr_html_(self) -> str:
        rows = []
        for n in self.node_tables:
            props = ", ".join(f"{k}: {v}" for k, v in n.properties.items())
            rows.append(f"<tr><td>node</td><td><b>{html.escape(n.label)}</b></td>"
                        f"<td>{n.node_count if n.node_count is not None else '—'}</td>"
                        f"<td>{html.escape(props)}</td></tr>")
        for e in self.edge_tables:
            props = ", ".join(f"{k}: {v}" for k, v in e.properties.items())
            rows.append(f"<tr><td>edge</td><td><b>{html.escape(e.type)}</b> "
                        f"({html.escape(str(e.from_node))})→({html.escape(str(e.to_node))})</td>"
                        f"<td>{e.edge_count if e.edge_count is not None else '—'}</td>"
                        f"<td>{html.escape(props)}</td></tr>")
        return ("<div class='graph-olap go-card'><div class='go-card-title'>Graph schema "
                f"<span class='go-muted'>{self.total_nodes} nodes · {self.total_edges} edges"
                "</span></div><table class='go-table'><thead><tr><th>kind</th><th>name</th>"
                f"<th>count</th><th>properties</th></tr></thead><tbody>{''.join(rows)}</tbody>"
                "</table></div>")
