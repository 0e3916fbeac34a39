"""Schema diagrams and result charts (``graph_olap.viz``), with a browser check of the diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_olap.instance.result import QueryResult
from graph_olap.models.instance import GraphSchema
from graph_olap.viz import plot_result, schema_graph, show_schema
from graph_olap.widget._chromium import Chromium, find_chromium

SCHEMA = GraphSchema.from_dict({
    "node_tables": [
        {"label": "Customer", "primary_key": "id", "properties": {"id": "STRING", "pr": "DOUBLE"},
         "node_count": 1000},
        {"label": "Account", "primary_key": "id", "properties": {"id": "STRING"}, "node_count": 40}],
    "edge_tables": [
        {"type": "OWNS", "from_node": "Customer", "to_node": "Account", "edge_count": 1200},
        {"type": "SHARES_ACCOUNT", "from_node": "Customer", "to_node": "Customer", "edge_count": 2500}],
    "total_nodes": 1040, "total_edges": 3700})


def test_schema_graph_from_schema_connection_and_mapping() -> None:
    g = schema_graph(SCHEMA)
    assert [(n.key, n.props["count"]) for n in g.nodes] == [("Customer", 1000), ("Account", 40)]
    assert g.node("Customer").props["name"] == "Customer (1,000) ↻ SHARES_ACCOUNT (2,500)"
    assert [(e.source, e.target, e.props["caption"]) for e in g.edges] == [
        ("Customer", "Account", "OWNS (1,200)"), ("Customer", "Customer", "SHARES_ACCOUNT (2,500)")]

    class Conn:
        def get_schema(self) -> GraphSchema:
            return SCHEMA

    assert len(schema_graph(Conn()).nodes) == 2
    from graph_olap.models.mapping import MappingVersion

    mapping = MappingVersion.model_validate({
        "mapping_id": 1, "version": 2,
        "node_definitions": [{"label": "P", "sql": "SELECT 1",
                              "primary_key": {"name": "id", "type": "STRING"},
                              "properties": [{"name": "age", "type": "INT64"}]}],
        "edge_definitions": [{"type": "K", "from_node": "P", "to_node": "P", "sql": "SELECT 1",
                              "from_key": "a", "to_key": "b"}]})
    g = schema_graph(mapping)
    assert g.node("P").props["properties"] == ["age"] and g.edges[0].props["count"] is None
    with pytest.raises(TypeError):
        schema_graph(42)


def test_show_schema_sizes_by_count_and_captions_edges() -> None:
    view = show_schema(SCHEMA)
    state = view._state()
    sizes = {n["id"]: n["size"] for n in state["nodes"]}
    assert sizes == {"Customer": 26.0, "Account": 10.0}
    assert [e["caption"] for e in state["edges"]] == ["OWNS (1,200)", "SHARES_ACCOUNT (2,500)"]
    assert state["options"]["edge_labels"] is True and state["options"]["arrows"] is True


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (apt-get install chromium)")
def test_schema_diagram_renders(tmp_path: Path) -> None:
    import os
    import tempfile

    page_path = tmp_path / "schema.html"
    show_schema(SCHEMA).to_html(page_path)
    with Chromium(timeout=60) as browser:
        page = browser.open(page_path.as_uri(), width=800, height=420)
        root = "document.querySelector('.go-gv')"
        page.wait_for(f"{root} && {root}.dataset.rendered === '1'", timeout=60)
        assert page.evaluate(f"[{root}.dataset.nodeCount, {root}.dataset.edgeCount]") == ["2", "2"]
        page.wait_for(f"{root}.dataset.layout === 'stopped'", timeout=30)
        artefacts = Path(os.environ.get("GRAPH_OLAP_TEST_ARTEFACTS",
                                        os.path.join(tempfile.gettempdir(), "graph-olap-artefacts")))
        artefacts.mkdir(parents=True, exist_ok=True)
        (artefacts / "schema-diagram.png").write_bytes(page.screenshot())
        assert page.errors() == []


@pytest.fixture
def mpl() -> Any:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_plot_result_kinds(mpl: Any) -> None:
    scores = QueryResult(["id", "pr", "community"], ["STRING", "DOUBLE", "INT64"],
                         [[f"C{i}", 1.0 / (i + 1), i % 5] for i in range(100)])
    ax = plot_result(scores, "pr", log=True)
    assert ax.get_title() == "distribution of pr (100 values)"
    assert sum(p.get_height() for p in ax.patches) == 100
    ax = plot_result(scores, "community")  # ints with repeats: community sizes
    assert ax.get_title() == "sizes by community (5 values)"
    assert sorted(p.get_height() for p in ax.patches) == [20] * 5
    ax = plot_result(scores, "pr", by="id", top=3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["C0", "C1", "C2"]
    assert ax.get_title() == "pr by id (top 3)"
    assert plot_result(scores).get_title().startswith("sizes by community")  # last numeric column
    assert scores.plot("pr", log=True).get_title() == "distribution of pr (100 values)"
    with pytest.raises(ValueError):
        plot_result(QueryResult(["s"], ["STRING"], [["a"]]))
    with pytest.raises(ValueError):
        plot_result(scores, "pr", kind="pie")
    with pytest.raises(ValueError):
        plot_result(scores, "pr", kind="bar")


def test_ops_charts(mpl: Any) -> None:
    from datetime import datetime, timedelta, timezone

    from graph_olap.models.instance import Instance
    from graph_olap.models.ops import ClusterHealth, ClusterInstances, ExportJob
    from graph_olap.viz import (
        plot_cluster_health,
        plot_cluster_instances,
        plot_export_queue,
        plot_instances_over_time,
    )

    health = ClusterHealth.model_validate({"status": "degraded", "components": {
        "database": {"status": "healthy", "latency_ms": 3}, "storage": {"status": "unhealthy"}}})
    ax = plot_cluster_health(health)
    assert ax.get_title() == "cluster health: degraded" and len(ax.patches) == 2
    ci = ClusterInstances.model_validate({"total": 3, "by_status": {"running": 2, "starting": 1},
                                          "limits": {"cluster_total": 10, "cluster_used": 3}})
    ax = plot_cluster_instances(ci)
    assert ax.get_title() == "3 instances · 3 of 10 slots used"
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    insts = [Instance.model_validate({"id": i, "created_at": (t0 + timedelta(hours=i)).isoformat(),
                                      "terminated_at": (t0 + timedelta(hours=i + 2)).isoformat()
                                      if i < 2 else None}) for i in range(4)]
    ax = plot_instances_over_time(insts)
    assert ax.get_title() == "instances over time (peak 2, now 2)"
    jobs = [ExportJob.model_validate({"id": i, "status": s, "started_at": t0.isoformat(),
                                      "completed_at": (t0 + timedelta(seconds=4)).isoformat()
                                      if s == "completed" else None})
            for i, s in enumerate(["pending", "completed", "completed", "failed"])]
    ax = plot_export_queue(jobs)
    assert ax.get_title() == "export queue: 4 jobs · mean run 4.0 s"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pending", "completed", "failed"]
