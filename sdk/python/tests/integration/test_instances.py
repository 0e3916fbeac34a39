"""Snapshots, instances, queries and algorithms (API.md §4–6, §10).

Every test here carries ``needs_instances``: select them out with
``-m "not needs_instances"`` until the server implements instances.
"""

from __future__ import annotations

from typing import Callable, Iterator, List, Tuple

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.exceptions import (
    ConcurrencyLimitError,
    ForbiddenError,
    InvalidStateError,
    MaintenanceModeError,
    QuerySyntaxError,
    ReadOnlyViolationError,
    ValidationError,
)
from graph_olap.instance.connection import InstanceConnection
from graph_olap.notebook_setup import TUTORIAL_MAPPING
from graph_olap.testing import random_name

pytestmark = pytest.mark.needs_instances

Cleanup = Callable[[Callable[[], object]], None]


@pytest.fixture(scope="module", params=["ryugraph", "falkordb"])
def running(request: pytest.FixtureRequest, analyst: GraphOLAPClient
            ) -> Iterator[Tuple[GraphOLAPClient, InstanceConnection, List[Tuple[str, int, int]]]]:
    """One instance of the tutorial mapping per engine: every test taking it runs on both."""
    mapping = analyst.mappings.get_by_name(TUTORIAL_MAPPING)
    seen: List[Tuple[str, int, int]] = []
    inst = analyst.instances.create_from_mapping_and_wait(
        mapping.id, random_name("it-inst"), wrapper_type=request.param, ttl="PT1H", timeout=600,
        on_progress=lambda phase, done, total: seen.append((phase, done, total)),
        show_progress=False)
    conn = analyst.instances.connect(inst.id)
    try:
        yield analyst, conn, seen
    finally:
        conn.close()
        analyst.instances.terminate(inst.id)


def test_instance_record_and_progress(running) -> None:
    client, conn, seen = running
    assert seen, "on_progress was never called"
    inst = client.instances.get(conn.instance_id)
    assert inst.status == "running" and inst.instance_url and inst.started_at
    assert inst.graph_stats and inst.graph_stats["node_count"] > 0
    snap = client.snapshots.get(inst.snapshot_id)
    assert snap.status == "ready" and snap.node_counts["Customer"] > 0
    assert snap.data_quality["policy"]["null_keys"] == "fail" and not snap.has_quality_warnings
    progress = client.snapshots.get_progress(snap.id)
    assert progress.progress_percent == 100
    assert client.instances.get_progress(inst.id).status == "running"
    events = [e.event_type for e in client.instances.get_events(inst.id)]
    assert "created" in events and "running" in events
    assert any(s.id == snap.id for s in client.mappings.list_snapshots(inst.mapping_id))


def test_queries(running) -> None:
    _, conn, _ = running
    n = conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
    assert n > 0
    r = conn.query("MATCH (c:Customer) WHERE c.bk_sectr = $s RETURN c.id AS id, "
                   "c.account_count AS k ORDER BY id LIMIT 5", {"s": "P"})
    assert r.columns == ["id", "k"] and r.column_types == ["STRING", "INT64"]
    assert len(r) <= 5 and all(row["id"].startswith("C") for row in r)
    one = conn.query_one("MATCH (c:Customer) RETURN c LIMIT 1")
    assert one is not None and one["c"]["_label"] == "Customer"
    df = conn.query_df("MATCH (c:Customer) RETURN c.bk_sectr AS s, count(*) AS n")
    assert set(df.columns) == {"s", "n"} and df["n"].sum() == n
    pdf = conn.query_df("MATCH (c:Customer) RETURN c.id AS id LIMIT 3", backend="pandas")
    assert len(pdf) == 3
    # The same result joined with local data in DuckDB, straight from the Arrow stream.
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    con.register("local", pd.DataFrame({"s": ["P", "no-such-sector"],
                                        "label": ["private", "none"]}))
    joined = conn.query_duckdb(
        "MATCH (c:Customer) RETURN c.bk_sectr AS s, count(*) AS n",
        "SELECT g.s, g.n, l.label FROM graph g JOIN local l USING (s)",
        connection=con,
    ).fetchall()
    by_sector = dict(zip(df["s"].to_list(), df["n"].to_list()))
    assert joined == [("P", by_sector["P"], "private")]
    rel = conn.query_duckdb("MATCH (c:Customer) RETURN c.id AS id", name="customers")
    assert rel.aggregate("count(*)").fetchall() == [(n,)]
    g = conn.query("MATCH (a:Customer)-[r:SHARES_ACCOUNT]->(b:Customer) RETURN a, r, b "
                   "LIMIT 20").to_networkx()
    assert g.number_of_edges() > 0
    truncated = conn.query("MATCH (c:Customer) RETURN c.id", max_rows=2)
    assert len(truncated) == 2 and truncated.truncated
    with pytest.raises(QuerySyntaxError):
        conn.query("MATCH (c RETURN c")
    with pytest.raises(ReadOnlyViolationError):
        conn.query("MATCH (c:Customer) SET c.x = 1")


def test_schema_status_lock(running) -> None:
    _, conn, _ = running
    schema = conn.get_schema()
    assert schema.node_labels == ["Customer"]
    assert schema.relationship_types == ["SHARES_ACCOUNT"]
    assert schema.node_counts["Customer"] > 0
    assert list(schema.properties["Customer"])[:2] == ["id", "bk_sectr"]
    status = conn.status()
    assert status.ready and status.node_count == schema.total_nodes
    assert conn.get_lock().locked is False


def test_native_algorithms(running) -> None:
    _, conn, _ = running
    names = {a.name for a in conn.algo.list()}
    assert {"pagerank", "wcc", "louvain", "triangle_count"} <= names
    pr = conn.algo.pagerank("Customer", "pr", show_progress=False)
    assert pr.status == "completed" and pr.nodes_updated > 0
    top = conn.query("MATCH (c:Customer) RETURN c.id, c.pr ORDER BY c.pr DESC LIMIT 3")
    assert top.rows[0][1] is not None
    wcc = conn.algo.wcc("Customer", "component", show_progress=False)
    assert wcc.result["components"] >= 1
    lv = conn.algo.louvain("Customer", "community", seed=1, show_progress=False)
    assert "modularity" in lv.result
    assert "pr" in conn.get_schema().node_tables[0].algorithm_properties
    started = conn.algo.run("kcore", "Customer", "core", wait=False)
    done = conn.algo.wait(started, show_progress=False)
    assert done.succeeded
    assert any(e.execution_id == done.execution_id for e in conn.algo.executions())
    ids = [r["id"] for r in conn.query(
        "MATCH (a:Customer)-[:SHARES_ACCOUNT]->(b:Customer) RETURN a.id AS id LIMIT 1")]
    if ids:
        path = conn.algo.shortest_path(ids[0], ids[0])
        assert path.result["found"] is True


def test_networkx_algorithms(running) -> None:
    _, conn, _ = running
    assert "degree_centrality" in {a.name for a in conn.networkx.list()}
    dc = conn.networkx.degree_centrality("Customer", show_progress=False)
    assert dc.succeeded
    density = conn.networkx.density(show_progress=False)
    assert 0 <= density.value <= 1
    tri = conn.networkx.triangles("Customer", "nx_tri", show_progress=False)
    assert tri.succeeded


def test_networkx_over_a_subgraph_query(running) -> None:
    _, conn, _ = running
    pairs = conn.query(
        "MATCH (a:Customer)-[:SHARES_ACCOUNT]->(b:Customer) RETURN a.id, b.id ORDER BY a.id, b.id LIMIT 5"
    ).rows
    assert pairs, "the tutorial graph has shared accounts"
    first = pairs[0][0]
    run = conn.networkx.run(
        "degree_centrality", result_property="nx_sub_degree", show_progress=False,
        subgraph_query=("MATCH (a:Customer)-[:SHARES_ACCOUNT]->(b:Customer) "
                        f"WHERE a.id = '{first}' RETURN id(a), id(b)"))
    assert run.succeeded
    neighbours = {
        r[0] for r in conn.query(
            "MATCH (a:Customer {id: $id})-[:SHARES_ACCOUNT]->(b:Customer) RETURN DISTINCT b.id",
            parameters={"id": first}).rows}
    # Only the projected nodes are written; the rest of the graph keeps null.
    assert run.nodes_updated == len(neighbours | {first})
    written = conn.query_scalar("MATCH (c:Customer) WHERE c.nx_sub_degree IS NOT NULL RETURN count(*)")
    assert written == run.nodes_updated
    with pytest.raises(ValidationError) as refused:
        conn.networkx.run("degree_centrality", result_property="x", show_progress=False,
                          subgraph_query="MATCH (n) DETACH DELETE n")
    assert "read_only_violation" in str(refused.value.details)


def test_resize_extend_lifecycle(running) -> None:
    client, conn, _ = running
    inst = client.instances.update_cpu(conn.instance_id, 2)
    assert inst.cpu_cores == 2
    before = client.instances.get(conn.instance_id).expires_at
    extended = client.instances.extend_ttl(conn.instance_id, hours=1)
    assert extended.expires_at > before
    renamed = client.instances.update(conn.instance_id, description="integration")
    assert renamed.description == "integration"


def test_privacy_and_states(running, analyst2: GraphOLAPClient) -> None:
    _client, conn, _ = running
    foreign = analyst2.instances.get(conn.instance_id)  # reads are global
    bob_conn = InstanceConnection(foreign.instance_url, config=analyst2.config)
    with pytest.raises(ForbiddenError):
        bob_conn.query("MATCH (n) RETURN count(n)")
    bob_conn.close()
    with pytest.raises(ForbiddenError):
        analyst2.instances.terminate(conn.instance_id)


def test_maintenance_blocks_creation(analyst: GraphOLAPClient, ops: GraphOLAPClient) -> None:
    mapping = analyst.mappings.get_by_name(TUTORIAL_MAPPING)
    ops.ops.set_maintenance_mode(True, "tests running")
    try:
        with pytest.raises(MaintenanceModeError) as info:
            analyst.instances.create_from_mapping(mapping.id, random_name("maint"))
        assert info.value.message == "tests running"
    finally:
        ops.ops.set_maintenance_mode(False)


def test_concurrency_limit_and_terminate(analyst2: GraphOLAPClient, ops: GraphOLAPClient
                                         ) -> None:
    mapping = analyst2.mappings.get_by_name(TUTORIAL_MAPPING)
    conc = ops.ops.get_concurrency_config()
    ops.ops.update_concurrency_config(per_analyst=1)
    first = analyst2.instances.create_from_mapping(mapping.id, random_name("limit"))
    try:
        with pytest.raises(ConcurrencyLimitError) as info:
            analyst2.instances.create_from_mapping(mapping.id, random_name("limit"))
        assert info.value.details["limit_type"] == "per_analyst"
    finally:
        ops.ops.update_concurrency_config(per_analyst=conc.per_analyst)
        done = analyst2.instances.terminate(first.id)
        assert done.status in ("terminated", "stopping")
    again = analyst2.instances.terminate(first.id)  # idempotent
    assert again.status in ("terminated", "stopping")
    with pytest.raises(InvalidStateError):
        analyst2.instances.connect(first.id)


def test_quick_start_and_fixtures(platform) -> None:
    from graph_olap.testing import test_context

    with test_context("analyst_bob@e2e.local", api_url=platform.url) as (client, fixtures):
        m = fixtures.create_mapping()
        inst = fixtures.create_instance(mapping_id=m.id, timeout=600)
        conn = client.instances.connect(inst.id)
        assert conn.query_scalar("MATCH (c:Customer) RETURN count(c)") > 0
        conn.close()
    # The context closed its client after cleaning up; look the instance up with a new one.
    with GraphOLAPClient(platform.url, username="analyst_bob@e2e.local") as after:
        assert after.instances.get(inst.id).status in ("stopping", "terminated")


def test_algorithm_wrappers_match_the_live_catalogue(running) -> None:
    """The catalogue entries the typed methods were generated from are the instance's."""
    from tests.unit.test_algorithm_wrappers import CATALOGUE, GEN

    _client, conn, _seen = running
    managers = {"algo": conn.algo, "networkx": conn.networkx}
    live = {ns: {name: managers[ns].algorithm_info(name) for name in entries}
            for ns, entries in CATALOGUE.items()}
    assert live == CATALOGUE, (
        "the server's catalogue changed: refresh with python tools/generate_algorithms.py "
        "--instance-url <conn.url> --username <owner> and commit both files")
    assert GEN.render(live) == GEN.render(CATALOGUE)
