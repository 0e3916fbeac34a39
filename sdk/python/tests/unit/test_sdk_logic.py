"""SDK-side logic that sits on top of raw responses: request shapes, pagination walking,
wait loops and the exceptions they raise.  The local server only replays status codes and
bodies in the shapes API.md documents; platform behaviour is covered by tests/integration."""

from __future__ import annotations

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.exceptions import (
    AlgorithmFailedError,
    AlgorithmTimeoutError,
    InstanceFailedError,
    InvalidStateError,
    SnapshotFailedError,
    TimeoutError,
)
from graph_olap.instance.connection import InstanceConnection
from graph_olap.models import NodeDefinition

from .scripted_server import ScriptedServer


def env(data, **meta):
    return {"data": data, "meta": {"request_id": "r", **meta}}


@pytest.fixture
def client(server: ScriptedServer):
    c = GraphOLAPClient(server.url, username="analyst_alice@e2e.local", max_retries=0)
    yield c
    c.close()


def test_create_mapping_request_shape(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(201, env({"id": 4, "name": "g", "current_version": 1}))
    node = NodeDefinition(label="A", sql="SELECT 1 AS id", primary_key="id")
    m = client.mappings.create("g", None, [node, {"label": "B", "sql": "s",
                                                   "primary_key": {"name": "k", "type": "INT64"}}],
                               ttl=__import__("datetime").timedelta(days=2))
    assert m.id == 4
    req = server.requests[0]
    assert (req.method, req.path) == ("POST", "/api/mappings")
    assert req.headers["idempotency-key"]
    body = req.json()
    assert body["ttl"] == "P2D" and body["edge_definitions"] == []
    assert body["node_definitions"][0] == {"label": "A", "sql": "SELECT 1 AS id",
                                           "primary_key": {"name": "id", "type": "STRING"},
                                           "properties": []}


def test_partial_update_semantics(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(200, env({"id": 4, "current_version": 2}))
    client.mappings.update(4, "why", description=None)
    assert server.requests[0].json() == {"change_description": "why", "description": None}
    server.add(200, env({"id": 4}))
    client.mappings.set_lifecycle(4, ttl="P1D")
    assert server.requests[1].json() == {"ttl": "P1D"}


def test_pagination_walks_pages(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(200, env([{"id": 3}, {"id": 2}], total=3, offset=0, limit=2))
    server.add(200, env([{"id": 1}], total=3, offset=2, limit=2))
    page = client.mappings.list(limit=2)
    assert [m.id for m in page.iter_all()] == [3, 2, 1]
    assert "offset=2" in server.requests[1].path


def test_ops_shapes(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(200, env({"jobs": [{"id": 1, "status": "failed"}]}, total=1, offset=0, limit=5))
    assert client.ops.get_export_jobs(status="failed", limit=5) == [{"id": 1, "status": "failed"}]
    server.add(200, env({"dry_run": True, "matched_count": 1, "matched_ids": [9]}))
    r = client.admin.bulk_delete("instance", {"created_by": "me", "status": None}, "tidy",
                                 dry_run=True)
    req = server.requests[1]
    assert (req.method, req.path) == ("DELETE", "/api/admin/resources/bulk")
    assert req.json() == {"resource_type": "instance", "filters": {"created_by": "me"},
                          "reason": "tidy", "dry_run": True}
    assert r["matched_ids"] == [9]
    server.add(200, env({"mapping": {}, "snapshot": {}, "instance": {"default_ttl": "PT1H"},
                         "updated": True}))
    from graph_olap.models import ResourceLifecycleConfig

    assert client.ops.update_lifecycle_config(
        instance=ResourceLifecycleConfig(default_ttl="PT1H")) is True
    assert server.requests[2].json() == {"instance": {"default_ttl": "PT1H",
                                                      "default_inactivity": None,
                                                      "max_ttl": None}}


def _progress(status, phase, done=0, total=3, **extra):
    steps = [{"name": f"s{i}", "status": "completed" if i < done else "pending"}
             for i in range(total)]
    return env({"id": 3, "status": status, "phase": phase, "steps": steps,
                "progress_percent": int(100 * done / total), **extra})


def test_wait_until_running_reports_progress(server: ScriptedServer,
                                             client: GraphOLAPClient) -> None:
    server.add(200, _progress("waiting_for_snapshot", "waiting_for_snapshot", 0))
    server.add(200, _progress("starting", "loading_data", 2))
    server.add(200, _progress("running", "ready", 3))
    server.add(200, env({"id": 3, "status": "running", "instance_url": "http://x/wrapper/s"}))
    seen = []
    inst = client.instances.wait_until_running(3, timeout=10, poll_interval=0.01,
                                               show_progress=False,
                                               on_progress=lambda *a: seen.append(a))
    assert inst.is_running
    assert seen == [("waiting_for_snapshot", 0, 3), ("loading_data", 2, 3), ("ready", 3, 3)]


def test_wait_raises_snapshot_failed(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(200, _progress("failed", "failed", 1))
    server.add(200, env({"id": 3, "status": "failed", "error_code": "SNAPSHOT_FAILED",
                         "error_message": "Snapshot 7 failed: boom"}))
    with pytest.raises(SnapshotFailedError, match="boom"):
        client.instances.wait_until_running(3, timeout=10, poll_interval=0.01,
                                            show_progress=False)


def test_wait_raises_instance_failed_and_timeout(server: ScriptedServer,
                                                 client: GraphOLAPClient) -> None:
    server.add(200, _progress("failed", "failed"))
    server.add(200, env({"id": 3, "status": "failed", "error_code": "OOM_KILLED",
                         "error_message": "killed"}))
    with pytest.raises(InstanceFailedError) as info:
        client.instances.wait_until_running(3, timeout=10, poll_interval=0.01,
                                            show_progress=False)
    assert info.value.code == "OOM_KILLED"
    server.default = (200, {}, _progress("starting", "downloading"))
    with pytest.raises(TimeoutError):
        client.instances.wait_until_running(3, timeout=0.3, poll_interval=0.05,
                                            show_progress=False)


def test_connect_requires_running(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(200, env({"id": 3, "status": "starting", "instance_url": None}))
    with pytest.raises(InvalidStateError):
        client.instances.connect(3)
    server.add(200, env({"id": 3, "status": "running", "pod_name": "wrapper-s",
                         "instance_url": server.url + "/wrapper/s"}))
    conn = client.instances.connect(3)
    assert conn.url == server.url + "/wrapper/s" and conn.instance_id == 3
    conn.close()


def test_in_cluster_connection_url(server: ScriptedServer) -> None:
    cfg = Config(api_url=server.url, username="u@x", in_cluster_mode=True, namespace="ns")
    with GraphOLAPClient(config=cfg) as c:
        server.add(200, env({"id": 3, "status": "running", "pod_name": "wrapper-s",
                             "instance_url": "http://public/wrapper/s"}))
        conn = c.instances.connect(3)
    assert conn.url == "http://wrapper-s.ns.svc.cluster.local:8000"
    conn.close()


def _execution(status, **extra):
    return {"execution_id": "e1", "algorithm_name": "pagerank", "algorithm_type": "native",
            "status": status, **extra}


@pytest.fixture
def conn(server: ScriptedServer):
    c = InstanceConnection(server.url + "/wrapper/s", config=Config(username="u@x",
                                                                     max_retries=0))
    yield c
    c.close()


def test_algorithm_202_then_poll(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(202, _execution("running"))
    server.add(200, _execution("running", elapsed_ms=5))
    server.add(200, _execution("completed", nodes_updated=10, result={"converged": True}))
    run = conn.algo.pagerank("Customer", "pr", damping_factor=0.9, show_progress=False,
                             poll_interval=0.01)
    assert run.succeeded and run.nodes_updated == 10
    start = server.requests[0]
    assert (start.method, start.path) == ("POST", "/wrapper/s/algo/pagerank")
    # The original SDK's defaults (max_iterations=100, tolerance=1e-6) are sent too.
    assert start.json() == {"write_back": True, "node_label": "Customer",
                            "result_property": "pr",
                            "parameters": {"damping_factor": 0.9, "max_iterations": 100,
                                           "tolerance": 1e-6}}
    assert server.requests[1].path == "/wrapper/s/algo/status/e1"


def test_algorithm_failures(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(202, _execution("running"))
    server.add(200, _execution("failed", error_code="ALGORITHM_FAILED", error_message="nope"))
    with pytest.raises(AlgorithmFailedError, match="nope"):
        conn.algo.wcc(show_progress=False, poll_interval=0.01)
    server.add(202, {**_execution("running"), "algorithm_type": "networkx"})
    server.add(200, _execution("failed", error_code="ALGORITHM_TIMEOUT", error_message="slow"))
    with pytest.raises(AlgorithmTimeoutError):
        conn.networkx.katz_centrality("Customer", alpha=0.1, show_progress=False,
                                      poll_interval=0.01)
    assert server.requests[2].path == "/wrapper/s/networkx/katz_centrality"
    assert server.requests[2].json()["parameters"] == {"alpha": 0.1}
    server.add(202, _execution("running"))
    started = conn.algo.run("louvain", wait=False)
    assert started.status == "running"
