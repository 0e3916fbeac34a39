"""Ops configuration, cluster views, jobs, state and metrics (API.md §7.1–7.3, seed 001)."""

from __future__ import annotations

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.exceptions import (
    ConcurrencyLimitError,
    ForbiddenError,
    RateLimitError,
    ValidationError,
)
from graph_olap.models import ResourceLifecycleConfig

from .conftest import Platform


def test_lifecycle_read_modify_restore(ops: GraphOLAPClient) -> None:
    original = ops.ops.get_lifecycle_config()
    assert original.instance.default_ttl is not None
    assert ops.ops.update_lifecycle_config(instance={"default_ttl": "PT12H"}) is True
    assert ops.ops.get_lifecycle_config().instance.default_ttl == "PT12H"
    ops.ops.update_lifecycle_config(instance=ResourceLifecycleConfig(
        default_ttl=original.instance.default_ttl,
        default_inactivity=original.instance.default_inactivity,
        max_ttl=original.instance.max_ttl))
    restored = ops.ops.get_lifecycle_config()
    assert restored.instance.to_dict() == original.instance.to_dict()
    with pytest.raises(ValidationError) as info:
        ops.ops.update_lifecycle_config(instance={"default_ttl": "P1Y"})
    assert any("default_ttl" in f for f in info.value.field_errors)


def test_concurrency_maintenance_export(ops: GraphOLAPClient) -> None:
    conc = ops.ops.get_concurrency_config()
    lowered = ops.ops.update_concurrency_config(per_analyst=2, cluster_total=20)
    assert (lowered.per_analyst, lowered.cluster_total) == (2, 20)
    ops.ops.update_concurrency_config(per_analyst=conc.per_analyst,
                                      cluster_total=conc.cluster_total)
    assert ops.ops.get_concurrency_config().per_analyst == conc.per_analyst

    on = ops.ops.set_maintenance_mode(True, "upgrade in progress")
    assert on.enabled and on.message == "upgrade in progress"
    assert on.updated_by == "ops_dave@e2e.local"
    off = ops.ops.set_maintenance_mode(False)
    assert not off.enabled and not ops.ops.get_maintenance_mode().enabled

    export = ops.ops.get_export_config()
    assert ops.ops.update_export_config(7200).max_duration_seconds == 7200
    ops.ops.update_export_config(export.max_duration_seconds)
    with pytest.raises(ValidationError):
        ops.ops.update_export_config(5)


def test_cluster_views(ops: GraphOLAPClient) -> None:
    health = ops.ops.get_cluster_health()
    assert health.status in ("healthy", "degraded", "unhealthy")
    assert health.components["database"].status == "healthy"
    instances = ops.ops.get_cluster_instances()
    assert instances.limits.cluster_total is not None
    assert instances.limits.cluster_used >= 0
    assert "running" in instances.by_status


def test_cluster_capacity_of_the_local_runtime(ops: GraphOLAPClient) -> None:
    """``graph-olap up`` runs the local runtime: one node (this machine), every CPU and all of
    ``MemTotal`` allocatable, the running instances' own requests counted."""
    import os

    capacity = ops.ops.get_cluster_capacity()
    assert capacity.runtime == "local" and capacity.requests_counted == "own_units"
    assert capacity.units.runtime == "local"
    assert capacity.units.total == sum(capacity.units.by_phase.values())
    assert set(capacity.units.by_phase) == {"Pending", "Running", "Succeeded", "Failed",
                                            "Unknown"}
    [node] = capacity.nodes
    assert node.ready and node.schedulable and node.takes_new_instances
    # Whole CPUs the server may use (affinity and cgroup quota can make it fewer than all).
    assert node.allocatable.cpu_millicores % 1000 == 0
    assert 1000 <= node.allocatable.cpu_millicores <= 1000 * (os.cpu_count() or 0)
    with open("/proc/meminfo") as meminfo:
        total_kib = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
    assert node.allocatable.memory_bytes == total_kib * 1024
    assert node.available.cpu_millicores == max(
        0, node.allocatable.cpu_millicores - node.requested.cpu_millicores)
    assert capacity.totals.nodes == 1
    assert capacity.totals.available.to_dict() == node.available.to_dict()
    assert capacity.schedulable_nodes[0].name == node.name
    # The same units next to the instance rows.
    units = ops.ops.get_cluster_instances().units
    assert units is not None and units.runtime == "local"


def test_cluster_capacity_needs_the_ops_role(analyst: GraphOLAPClient,
                                             admin: GraphOLAPClient) -> None:
    for client in (analyst, admin):
        with pytest.raises(ForbiddenError):
            client.ops.get_cluster_capacity()


def test_jobs_state_exports_metrics(fresh_platform: Platform) -> None:
    with fresh_platform.client("ops") as ops:
        names = [j["name"] for j in ops.ops.get_job_status()["jobs"]]
        assert names[:4] == ["reconciliation", "lifecycle", "export_reconciliation",
                             "schema_cache"]
        result = ops.ops.trigger_job("lifecycle", reason="integration-test")
        assert result["job_name"] == "lifecycle" and result["status"] == "queued"
        with pytest.raises(RateLimitError) as info:
            ops.ops.trigger_job("lifecycle", reason="again")
        assert isinstance(info.value, ConcurrencyLimitError)
        assert info.value.retry_after_seconds is not None
        with pytest.raises(ValidationError):
            ops.ops.trigger_job("instance_orchestration")
        state = ops.ops.get_state()
        assert "total" in state["instances"] and "by_status" in state["snapshots"]
        assert isinstance(ops.ops.get_export_jobs(status="failed", limit=5), list)
        metrics = ops.ops.get_metrics()
        assert "maintenance_mode_enabled" in metrics
        assert "background_job_execution_total" in metrics


@pytest.mark.parametrize("call", [
    lambda c: c.ops.get_lifecycle_config(),
    lambda c: c.ops.get_cluster_health(),
    lambda c: c.ops.get_state(),
    lambda c: c.ops.get_metrics(),
])
def test_ops_role_required(analyst: GraphOLAPClient, admin: GraphOLAPClient, call) -> None:
    for client in (analyst, admin):
        with pytest.raises(ForbiddenError) as info:
            call(client)
        assert info.value.status_code == 403
