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
    "OwnerCount",
    "OwnerInstanceCount",
    "ResourceLifecycleConfig",
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

    _repr_keys = ("total", "by_status", "limits")


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
