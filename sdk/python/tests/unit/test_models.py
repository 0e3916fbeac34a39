"""Model parsing of the shapes in API.md §3 and §10 (tolerant of unknown fields)."""

from __future__ import annotations

from graph_olap.models import (
    AlgorithmExecution,
    AlgorithmInfo,
    BulkDeleteResult,
    CacheStats,
    ClusterHealth,
    ClusterInstances,
    Column,
    ConcurrencyConfig,
    EdgeDefinition,
    ExportJob,
    Favorite,
    GraphSchema,
    Instance,
    InstanceProgress,
    JobStatus,
    LifecycleConfig,
    LockStatus,
    MaintenanceMode,
    Mapping,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeDefinition,
    Snapshot,
    SnapshotProgress,
    Table,
)

TS = "2025-01-15T10:30:00.000Z"

MAPPING = {
    "id": 1, "owner_username": "analyst_alice@e2e.local", "name": "tutorial-customer-graph",
    "description": None, "current_version": 2,
    "node_definitions": [{"label": "Customer", "sql": "SELECT 1",
                          "primary_key": {"name": "id", "type": "STRING"},
                          "properties": [{"name": "account_count", "type": "INT64"}]}],
    "edge_definitions": [{"type": "SHARES_ACCOUNT", "from_node": "Customer",
                          "to_node": "Customer", "sql": "SELECT 2", "from_key": "from_id",
                          "to_key": "to_id", "properties": []}],
    "change_description": "second", "version_created_at": TS,
    "version_created_by": "analyst_alice@e2e.local", "node_count": 1, "edge_type_count": 1,
    "ttl": None, "inactivity_timeout": None, "expires_at": None, "last_used_at": None,
    "created_at": TS, "updated_at": TS, "future_field": {"x": 1},
}


def test_mapping_full_and_unknown_fields() -> None:
    m = Mapping.from_dict(MAPPING)
    assert m.node_definitions[0].primary_key.name == "id"
    assert m.node_definitions[0].properties[0].type == "INT64"
    assert m.edge_definitions[0].from_key == "from_id"
    assert m.future_field == {"x": 1}
    assert m["future_field"]["x"] == 1
    assert "future_field" in m and "nope" not in m
    assert m.created_at.year == 2025
    assert repr(m) == ("Mapping(id=1, name='tutorial-customer-graph', current_version=2, "
                       "owner_username='analyst_alice@e2e.local')")
    html = m._repr_html_()
    assert "SHARES_ACCOUNT" in html and "Customer" in html
    assert m.to_dict()["node_definitions"][0]["primary_key"] == {"name": "id", "type": "STRING"}


def test_mapping_summary_without_definitions() -> None:
    summary = {k: v for k, v in MAPPING.items() if k not in (
        "node_definitions", "edge_definitions", "change_description", "version_created_at",
        "version_created_by")}
    m = Mapping.from_dict(summary)
    assert m.node_definitions == [] and m.node_count == 1
    assert "1 node labels" in m._repr_html_()


def test_definition_shortcuts() -> None:
    n = NodeDefinition(label="A", sql="s", primary_key=("id", "int64"),
                       properties=[("x", "double"), "y"])
    assert n.primary_key.type == "INT64"
    assert [(p.name, p.type) for p in n.properties] == [("x", "DOUBLE"), ("y", "STRING")]
    e = EdgeDefinition(type="R", from_node="A", to_node="A", sql="s", from_key="f",
                       to_key="t", properties={"w": "DOUBLE"})
    assert e.to_dict()["properties"] == [{"name": "w", "type": "DOUBLE"}]


def test_client_side_diff_matches_server_rules() -> None:
    v1 = MappingVersion.from_dict({**MAPPING, "mapping_id": 1, "version": 1})
    changed = dict(MAPPING)
    changed["node_definitions"] = [
        {**MAPPING["node_definitions"][0], "sql": "SELECT 3"},
        {"label": "Store", "sql": "s", "primary_key": {"name": "id", "type": "STRING"}}]
    changed["edge_definitions"] = []
    v2 = MappingVersion.from_dict({**changed, "mapping_id": 1, "version": 2})
    d = v1.diff(v2)
    assert (d.from_version, d.to_version) == (1, 2)
    assert d.summary.nodes_added == 1 and d.summary.nodes_modified == 1
    assert d.summary.edges_removed == 1
    assert [e.change_type for e in d.changes.nodes] == ["added", "modified"]
    assert d.changes.nodes[1].fields_changed == ["sql"]
    assert d.changes.edges[0]["from"]["type"] == "SHARES_ACCOUNT"
    assert "~ node Customer (sql)" in d.render()


def test_server_diff_and_tree() -> None:
    d = MappingDiff.from_dict({
        "mapping_id": 1, "from_version": 1, "to_version": 2,
        "summary": {"nodes_added": 1, "nodes_removed": 0, "nodes_modified": 0,
                    "edges_added": 0, "edges_removed": 0, "edges_modified": 0},
        "changes": {"nodes": [{"label": "Store", "change_type": "added", "fields_changed": None,
                               "from": None, "to": {"label": "Store"}}], "edges": []}})
    assert d["summary"]["nodes_added"] == 1 and d.has_changes
    assert d.changes.nodes[0].to_dict()["from"] is None
    t = MappingTree.from_dict({"id": 1, "name": "g", "owner_username": "a", "current_version": 2,
        "versions": [{"version": 2, "snapshots": [{"id": 7, "name": "s", "status": "ready",
                      "instances": [{"id": 3, "name": "i", "status": "running"}]}]}],
        "totals": {"version_count": 2, "snapshot_count": 1, "instance_count": 1}})
    assert "instance 3 i [running]" in t.render()


def test_snapshot_and_progress() -> None:
    s = Snapshot.from_dict({"id": 7, "mapping_id": 1, "mapping_version": 2, "status": "ready",
                            "node_counts": {"Customer": 1000}, "size_bytes": 10,
                            "created_at": TS, "ready_at": TS, "prestaged": False})
    assert s.is_ready and s.node_counts == {"Customer": 1000}
    p = SnapshotProgress.from_dict({"id": 7, "status": "creating", "phase": "exporting",
        "steps": [{"name": "nodes/Customer", "type": "node", "status": "completed",
                   "row_count": 1000}, {"name": "edges/R", "status": "in_progress"}],
        "current_step": "edges/R", "progress_percent": 50, "jobs_total": 2})
    assert (p.completed_steps, p.total_steps, p.jobs_total) == (1, 2, 2)


def test_instance_and_progress() -> None:
    i = Instance.from_dict({"id": 3, "name": "tutorial-instance", "status": "running",
        "instance_url": "http://h/wrapper/abc", "cpu_cores": 1, "memory_gb": None,
        "graph_stats": {"node_count": 5}, "ttl": "PT1H", "expires_at": TS, "wrapper_type":
        "ryugraph"})
    assert i.is_running and i.is_active and i.graph_stats["node_count"] == 5
    p = InstanceProgress.from_dict({"id": 3, "status": "starting", "phase": "loading_data",
                                    "steps": [{"name": "snapshot", "status": "completed"}],
                                    "progress_percent": 40})
    assert p.phase == "loading_data" and p.completed_steps == 1


def test_ops_models() -> None:
    lc = LifecycleConfig.from_api_response({"data": {
        "mapping": {"default_ttl": None, "default_inactivity": None, "max_ttl": None},
        "snapshot": {"default_ttl": "P7D", "default_inactivity": "P3D", "max_ttl": "P30D"},
        "instance": {"default_ttl": "PT24H", "default_inactivity": "PT4H", "max_ttl": "P7D"},
        "updated_at": None, "updated_by": None, "updated": True}, "meta": {}})
    assert lc.instance.default_ttl == "PT24H" and lc.mapping.default_ttl is None
    assert lc.instance.default_ttl_timedelta.total_seconds() == 86400
    assert ConcurrencyConfig.from_dict({"per_analyst": 10, "cluster_total": 50}).per_analyst == 10
    assert MaintenanceMode.from_dict({"enabled": False, "message": ""}).enabled is False
    h = ClusterHealth.from_dict({"status": "degraded", "checked_at": TS, "components": {
        "database": {"status": "healthy", "latency_ms": 2, "error": None, "checked_at": TS},
        "warehouse": {"status": "unhealthy", "latency_ms": None, "error": "refused"}}})
    assert h.components["database"].latency_ms == 2
    assert f"{h.components['database'].latency_ms}ms" == "2ms"
    assert h.components["warehouse"].error == "refused"
    ci = ClusterInstances.from_dict({"total": 12, "by_status": {"running": 8},
        "by_owner": [{"owner_username": "a", "count": 5}], "by_wrapper_type": {"ryugraph": 11},
        "limits": {"per_analyst": 10, "cluster_total": 50, "cluster_used": 11,
                   "cluster_available": 39}})
    assert ci.limits.cluster_used == 11 and ci.by_owner[0].count == 5
    js = JobStatus.from_dict({"name": "lifecycle", "next_run": TS, "health_status": "unknown",
                              "consecutive_failures": 0, "triggerable": True})
    assert js.next_run is not None
    job = ExportJob.from_dict({"id": 1, "snapshot_id": 7, "status": "failed",
                               "error_code": "WAREHOUSE_ERROR", "available_at": TS})
    assert job.error_code == "WAREHOUSE_ERROR"
    r = BulkDeleteResult.from_dict({"dry_run": True, "resource_type": "instance",
        "matched_count": 3, "matched_ids": [1, 2, 3], "deleted_count": 0, "deleted_ids": [],
        "failed_ids": [], "errors": {}})
    assert r["matched_count"] == 3 and r.matched_ids == [1, 2, 3]


def test_misc_models() -> None:
    f = Favorite.from_dict({"resource_type": "mapping", "resource_id": 1, "resource_name": "g",
                            "resource_owner": "a", "resource_status": None,
                            "resource_exists": True, "created_at": TS})
    assert f.resource_name == "g"
    t = Table.from_dict({"catalog_name": "demo", "schema_name": "bank", "table_name": "accounts",
                         "table_type": "BASE TABLE", "column_count": 5, "comment": None,
                         "cached_at": TS})
    assert t.full_name == "demo.bank.accounts"
    c = Column.from_dict({"catalog_name": "demo", "schema_name": "bank", "table_name": "a",
                          "column_name": "id", "data_type": "bigint", "is_nullable": False,
                          "ordinal_position": 1})
    assert c.ordinal_position == 1
    assert CacheStats.from_dict({"total_catalogs": 2, "last_refresh_status": "never",
                                 "refresh_in_progress": False}).total_catalogs == 2


def test_instance_api_models() -> None:
    lock = LockStatus.from_dict({"locked": True, "holder_id": "a", "holder_username": "a",
                                 "algorithm_name": "pagerank", "algorithm_type": "native",
                                 "execution_id": "e", "acquired_at": TS})
    assert lock.algorithm == "pagerank" and lock.holder_name == "a"
    schema = GraphSchema.from_dict({"node_tables": [{"label": "Customer", "primary_key": "id",
        "primary_key_type": "STRING", "properties": {"id": "STRING", "pr": "DOUBLE"},
        "algorithm_properties": ["pr"], "node_count": 1000}],
        "edge_tables": [{"type": "SHARES_ACCOUNT", "from_node": "Customer",
                         "to_node": "Customer", "from_key": "from_id", "to_key": "to_id",
                         "properties": {}, "edge_count": 2500}],
        "total_nodes": 1000, "total_edges": 2500})
    assert schema.node_labels == ["Customer"]
    assert schema.relationship_types == ["SHARES_ACCOUNT"]
    assert schema.properties["Customer"] == {"id": "STRING", "pr": "DOUBLE"}
    assert schema.node_counts == {"Customer": 1000} and schema.edge_counts["SHARES_ACCOUNT"] == 2500
    assert "SHARES_ACCOUNT" in schema._repr_html_()
    e = AlgorithmExecution.from_dict({"execution_id": "x", "algorithm_name": "density",
        "algorithm_type": "networkx", "status": "completed", "user_name": "a",
        "node_labels": [], "edge_types": [], "write_back": False, "parameters": {},
        "started_at": TS, "elapsed_ms": 3, "result": {"value": 0.25}})
    assert e.value == 0.25 and e.succeeded
    info = AlgorithmInfo.from_dict({"name": "pagerank", "type": "native",
        "category": "centrality", "parameters": [{"name": "damping_factor", "type": "float",
        "required": False, "default": 0.85, "minimum": 0, "maximum": 1}],
        "result_kind": "node_values", "supports_write_back": True})
    assert info.parameters[0].default == 0.85
