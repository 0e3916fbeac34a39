"""Calls written for the original ``graph_olap`` package: the requests they send and what
they return.  The local server only replays response bodies in the shapes API.md documents;
the same calls run against the real platform in tests/integration/test_original_compat.py."""

from __future__ import annotations

import asyncio

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.exceptions import (
    HTTP_STATUS_TO_EXCEPTION,
    AlgorithmTimeoutError,
    ConcurrencyLimitError,
    NotFoundError,
    QueryError,
    ResourceLockedError,
    RyugraphError,
    ValidationError,
    exception_from_response,
)
from graph_olap.http import AsyncHTTPClient, HTTPClient
from graph_olap.instance.connection import InstanceConnection
from graph_olap.models import (
    InstanceStatus,
    MappingDiff,
    MappingTree,
    PaginatedList,
    Schema,
    WrapperType,
)
from graph_olap.models.common import QueryResult

from .scripted_server import ScriptedServer


def env(data, **meta):
    return {"data": data, "meta": {"request_id": "r", **meta}}


def _execution(status, name="pagerank", **extra):
    return {"execution_id": "e1", "algorithm_name": name, "algorithm_type": "native",
            "status": status, **extra}


@pytest.fixture
def client(server: ScriptedServer):
    c = GraphOLAPClient(server.url, username="analyst_alice@e2e.local", max_retries=0)
    yield c
    c.close()


@pytest.fixture
def conn(server: ScriptedServer):
    c = InstanceConnection(server.url + "/wrapper/s", None, 9, "u@x", "analyst", 30.0,
                           "nm", "running", 7)
    yield c
    c.close()


# ------------------------------------------------------------------ algorithms
def test_pagerank_original_signature(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(202, _execution("completed", nodes_updated=3))
    run = conn.algo.pagerank("Customer", "pr_score", "SHARES_ACCOUNT", damping=0.9,
                             max_iterations=50, tolerance=1e-5, timeout=30, wait=True)
    assert run.algorithm == "pagerank" and run.nodes_updated == 3
    body = server.requests[0].json()
    assert body == {"write_back": True, "node_label": "Customer", "edge_type": "SHARES_ACCOUNT",
                    "result_property": "pr_score",
                    "parameters": {"damping_factor": 0.9, "max_iterations": 50,
                                   "tolerance": 1e-5}}


def test_algorithm_name_aliases(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(202, _execution("running"))
    conn.algo.pagerank(node_label="Customer", result_property="pr", damping_factor=0.8,
                       wait=False)
    assert server.requests[-1].json()["parameters"]["damping_factor"] == 0.8
    assert server.requests[-1].json()["result_property"] == "pr"
    with pytest.raises(ValueError):
        conn.algo.pagerank("Customer", "a", result_property="b")
    for method, path, prop in [(conn.algo.connected_components, "wcc", "cc"),
                               (conn.algo.scc, "scc", "s"),
                               (conn.algo.scc_kosaraju, "scc_kosaraju", "s"),
                               (conn.algo.louvain, "louvain", "c"),
                               (conn.algo.kcore, "kcore", "k"),
                               (conn.algo.label_propagation, "label_propagation", "l"),
                               (conn.algo.triangle_count, "triangle_count", "t")]:
        server.add(202, _execution("running", name=path))
        method("Customer", prop, wait=False)
        assert server.requests[-1].path == f"/wrapper/s/algo/{path}"
        assert server.requests[-1].json()["result_property"] == prop
    assert server.requests[-4].json()["parameters"] == {"resolution": 1.0}
    assert server.requests[-2].json()["parameters"] == {"max_iterations": 100}


def test_run_original_and_older_forms(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(202, _execution("running", name="louvain"))
    conn.algo.run("louvain", node_label="Customer", property_name="community",
                  edge_type="SHARES_ACCOUNT", params={"max_phases": 20}, wait=False)
    body = server.requests[-1].json()
    assert body["edge_type"] == "SHARES_ACCOUNT" and body["parameters"] == {"max_phases": 20}
    server.add(202, _execution("running", name="louvain"))
    conn.algo.run("louvain", "Customer", "c", {"seed": 1}, wait=False)  # parameters positional
    assert server.requests[-1].json()["parameters"] == {"seed": 1}
    assert "edge_type" not in server.requests[-1].json()
    server.add(202, _execution("running", name="katz_centrality"))
    conn.networkx.run("katz_centrality", "Customer", "katz", params={"alpha": 0.1}, wait=False)
    assert server.requests[-1].path == "/wrapper/s/networkx/katz_centrality"
    assert server.requests[-1].json()["parameters"] == {"alpha": 0.1}
    server.add(202, _execution("running", name="clustering"))
    conn.networkx.clustering_coefficient("Customer", "cc", wait=False)
    assert server.requests[-1].path == "/wrapper/s/networkx/clustering"


def test_client_side_wait_timeout_is_algorithm_timeout(server: ScriptedServer,
                                                       conn: InstanceConnection) -> None:
    server.default = (200, {}, _execution("running"))
    with pytest.raises(AlgorithmTimeoutError):
        conn.algo.pagerank("Customer", "pr", timeout=0.3, show_progress=False,
                           poll_interval=0.05)


def test_catalogue_calls_are_gets(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(200, {"algorithms": [{"name": "pagerank", "category": "centrality"}],
                     "total_count": 1})
    algos = conn.algo.algorithms(category="centrality")
    assert algos == [{"name": "pagerank", "category": "centrality"}]
    assert (server.requests[-1].method, server.requests[-1].path) == (
        "GET", "/wrapper/s/algo/algorithms?category=centrality")
    server.add(200, {"name": "pagerank", "parameters": [{"name": "damping_factor"}]})
    info = conn.algo.algorithm_info("pagerank")
    assert info["parameters"][0]["name"] == "damping_factor"
    assert (server.requests[-1].method, server.requests[-1].path) == (
        "GET", "/wrapper/s/algo/algorithms/pagerank")
    server.add(200, {"algorithms": [], "total_count": 0})
    assert conn.networkx.algorithms() == []
    assert server.requests[-1].path == "/wrapper/s/networkx/algorithms"


# ------------------------------------------------------------------ connection
def test_connection_original_constructor(server: ScriptedServer,
                                         conn: InstanceConnection) -> None:
    assert (conn.id, conn.name, conn.snapshot_id, conn.current_status) == (9, "nm", 7, "running")
    assert conn.instance_url == server.url + "/wrapper/s"
    server.add(200, {"columns": ["d"], "column_types": ["DATE"], "rows": [["2024-01-02"]],
                     "row_count": 1, "execution_time_ms": 1})
    r = conn.query(cypher="MATCH (n) RETURN n.d AS d", timeout=2.5, coerce_types=False)
    assert r.rows == [["2024-01-02"]] and r.to_list_of_dicts() == [{"d": "2024-01-02"}]
    req = server.requests[-1]
    assert req.json()["timeout_ms"] == 2500
    assert (req.headers["x-username"], req.headers["x-user-role"]) == ("u@x", "analyst")


def test_query_errors_are_ryugraph_errors(server: ScriptedServer,
                                          conn: InstanceConnection) -> None:
    server.error(400, "QUERY_FAILED", "Binder exception: unknown label")
    with pytest.raises(RyugraphError) as err:
        conn.query("MATCH (n:Nope) RETURN n")
    assert isinstance(err.value, QueryError) and isinstance(err.value, ValidationError)


def test_schema_is_mapping_like(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(200, {"node_tables": [{"label": "Customer", "properties": {"id": "STRING",
                                                                          "n": "INT64"},
                                      "node_count": 3}],
                     "edge_tables": [{"type": "KNOWS", "properties": {}, "edge_count": 2}],
                     "total_nodes": 3, "total_edges": 2})
    schema = conn.get_schema()
    assert isinstance(schema, Schema)
    assert schema.node_labels["Customer"] == ["id", "n"]
    assert [(label, props) for label, props in schema.node_labels.items()] == [
        ("Customer", ["id", "n"])]
    assert schema.node_labels == ["Customer"] and "KNOWS" in schema.relationship_types
    assert (schema.node_count, schema.relationship_count) == (3, 2)


# ------------------------------------------------------------------ control plane
def test_create_and_wait_from_mapping(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(201, env({"id": 5, "status": "waiting_for_snapshot", "snapshot_id": 11}))
    server.add(200, env({"id": 5, "status": "running", "phase": "ready", "steps": []}))
    server.add(200, env({"id": 5, "status": "running", "instance_url": "http://x/wrapper/a",
                         "memory_usage_bytes": 3 * 1024 * 1024}))
    inst = client.instances.create_and_wait(mapping_id=3, name="Analysis", ttl=2,
                                            wrapper_type=WrapperType.RYUGRAPH,
                                            show_progress=False, poll_interval=0.01)
    assert inst.memory_mb == 3.0
    first = server.requests[0]
    assert (first.method, first.path) == ("POST", "/api/instances")
    assert first.json() == {"name": "Analysis", "mapping_id": 3, "ttl": "PT2H",
                            "wrapper_type": "ryugraph"}
    server.add(201, env({"id": 6, "status": "starting"}))
    client.instances.create(3, "x", "ryugraph", mapping_version=2, description="d",
                            inactivity_timeout="PT30M")
    assert server.requests[-1].json() == {"name": "x", "mapping_id": 3, "mapping_version": 2,
                                          "description": "d", "inactivity_timeout": "PT30M",
                                          "wrapper_type": "ryugraph"}
    server.add(201, env({"id": 7, "status": "starting"}))
    client.instances.create(snapshot_id=4, name="y")
    assert server.requests[-1].json() == {"name": "y", "snapshot_id": 4}


def test_instance_health(server: ScriptedServer, client: GraphOLAPClient) -> None:
    server.add(200, env({"id": 5, "status": "starting"}))
    assert client.instances.check_health(5) is False
    server.add(200, env({"id": 5, "status": "running",
                         "instance_url": server.url + "/wrapper/a"}))
    server.add(200, {"status": "healthy"})
    assert client.instances.get_health(5) == {"status": "healthy"}
    assert server.requests[-1].path == "/wrapper/a/health"


def test_users(server: ScriptedServer, client: GraphOLAPClient) -> None:
    users = [{"username": f"u{i}@x", "role": "analyst"} for i in range(150)]
    server.add(200, env(users[:100], total=150, offset=0, limit=100))
    server.add(200, env(users[100:], total=150, offset=100, limit=100))
    page = client.users.list(limit=200)
    assert len(page) == 150 and page.total == 150
    assert [r.path for r in server.requests] == ["/api/users?offset=0&limit=100",
                                                 "/api/users?offset=100&limit=100"]
    server.add(200, env({"username": "u1@x", "role": "ops"}))
    assert client.users.assign_role("u1@x", "ops").role == "ops"
    assert (server.requests[-1].method, server.requests[-1].path,
            server.requests[-1].json()) == ("PUT", "/api/users/u1@x/role", {"role": "ops"})
    server.add(201, env({"username": "e@x", "role": "analyst"}))
    client.users.create("e@x", "e@x", "Eve", "analyst")
    assert server.requests[-1].json() == {"username": "e@x", "role": "analyst",
                                          "create_api_key": False, "email": "e@x",
                                          "display_name": "Eve"}


def test_quick_start_accepts_a_mapping_name(server: ScriptedServer,
                                            client: GraphOLAPClient) -> None:
    server.add(200, env([{"id": 42, "name": "AlgorithmDemo"}], total=1, offset=0, limit=100))
    server.add(200, env({"id": 42, "name": "AlgorithmDemo"}))
    server.add(201, env({"id": 8, "status": "running", "instance_url": server.url + "/w/i"}))
    server.add(200, env({"id": 8, "status": "running", "phase": "ready", "steps": []}))
    server.add(200, env({"id": 8, "status": "running", "instance_url": server.url + "/w/i",
                         "name": "Quick Instance"}))
    conn = client.quick_start("AlgorithmDemo", show_progress=False)
    assert conn.id == 8 and conn.name == "Quick Instance"
    create = next(r for r in server.requests if r.method == "POST")
    assert create.json()["mapping_id"] == 42
    conn.close()


def test_get_tree_by_version() -> None:
    tree = MappingTree.from_dict({"id": 1, "name": "g", "owner_username": "alice",
                                  "versions": [{"version": 1, "change_description": "first",
                                                "snapshots": [{"id": 3}]},
                                               {"version": 2, "snapshots": []}]})
    assert sorted(tree) == [1, 2] and tree[1]["snapshot_count"] == 1
    assert tree[2]["owner_username"] == "alice" and tree["name"] == "g"
    assert dict(tree.items())[1]["change_description"] == "first"


def test_diff_helpers() -> None:
    d = MappingDiff.from_dict({
        "mapping_id": 1, "from_version": 1, "to_version": 2,
        "summary": {"nodes_added": 1, "nodes_modified": 1, "edges_removed": 1},
        "changes": {"nodes": [{"label": "A", "change_type": "added"},
                              {"label": "B", "change_type": "modified",
                               "fields_changed": ["sql"]}],
                    "edges": [{"type": "R", "change_type": "removed"}]}})
    assert [n.label for n in d.nodes_modified()] == ["B"]
    assert [n.label for n in d.nodes_added()] == ["A"] and d.nodes_removed() == []
    assert [e.type for e in d.edges_removed()] == ["R"]
    assert d.changes["nodes"][0].label == "A" and d.summary["nodes_added"] == 1


def test_exceptions_constructible_as_original() -> None:
    e = exception_from_response(409, "RESOURCE_LOCKED", "busy",
                                {"holder_username": "bob", "algorithm_name": "wcc"})
    assert isinstance(e, ResourceLockedError) and (e.holder_name, e.algorithm) == ("bob", "wcc")
    e = exception_from_response(409, "CONCURRENCY_LIMIT", "limit",
                                {"limit_type": "per_analyst", "current_count": 2,
                                 "max_allowed": 2})
    assert isinstance(e, ConcurrencyLimitError) and e.max_allowed == 2
    assert isinstance(exception_from_response(404, None, "gone"), NotFoundError)
    assert HTTP_STATUS_TO_EXCEPTION[404] is NotFoundError
    for cls in (NotFoundError, ValidationError, RyugraphError, ConcurrencyLimitError):
        err = cls("message", {"k": 1})
        assert str(err) == "message" and err.details == {"k": 1}


def test_result_and_page_shapes() -> None:
    r = QueryResult.from_api_response({"columns": ["t"], "column_types": ["TIMESTAMP"],
                                       "rows": [["2024-01-02T03:04:05Z"]], "row_count": 1,
                                       "execution_time_ms": 2})
    assert r.rows[0][0].year == 2024 and r.execution_time_ms == 2
    raw = QueryResult.from_api_response({"columns": ["t"], "column_types": ["TIMESTAMP"],
                                         "rows": [["2024-01-02T03:04:05Z"]], "row_count": 1},
                                        coerce_types=False)
    assert raw.rows == [["2024-01-02T03:04:05Z"]]
    page = PaginatedList(items=[1, 2], total=5, offset=0, limit=2)
    assert (page.page_count, page.has_more, page.items) == (3, True, [1, 2])
    assert InstanceStatus.RUNNING == "running" and InstanceStatus.RUNNING.value == "running"


def test_config_and_http_original_forms(server: ScriptedServer, monkeypatch) -> None:
    monkeypatch.setenv("GRAPH_OLAP_VERIFY", "false")
    assert Config.from_env().verify is False
    monkeypatch.setenv("GRAPH_OLAP_SSL_VERIFY", "/etc/ssl/ca.pem")
    monkeypatch.delenv("GRAPH_OLAP_VERIFY")
    assert Config.from_env().verify == "/etc/ssl/ca.pem"
    assert Config("http://h", "k", None, "u", "ops").role == "ops"
    server.add(200, "# metrics\n")
    with HTTPClient(server.url, "gok_k", None, None, None, 5.0, 0) as http:
        assert (http.base_url, http.api_key, http.timeout, http.max_retries) == (
            server.url, "gok_k", 5.0, 0)
        assert http.get_text("/metrics") == "# metrics\n"
    assert server.requests[-1].headers["authorization"] == "Bearer gok_k"


def test_async_http_client(server: ScriptedServer) -> None:
    server.add(200, env({"id": 1}))
    server.error(404, "NOT_FOUND", "nope")

    async def main() -> None:
        async with AsyncHTTPClient(server.url, username="u@x", max_retries=0) as http:
            assert (await http.get("/api/mappings/1"))["data"]["id"] == 1
            with pytest.raises(NotFoundError):
                await http.delete("/api/mappings/2")

    asyncio.run(main())
    assert server.requests[0].headers["x-username"] == "u@x"


def test_explicit_parameters_beat_signature_defaults(server: ScriptedServer,
                                                     conn: InstanceConnection) -> None:
    server.add(202, _execution("running"))
    conn.algo.pagerank("Customer", "pr", params={"damping_factor": 0.5, "max_iterations": 7},
                       wait=False)
    assert server.requests[-1].json()["parameters"] == {"damping_factor": 0.5,
                                                        "max_iterations": 7,
                                                        "tolerance": 1e-6}
    server.add(202, _execution("running", name="louvain"))
    conn.algo.louvain("Customer", "c", {"seed": 3}, wait=False)  # dict in the edge_type slot
    assert server.requests[-1].json()["parameters"] == {"resolution": 1.0, "seed": 3}


def test_documentation_aliases() -> None:
    from graph_olap.exceptions import ResourceNotFoundError

    assert ResourceNotFoundError is NotFoundError
    with GraphOLAPClient("http://h:1", username="u@x") as c:
        assert c.base_url == c.api_url == "http://h:1"
