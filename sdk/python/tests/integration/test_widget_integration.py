"""The graph view against a real instance: ``conn.neighbourhood`` in its three node forms and
hop counts, expanding a view (and its widget message path) from the instance, and the demo
graph rendered in headless Chromium (skipped without Chromium)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.instance.connection import InstanceConnection
from graph_olap.notebook_setup import TUTORIAL_MAPPING
from graph_olap.testing import random_name
from graph_olap.widget import GraphView, explore
from graph_olap.widget._chromium import Chromium, find_chromium

pytestmark = pytest.mark.needs_instances

ARTEFACTS = Path(os.environ.get("GRAPH_OLAP_TEST_ARTEFACTS",
                                os.path.join(tempfile.gettempdir(), "graph-olap-artefacts")))


@pytest.fixture(scope="module")
def conn(analyst: GraphOLAPClient) -> Iterator[InstanceConnection]:
    mapping = analyst.mappings.get_by_name(TUTORIAL_MAPPING)
    inst = analyst.instances.create_from_mapping_and_wait(
        mapping.id, random_name("it-widget"), ttl="PT1H", timeout=600, show_progress=False)
    connection = analyst.instances.connect(inst.id)
    try:
        yield connection
    finally:
        connection.close()
        analyst.instances.terminate(inst.id)


def hub(conn: InstanceConnection) -> Tuple[dict, int]:
    """A customer with the most SHARES_ACCOUNT neighbours, and that number."""
    row = conn.query_one("MATCH (c:Customer)-[:SHARES_ACCOUNT]-(d) RETURN c, count(DISTINCT d) AS k "
                         "ORDER BY k DESC LIMIT 1")
    assert row is not None and row["k"] > 0
    return row["c"], row["k"]


def test_neighbourhood_forms_agree(conn: InstanceConnection) -> None:
    node, degree = hub(conn)
    by_value = conn.neighbourhood(node, limit=100_000)
    ids = {n["_id"] for n in by_value.nodes()}
    assert node["_id"] in ids and len(ids) == degree + 1
    assert all(node["_id"] in (r["_src"], r["_dst"]) for r in by_value.relationships())
    by_key = conn.neighbourhood(("Customer", node["id"]), limit=100_000)
    by_id = conn.neighbourhood(node["_id"], limit=100_000)
    assert {n["_id"] for n in by_key.nodes()} == ids == {n["_id"] for n in by_id.nodes()}
    two = conn.neighbourhood(node, hops=2, limit=5000)
    assert {n["_id"] for n in two.nodes()} >= ids
    out = conn.neighbourhood(node, direction="out", relationship_types=["SHARES_ACCOUNT"])
    assert all(r["_src"] == node["_id"] for r in out.relationships())


def test_view_expands_from_the_instance(conn: InstanceConnection) -> None:
    node, degree = hub(conn)
    view = GraphView(conn.query("MATCH (c:Customer) WHERE c.id = $id RETURN c", id=node["id"]),
                     connection=conn, expand_limit=100_000)
    assert (view.node_count, view.edge_count) == (1, 0)
    added_nodes, added_edges = view.expand(node["_id"])
    assert added_nodes == degree and added_edges >= degree
    assert view.expand(node["_id"]) == (0, 0)
    # The widget's message path: what a click in the page does.
    pytest.importorskip("anywidget")
    neighbour = next(n.key for n in view.data.nodes if n.key != str(node["_id"]))
    widget = view.widget
    replies: list = []
    widget.send = replies.append
    before = len(widget.nodes)
    widget._on_message(widget, {"type": "expand", "node": neighbour}, [])
    assert replies and replies[0]["type"] == "expanded", replies
    assert len(widget.nodes) == before + replies[0]["nodes_added"]
    grown = explore(conn, ("Customer", node["id"]), hops=2, size_by="degree")
    assert grown.node_count > degree and grown.expandable


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (apt-get install chromium)")
def test_demo_graph_renders_in_chromium(conn: InstanceConnection, tmp_path: Path) -> None:
    result = conn.query("MATCH (a:Customer)-[r:SHARES_ACCOUNT]->(b:Customer) RETURN a, r, b LIMIT 3000")
    view = GraphView(result, color_by="bk_sectr", size_by="degree", height=600)
    page_path = tmp_path / "demo.html"
    view.to_html(page_path)
    with Chromium(timeout=60) as browser:
        page = browser.open(page_path.as_uri(), width=1000, height=660)
        root = "document.querySelector('.go-gv')"
        page.wait_for(f"{root} && {root}.dataset.rendered === '1'", timeout=120)
        assert page.evaluate(f"Number({root}.dataset.nodeCount)") == view.node_count
        assert page.evaluate(f"Number({root}.dataset.edgeCount)") == view.edge_count
        page.wait_for(f"{root}.dataset.layout === 'stopped'", timeout=60)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTS / "demo-graph.png").write_bytes(page.screenshot())
        assert page.errors() == []
