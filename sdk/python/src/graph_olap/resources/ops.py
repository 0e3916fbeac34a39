"""``client.ops`` — platform configuration, cluster views, jobs and state (ops role, §7.1–7.3).

Configuration changes follow read → modify → restore.

Example:
    >>> cfg = ops.ops.get_concurrency_config()   # ops: GraphOLAPClient(username="ops_dave@e2e.local")
    >>> ops.ops.update_concurrency_config(per_analyst=5).per_analyst
    5
    >>> ops.ops.update_concurrency_config(per_analyst=cfg.per_analyst).per_analyst == cfg.per_analyst
    True
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union, cast

from graph_olap.durations import to_duration_str
from graph_olap.models.ops import (
    ClusterCapacity,
    ClusterHealth,
    ClusterInstances,
    ConcurrencyConfig,
    ExportConfig,
    LifecycleConfig,
    MaintenanceMode,
    ResourceLifecycleConfig,
)
from graph_olap.resources._base import Resource

__all__ = ["OpsResource"]

LifecycleArg = Union[ResourceLifecycleConfig, Dict[str, Any], None]


def _lifecycle_body(value: Any) -> Dict[str, Any]:
    if isinstance(value, ResourceLifecycleConfig):
        raw = {k: getattr(value, k) for k in ("default_ttl", "default_inactivity", "max_ttl")}
    elif isinstance(value, dict):
        raw = dict(value)
    else:
        raise TypeError("lifecycle settings must be a ResourceLifecycleConfig or a dict")
    return {k: (to_duration_str(v) if v is not None else None) for k, v in raw.items()}


class OpsResource(Resource):
    """Operations endpoints (ops role).

    Example:
        >>> health = ops.ops.get_cluster_health(); health.status
        'healthy'
    """

    # ---------------------------------------------------------- lifecycle
    def get_lifecycle_config(self) -> LifecycleConfig:
        """TTL / inactivity defaults and ``max_ttl`` per resource type.

        Example:
            >>> ops.ops.get_lifecycle_config().instance.default_ttl
            'PT24H'
        """
        return self._one("GET", "/api/config/lifecycle", LifecycleConfig)

    def update_lifecycle_config(self, mapping: LifecycleArg = None, snapshot: LifecycleArg = None,
                                instance: LifecycleArg = None) -> bool:
        """Update lifecycle settings; only given keys change (``None`` values clear).

        Returns ``True`` on success.

        Example:
            >>> before = ops.ops.get_lifecycle_config().instance.default_ttl
            >>> ops.ops.update_lifecycle_config(instance={"default_ttl": "PT12H"})
            True
            >>> ops.ops.get_lifecycle_config().instance.default_ttl
            'PT12H'
            >>> ops.ops.update_lifecycle_config(instance={"default_ttl": before})
            True
        """
        body: Dict[str, Any] = {}
        for key, value in (("mapping", mapping), ("snapshot", snapshot), ("instance", instance)):
            if value is not None:
                body[key] = _lifecycle_body(value)
        self._http.data("PUT", "/api/config/lifecycle", json=body)
        return True

    # -------------------------------------------------------- concurrency
    def get_concurrency_config(self) -> ConcurrencyConfig:
        """Per-analyst and cluster-wide instance limits.

        Example:
            >>> ops.ops.get_concurrency_config().cluster_total > 0
            True
        """
        return self._one("GET", "/api/config/concurrency", ConcurrencyConfig)

    def update_concurrency_config(self, per_analyst: Optional[int] = None,
                                  cluster_total: Optional[int] = None) -> ConcurrencyConfig:
        """Change limits (at least one); ``per_analyst ≤ cluster_total`` must hold.

        Example:
            >>> cfg = ops.ops.get_concurrency_config()
            >>> changed = ops.ops.update_concurrency_config(per_analyst=4, cluster_total=20)
            >>> changed.per_analyst, changed.cluster_total
            (4, 20)
            >>> restored = ops.ops.update_concurrency_config(per_analyst=cfg.per_analyst,
            ...                                              cluster_total=cfg.cluster_total)
        """
        body: Dict[str, Any] = {}
        if per_analyst is not None:
            body["per_analyst"] = int(per_analyst)
        if cluster_total is not None:
            body["cluster_total"] = int(cluster_total)
        if not body:
            raise ValueError("give per_analyst and/or cluster_total")
        return self._one("PUT", "/api/config/concurrency", ConcurrencyConfig, json=body)

    # -------------------------------------------------------- maintenance
    def get_maintenance_mode(self) -> MaintenanceMode:
        """Whether maintenance mode is on, and its message.

        Example:
            >>> ops.ops.get_maintenance_mode().enabled
            False
        """
        return self._one("GET", "/api/config/maintenance", MaintenanceMode)

    def set_maintenance_mode(self, enabled: bool, message: str = "") -> MaintenanceMode:
        """Enable/disable maintenance mode (blocks instance creation while on).

        Example:
            >>> ops.ops.set_maintenance_mode(True, "upgrade until 14:00 UTC").enabled
            True
            >>> ops.ops.set_maintenance_mode(False).enabled
            False
        """
        return self._one("PUT", "/api/config/maintenance", MaintenanceMode,
                         json={"enabled": bool(enabled), "message": message or ""})

    # ------------------------------------------------------------- export
    def get_export_config(self) -> ExportConfig:
        """Export limits.

        Example:
            >>> ops.ops.get_export_config().max_duration_seconds > 0
            True
        """
        return self._one("GET", "/api/config/export", ExportConfig)

    def update_export_config(self, max_duration_seconds: int) -> ExportConfig:
        """Set the maximum export job duration (60–86 400 s).

        Example:
            >>> before = ops.ops.get_export_config().max_duration_seconds
            >>> ops.ops.update_export_config(max_duration_seconds=7200).max_duration_seconds
            7200
            >>> ops.ops.update_export_config(max_duration_seconds=before).max_duration_seconds == before
            True
        """
        return self._one("PUT", "/api/config/export", ExportConfig,
                         json={"max_duration_seconds": int(max_duration_seconds)})

    # ------------------------------------------------------------ cluster
    def get_cluster_health(self) -> ClusterHealth:
        """Probe every component (database, compute, warehouse, object storage).

        Example:
            >>> sorted(ops.ops.get_cluster_health().components)
            ['compute', 'database', 'object_storage', 'warehouse']
        """
        return self._one("GET", "/api/cluster/health", ClusterHealth)

    def get_cluster_instances(self) -> ClusterInstances:
        """Instance totals by status/owner and capacity limits.

        Example:
            >>> ops.ops.get_cluster_instances().limits.cluster_available >= 0
            True
        """
        return self._one("GET", "/api/cluster/instances", ClusterInstances)

    def get_cluster_capacity(self) -> ClusterCapacity:
        """Room for new instances: every node's allocatable, requested and available CPU and
        memory, totals over the nodes that take new instances, and the runtime's units by phase.

        The runtime is asked at every call (2 s limit). On Kubernetes the nodes are the
        cluster's; with the local runtime the machine is the one node.

        Raises:
            ServiceUnavailableError: the control plane runs without an instance runtime (503).
            ServerError: the runtime did not answer, or the cluster refused listing nodes — the
                message names the missing ClusterRole (502).

        Example:
            >>> cap = ops.ops.get_cluster_capacity()
            >>> cap.totals.nodes >= 1 and cap.totals.available.cpu_millicores >= 0
            True
            >>> all(n.available.memory_bytes <= n.allocatable.memory_bytes for n in cap.nodes)
            True
        """
        return self._one("GET", "/api/cluster/capacity", ClusterCapacity)

    # --------------------------------------------------------------- jobs
    def trigger_job(self, job_name: str, reason: str = "manual-trigger") -> Dict[str, Any]:
        """Run a background job now (``reconciliation``, ``lifecycle``,
        ``export_reconciliation``, ``schema_cache``); 1 trigger per job per minute.

        Returns ``{"job_name", "status", "triggered_at", "triggered_by", "reason"}``.

        Raises:
            RateLimitError: triggered less than a minute ago (also a
                ``ConcurrencyLimitError``).

        Example:
            >>> ops.ops.trigger_job("lifecycle", reason="smoke-test")["status"]
            'queued'
        """
        return cast(Dict[str, Any], self._http.data(
            "POST", "/api/ops/jobs/trigger", json={"job_name": job_name, "reason": reason}))

    def get_job_status(self) -> Dict[str, Any]:
        """``{"jobs": [...]}`` with schedule, last run, health of every job.

        Example:
            >>> "lifecycle" in [j["name"] for j in ops.ops.get_job_status()["jobs"]]
            True
        """
        return cast(Dict[str, Any], self._http.data("GET", "/api/ops/jobs/status"))

    def get_state(self) -> Dict[str, Any]:
        """Counts of instances, snapshots and export jobs by status.

        Example:
            >>> inst.status, ops.ops.get_state()["instances"]["total"] >= 1   # inst: a running one
            ('running', True)
        """
        return cast(Dict[str, Any], self._http.data("GET", "/api/ops/state"))

    def get_export_jobs(self, status: Optional[str] = None, limit: int = 100, *,
                        snapshot_id: Optional[int] = None, offset: int = 0
                        ) -> List[Dict[str, Any]]:
        """Export jobs (newest first) for debugging workers.

        Example:
            >>> all(j["status"] == "failed" for j in ops.ops.get_export_jobs(status="failed", limit=10))
            True
        """
        data = self._http.data("GET", "/api/ops/export-jobs", params={
            "status": status, "limit": limit, "snapshot_id": snapshot_id, "offset": offset})
        if isinstance(data, dict):
            return list(data.get("jobs") or [])
        return list(data or [])

    def get_metrics(self) -> str:
        """Raw Prometheus metrics text of the control plane.

        Example:
            >>> any(line.startswith("graph_olap") for line in ops.ops.get_metrics().splitlines())
            True
        """
        body = self._http.request("GET", "/metrics",
                                  headers={"Accept": "text/plain, */*;q=0.1"})
        if isinstance(body, bytes):
            return body.decode("utf-8", "replace")
        return body if isinstance(body, str) else str(body)
