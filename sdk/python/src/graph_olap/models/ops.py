"""Ops models: configuration, cluster health and capacity, jobs, state (API.md §3.13–3.16).

Owns the typed shapes returned by ``client.ops``.  Durations stay ISO 8601
strings exactly as the server echoes them (so they can be written back
unchanged); use :func:`graph_olap.durations.parse_duration` for arithmetic.

Example:
    >>> cfg = LifecycleConfig.from_api_response({"instance": {"default_ttl": "PT24H"},
    ...     "mapping": {}, "snapshot": {}})
    >>> cfg.instance.default_ttl, cfg.mapping.max_ttl
    ('PT24H', None)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Union

from graph_olap.models.base import GraphOLAPModel, Timestamp
from graph_olap.models.common import HealthStatus

__all__ = [
    "CapacityAmount",
    "CapacityTotals",
    "ClusterCapacity",
    "ClusterHealth",
    "ClusterInstances",
    "ComponentHealth",
    "ConcurrencyConfig",
    "ExportConfig",
    "ExportJob",
    "HealthStatus",
    "InstanceLimits",
    "JobStatus",
    "JobTrigger",
    "LifecycleConfig",
    "MaintenanceMode",
    "NodeCapacity",
    "OwnerCount",
    "OwnerInstanceCount",
    "ResourceLifecycleConfig",
    "RuntimeUnits",
    "SystemState",
]


class ResourceLifecycleConfig(GraphOLAPModel):
    """Lifecycle defaults of one resource type.

    Example:
        >>> r = ResourceLifecycleConfig(default_ttl="PT24H", max_ttl="P7D")
        >>> r.default_ttl_timedelta.total_seconds()
        86400.0
    """

    default_ttl: Optional[str] = None
    default_inactivity: Optional[str] = None
    max_ttl: Optional[str] = None

    _repr_keys = ("default_ttl", "default_inactivity", "max_ttl")

    @property
    def default_ttl_timedelta(self) -> Optional[timedelta]:
        """``default_ttl`` as a ``timedelta`` (``None`` when unset)."""
        from graph_olap.durations import parse_duration

        return parse_duration(self.default_ttl) if self.default_ttl else None


class LifecycleConfig(GraphOLAPModel):
    """Lifecycle defaults for mappings, snapshots and instances.

    Example:
        >>> LifecycleConfig().instance.default_ttl is None
        True
    """

    mapping: ResourceLifecycleConfig = ResourceLifecycleConfig()
    snapshot: ResourceLifecycleConfig = ResourceLifecycleConfig()
    instance: ResourceLifecycleConfig = ResourceLifecycleConfig()
    updated_at: Timestamp = None
    updated_by: Optional[str] = None

    _repr_keys = ("mapping", "snapshot", "instance")


class ConcurrencyConfig(GraphOLAPModel):
    """Instance limits per analyst and cluster-wide.

    Example:
        >>> ConcurrencyConfig(per_analyst=10, cluster_total=50).per_analyst
        10
    """

    per_analyst: int
    cluster_total: int
    updated_at: Timestamp = None
    updated_by: Optional[str] = None

    _repr_keys = ("per_analyst", "cluster_total")


class MaintenanceMode(GraphOLAPModel):
    """Maintenance mode flag and message.

    Example:
        >>> MaintenanceMode(enabled=False).message
        ''
    """

    enabled: bool = False
    message: str = ""
    updated_at: Timestamp = None
    updated_by: Optional[str] = None

    _repr_keys = ("enabled", "message")


class ExportConfig(GraphOLAPModel):
    """Export limits.

    Example:
        >>> ExportConfig(max_duration_seconds=3600).max_duration_seconds
        3600
    """

    max_duration_seconds: int
    updated_at: Timestamp = None
    updated_by: Optional[str] = None

    _repr_keys = ("max_duration_seconds",)


class ComponentHealth(GraphOLAPModel):
    """Health of one platform component.

    Example:
        >>> ComponentHealth(status="healthy", latency_ms=2).latency_ms
        2
    """

    status: str
    latency_ms: Optional[Union[int, float]] = None
    error: Optional[str] = None
    checked_at: Timestamp = None

    _repr_keys = ("status", "latency_ms", "error")


class ClusterHealth(GraphOLAPModel):
    """Overall and per-component health (``healthy`` | ``degraded`` | ``unhealthy``).

    Example:
        >>> h = ClusterHealth.from_dict({"status": "healthy",
        ...     "components": {"database": {"status": "healthy", "latency_ms": 1}}})
        >>> h.components["database"].status
        'healthy'
    """

    status: str
    components: Dict[str, ComponentHealth] = {}
    checked_at: Timestamp = None

    _repr_keys = ("status", "components")

    @property
    def is_healthy(self) -> bool:
        """``status == "healthy"``."""
        return self.status == "healthy"


class InstanceLimits(GraphOLAPModel):
    """Capacity numbers of the cluster.

    Example:
        >>> InstanceLimits(per_analyst=10, cluster_total=50, cluster_used=1,
        ...                cluster_available=49).cluster_available
        49
    """

    per_analyst: Optional[int] = None
    cluster_total: Optional[int] = None
    cluster_used: int = 0
    cluster_available: Optional[int] = None

    _repr_keys = ("cluster_used", "cluster_total", "cluster_available")


class OwnerCount(GraphOLAPModel):
    """Instances of one owner.

    Example:
        >>> OwnerCount(owner_username="a@x", count=2).count
        2
    """

    owner_username: str
    count: int = 0

    _repr_keys = ("owner_username", "count")


class RuntimeUnits(GraphOLAPModel):
    """The instance runtime's own units by phase (pods with graph-olap's labels on Kubernetes).

    Set next to the instance rows' ``by_status`` so a row ``running`` whose pod has ``Failed``
    shows up before reconciliation catches it.

    Example:
        >>> u = RuntimeUnits(runtime="kubernetes", total=3,
        ...                  by_phase={"Pending": 1, "Running": 2, "Failed": 0})
        >>> u.by_phase["Pending"], u.total
        (1, 3)
    """

    runtime: str
    total: int = 0
    by_phase: Dict[str, int] = {}

    _repr_keys = ("runtime", "total", "by_phase")


class ClusterInstances(GraphOLAPModel):
    """Cluster-wide instance summary.

    Example:
        >>> c = ClusterInstances.from_dict({"total": 1, "by_status": {"running": 1},
        ...     "by_owner": [{"owner_username": "a@x", "count": 1}],
        ...     "limits": {"per_analyst": 10, "cluster_total": 50, "cluster_used": 1}})
        >>> c.limits.cluster_used, c.by_owner[0].owner_username
        (1, 'a@x')
    """

    total: int = 0
    by_status: Dict[str, int] = {}
    by_owner: List[OwnerCount] = []
    by_wrapper_type: Dict[str, int] = {}
    limits: InstanceLimits = InstanceLimits()
    #: The runtime's units by phase; ``None`` when the runtime did not answer within 2 s.
    units: Optional[RuntimeUnits] = None

    _repr_keys = ("total", "by_status", "limits")


_GIB = 1 << 30


class CapacityAmount(GraphOLAPModel):
    """An amount of CPU (thousandths of a core) and memory (bytes), as Kubernetes counts them.

    Example:
        >>> a = CapacityAmount(cpu_millicores=3750, memory_bytes=25 * 2**30)
        >>> a.cpu_cores, a.memory_gib
        (3.75, 25.0)
    """

    cpu_millicores: int = 0
    memory_bytes: int = 0

    _repr_keys = ("cpu_millicores", "memory_bytes")

    @property
    def cpu_cores(self) -> float:
        """``cpu_millicores`` in cores."""
        return self.cpu_millicores / 1000

    @property
    def memory_gib(self) -> float:
        """``memory_bytes`` in GiB (2^30 bytes)."""
        return self.memory_bytes / _GIB


class NodeCapacity(GraphOLAPModel):
    """One node of the runtime: what the scheduler may hand out, what is requested, what is left.

    On Kubernetes a cluster node; for the local runtime the machine itself.

    Example:
        >>> n = NodeCapacity.from_dict({"name": "node-a", "ready": True, "schedulable": True,
        ...     "allocatable": {"cpu_millicores": 8000, "memory_bytes": 32 * 2**30},
        ...     "requested": {"cpu_millicores": 4250, "memory_bytes": 8 * 2**30},
        ...     "available": {"cpu_millicores": 3750, "memory_bytes": 24 * 2**30}, "pods": 3})
        >>> n.available.cpu_cores, n.available.memory_gib, n.takes_new_instances
        (3.75, 24.0, True)
    """

    name: str
    ready: bool = False
    schedulable: bool = False
    allocatable: CapacityAmount = CapacityAmount()
    requested: CapacityAmount = CapacityAmount()
    available: CapacityAmount = CapacityAmount()
    pods: int = 0

    _repr_keys = ("name", "ready", "schedulable", "available")

    @property
    def takes_new_instances(self) -> bool:
        """Ready and not cordoned: new instance pods may be scheduled here."""
        return self.ready and self.schedulable


class CapacityTotals(GraphOLAPModel):
    """Sums over the ready, schedulable nodes: the room new instances have.

    Example:
        >>> CapacityTotals(nodes=2, available={"cpu_millicores": 500,
        ...                                    "memory_bytes": 0}).available.cpu_cores
        0.5
    """

    nodes: int = 0
    allocatable: CapacityAmount = CapacityAmount()
    requested: CapacityAmount = CapacityAmount()
    available: CapacityAmount = CapacityAmount()

    _repr_keys = ("nodes", "available")


class ClusterCapacity(GraphOLAPModel):
    """Room for instances as the runtime reports it (``GET /api/cluster/capacity``).

    ``requests_counted`` says whose requests ``requested`` adds up: ``all_pods`` (every
    non-terminated pod on the node, any namespace: the scheduler's view) or ``own_units``
    (graph-olap's instances only: the local runtime, or a cluster that refused listing pods in
    all namespaces).

    Example:
        >>> c = ClusterCapacity.from_dict({"runtime": "kubernetes", "requests_counted": "all_pods",
        ...     "units": {"runtime": "kubernetes", "total": 1, "by_phase": {"Running": 1}},
        ...     "nodes": [{"name": "node-a", "ready": True, "schedulable": False}],
        ...     "totals": {"nodes": 0}})
        >>> [n.name for n in c.nodes], c.schedulable_nodes, c.units.by_phase["Running"]
        (['node-a'], [], 1)
    """

    runtime: str
    requests_counted: str = "own_units"
    units: RuntimeUnits
    nodes: List[NodeCapacity] = []
    totals: CapacityTotals = CapacityTotals()

    _repr_keys = ("runtime", "requests_counted", "totals")

    @property
    def schedulable_nodes(self) -> List[NodeCapacity]:
        """The nodes new instances can go to (ready and not cordoned)."""
        return [n for n in self.nodes if n.takes_new_instances]


class JobStatus(GraphOLAPModel):
    """Status of one background job.

    Example:
        >>> JobStatus(name="lifecycle", health_status="healthy").name
        'lifecycle'
    """

    name: str
    description: Optional[str] = None
    triggerable: bool = True
    interval_seconds: Optional[int] = None
    schedule: Optional[str] = None
    next_run: Timestamp = None
    running: bool = False
    last_run_at: Timestamp = None
    last_success_at: Timestamp = None
    last_failure_at: Timestamp = None
    last_duration_ms: Optional[int] = None
    last_error: Optional[str] = None
    consecutive_failures: int = 0
    health_status: Optional[str] = None
    last_trigger: Optional[Dict[str, Any]] = None

    _repr_keys = ("name", "health_status", "next_run")


class JobTrigger(GraphOLAPModel):
    """Response of a job trigger.

    Example:
        >>> JobTrigger(job_name="lifecycle", status="queued").status
        'queued'
    """

    job_name: str
    status: str = "queued"
    triggered_at: Timestamp = None
    triggered_by: Optional[str] = None
    reason: Optional[str] = None

    _repr_keys = ("job_name", "status", "triggered_by")


class ExportJob(GraphOLAPModel):
    """One export job of a snapshot (API.md §3.16).

    Example:
        >>> ExportJob(id=1, status="failed", entity_name="Customer").entity_name
        'Customer'
    """

    id: int
    snapshot_id: Optional[int] = None
    mapping_id: Optional[int] = None
    job_type: Optional[str] = None
    entity_type: Optional[str] = None
    entity_name: Optional[str] = None
    status: str = "pending"
    attempts: int = 0
    max_attempts: Optional[int] = None
    claimed_by: Optional[str] = None
    claimed_at: Timestamp = None
    lease_expires_at: Timestamp = None
    started_at: Timestamp = None
    deadline_at: Timestamp = None
    available_at: Timestamp = None
    completed_at: Timestamp = None
    row_count: Optional[int] = None
    size_bytes: Optional[int] = None
    output_uri: Optional[str] = None
    warehouse_query_id: Optional[str] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    created_at: Timestamp = None
    updated_at: Timestamp = None

    _repr_keys = ("id", "snapshot_id", "entity_name", "status")


class SystemState(GraphOLAPModel):
    """Counts of instances, snapshots and export jobs by status.

    Example:
        >>> SystemState(instances={"total": 0, "by_status": {}})["instances"]["total"]
        0
    """

    instances: Dict[str, Any] = {}
    snapshots: Dict[str, Any] = {}
    export_jobs: Dict[str, Any] = {}
    maintenance: Dict[str, Any] = {}

    _repr_keys = ("instances", "snapshots", "export_jobs")


#: Instance count of one owner (``owner_username``, ``count``).
OwnerInstanceCount = OwnerCount
