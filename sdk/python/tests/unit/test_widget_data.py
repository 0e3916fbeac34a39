"""The graph view's data side: sources → nodes/edges, styling, expansion merges, neighbourhood
queries, the standalone HTML and the widget's message path (no browser here)."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional

import pytest

from graph_olap.instance.result import QueryResult
from graph_olap.models.instance import GraphSchema
from graph_olap.widget import GraphData, GraphView, NodeRecord, Style, jsonable
from graph_olap.widget._data import PALETTE, RAMP, EdgeRecord, category_color
from graph_olap.widget._neighbourhood import neighbourhood_query

nx = pytest.importorskip("networkx")


def node(i: int, label: str = "Customer", **props: Any) -> Dict[str, Any]:
    return {"_id": i, "_label": label, **props}


def rel(i: int, s: int, t: int, typ: str = "SHARES_ACCOUNT", **props: Any) -> Dict[str, Any]:
    return {"_id": i, "_type": typ, "_src": s, "_dst": t, **props}


def triangle_result() -> QueryResult:
    return QueryResult(["a", "r", "b"], ["NODE", "REL", "NODE"], [
        [node(1, id="C1", pr=0.9, community=1), rel(10, 1, 2), node(2, id="C2", pr=0.1, community=1)],
        [node(2, id="C2", pr=0.1, community=1), rel(11, 2, 3, "OWNS"), node(3, "Account", id="A3")],
    ])


# ------------------------------------------------------------------ sources
def test_query_result_nodes_edges_are_keyed_and_deduplicated() -> None:
    d = GraphData.from_source(triangle_result())
    assert [n.key for n in d.nodes] == ["1", "2", "3"]
    assert [n.label for n in d.nodes] == ["Customer", "Customer", "Account"]
    assert d.node("1").props == {"id": "C1", "pr": 0.9, "community": 1}
    assert [(e.key, e.source, e.target, e.type) for e in d.edges] == [
        ("10", "1", "2", "SHARES_ACCOUNT"), ("11", "2", "3", "OWNS")]
    assert d.directed


def test_paths_and_bare_endpoints() -> None:
    r = QueryResult(["p", "r"], ["PATH", "REL"], [[
        {"_nodes": [node(1), node(2)], "_rels": [rel(5, 1, 2)]},
        rel(6, 2, 99),  # endpoint 99 never returned as a node
    ]])
    d = GraphData.from_source(r)
    assert sorted(n.key for n in d.nodes) == ["1", "2", "99"]
    assert d.node(99).label is None and d.node(99).props == {}
    assert len(d.edges) == 2


def test_networkx_graphs() -> None:
    g = nx.MultiDiGraph()
    g.add_node("a", label="Person", pr=0.5)
    g.add_node("b", label="Person")
    g.add_edge("a", "b", key="k1", type="KNOWS", since=2001)
    g.add_edge("a", "b", key="k2", type="KNOWS")
    d = GraphData.from_source(g)
    assert [(n.key, n.label, n.props) for n in d.nodes] == [
        ("a", "Person", {"pr": 0.5}), ("b", "Person", {})]
    assert [(e.key, e.type, e.props) for e in d.edges] == [
        ("a->b#k1", "KNOWS", {"since": 2001}), ("a->b#k2", "KNOWS", {})]
    und = GraphData.from_source(nx.path_graph(3))
    assert not und.directed and len(und.edges) == 2 and und.node(0).key == "0"
    # A QueryResult round trip through NetworkX keeps ids, labels and types.
    back = GraphData.from_source(triangle_result().to_networkx())
    assert [n.key for n in back.nodes] == ["1", "2", "3"] and back.node(3).label == "Account"
    assert sorted(e.type for e in back.edges) == ["OWNS", "SHARES_ACCOUNT"]


def test_unsupported_source() -> None:
    with pytest.raises(TypeError, match="QueryResult"):
        GraphData.from_source([1, 2, 3])


# ------------------------------------------------------------------ styling
def test_colour_by_label_most_frequent_first_and_stable() -> None:
    d = GraphData.from_source(triangle_result())
    s = Style().fit(d)
    colours = {p["id"]: p["color"] for p in s.node_payloads(d.nodes)}
    assert colours == {"1": PALETTE[0], "2": PALETTE[0], "3": PALETTE[1]}
    legend = s.legend(d)
    assert legend["kind"] == "categorical" and legend["title"] == ""
    assert [(i["value"], i["count"]) for i in legend["items"]] == [("Customer", 2), ("Account", 1)]
    # A new label met later (an expansion) gets the next colour; known ones keep theirs.
    assert s.node_color(NodeRecord("7", 7, "Branch")) == PALETTE[2]
    assert s.node_color(NodeRecord("8", 8, "Customer")) == PALETTE[0]


def test_colour_by_property_numeric_and_categorical() -> None:
    d = GraphData.from_source(triangle_result())
    numeric = Style(color_by="pr").fit(d)
    assert numeric.node_color(d.node(1)) == RAMP[-1]
    assert numeric.node_color(d.node(2)) == RAMP[0]
    assert numeric.node_color(d.node(3)) == "#b0b7c0"  # missing property
    assert numeric.legend(d) == {"kind": "numeric", "title": "pr", "min": 0.1, "max": 0.9,
                                 "colors": RAMP}
    community = Style(color_by="community").fit(d)  # ints: categories (Louvain communities)
    assert community.node_color(d.node(1)) == community.node_color(d.node(2)) == PALETTE[0]
    forced = Style(color_by="community", color_scale="numeric").fit(d)
    assert forced.legend(d)["kind"] == "numeric"
    with pytest.raises(ValueError):
        Style(color_scale="rainbow")
    assert Style(color_by=None, color="#123456").fit(d).node_color(d.node(1)) == "#123456"
    by_fn = Style(color_by=lambda n: n.props.get("id", "?")[0]).fit(d)
    assert by_fn.node_color(d.node(1)) == by_fn.node_color(d.node(2)) != by_fn.node_color(d.node(3))


def test_many_categories_stay_distinct() -> None:
    colours = [category_color(i) for i in range(60)]
    assert len(set(colours)) == 60
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)


def test_size_by_numeric_property_and_degree() -> None:
    d = GraphData.from_source(triangle_result())
    s = Style(size_by="pr", min_size=2, max_size=12).fit(d)
    assert s.node_size(d.node(1)) == 12 and s.node_size(d.node(2)) == 2
    assert s.node_size(d.node(3)) == 2  # no value
    deg = Style(size_by="degree", min_size=2, max_size=12).fit(d)
    assert deg.node_size(d.node(2)) == 12 and deg.node_size(d.node(1)) == 2
    # Without size_by, one size chosen by graph size.
    assert Style().fit(d).node_size(d.node(1)) == 8.0
    big = GraphData([NodeRecord(str(i), i) for i in range(2000)])
    assert Style().fit(big).node_size(big.node(5)) == 3.0


def test_captions() -> None:
    d = GraphData([NodeRecord("1", 1, "A", {"name": "Ann", "id": "x"}),
                   NodeRecord("2", 2, "A", {"id": "y"}), NodeRecord("3", 3, "A", {})])
    s = Style().fit(d)
    assert [p["caption"] for p in s.node_payloads(d.nodes)] == ["Ann", "y", "3"]
    s2 = Style(caption="id").fit(d)
    assert [s2.node_caption(n) for n in d.nodes] == ["x", "y", "3"]


def test_payloads_are_json_safe() -> None:
    from datetime import date, timedelta

    d = GraphData([NodeRecord("1", 1, "A", {"when": date(2024, 1, 2), "x": float("inf"),
                                             "blob": b"abc", "big": 2**62, "d": timedelta(hours=1)})])
    payload = Style().fit(d).node_payloads(d.nodes)
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)[0]["props"] == {"when": "2024-01-02", "x": "Infinity",
                                            "blob": "<3 bytes>", "big": str(2**62), "d": "1:00:00"}
    assert jsonable({1: (1, 2)}) == {"1": [1, 2]}


# ------------------------------------------------------------------ merging
def test_merge_adds_only_new_and_completes_bare_nodes() -> None:
    d = GraphData([NodeRecord("1", 1, "A", {"x": 1})], [EdgeRecord("e1", "1", "2", "R")])
    assert d.node(2).label is None
    more = GraphData([NodeRecord("2", 2, "B", {"y": 2}), NodeRecord("3", 3, "B")],
                     [EdgeRecord("e1", "1", "2", "R"), EdgeRecord("e2", "2", "3", "R"),
                      EdgeRecord("e3", "3", "4", "R")])
    assert d.merge(more) == (2, 2)  # nodes 3 and bare 4; edges e2 and e3
    assert d.node(2).label == "B" and d.node(2).props == {"y": 2}
    assert [n.key for n in d.nodes] == ["1", "2", "3", "4"]
    assert d.merge(more) == (0, 0)
    assert d.degrees() == {"1": 1, "2": 2, "3": 2, "4": 1}


# ------------------------------------------------------------------ the view and expansion
class FakeConnection:
    """Answers neighbourhood queries from a fixed graph (what the instance would return)."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.schema_calls = 0

    def get_schema(self) -> GraphSchema:
        self.schema_calls += 1
        return GraphSchema.from_dict({"node_tables": [
            {"label": "Customer", "primary_key": "id", "properties": {"id": "STRING"}, "node_count": 3},
            {"label": "Account", "primary_key": "id", "properties": {"id": "STRING"}, "node_count": 5}],
            "edge_tables": []})

    def neighbourhood(self, node_value: Any, hops: int = 1, *, limit: int = 500,
                      schema: Optional[GraphSchema] = None) -> QueryResult:
        self.calls.append({"node": node_value, "hops": hops, "limit": limit, "schema": schema})
        statement, params = neighbourhood_query(schema, node_value, hops=hops, limit=limit)
        assert params == {"key": node_value["id"]}
        me = node(node_value["_id"], node_value["_label"], id=node_value["id"])
        rows = [[me, rel(100 + k, node_value["_id"], 50 + k, "OWNS"), node(50 + k, "Account", id=f"A{k}")]
                for k in range(3)]
        return QueryResult(["n", "r", "m"], ["NODE", "REL", "NODE"], rows, query=statement)


def test_view_expand_uses_the_connection_and_merges() -> None:
    conn = FakeConnection()
    view = GraphView(triangle_result(), connection=conn, color_by="label", size_by="degree")
    assert view.expandable and (view.node_count, view.edge_count) == (3, 2)
    assert view.expand("1") == (3, 3)
    assert view.expand(1) == (0, 0)  # same neighbours again: nothing new
    assert conn.schema_calls == 1  # schema fetched once per view
    assert conn.calls[0]["node"] == {"_id": 1, "_label": "Customer", "id": "C1", "pr": 0.9, "community": 1}
    state = view._state()
    assert len(state["nodes"]) == 6 and len(state["edges"]) == 5
    accounts = [n for n in state["nodes"] if n["label"] == "Account"]
    assert {n["color"] for n in accounts} == {PALETTE[1]}
    assert {i["value"]: i["count"] for i in state["legend"]["items"]} == {"Customer": 2, "Account": 4}
    with pytest.raises(KeyError):
        view.expand("nope")


def test_expand_message_reports_success_and_errors() -> None:
    view = GraphView(triangle_result(), connection=FakeConnection())
    reply = view._handle_expand("2")
    assert reply == {"type": "expanded", "node": "2", "nodes_added": 3, "edges_added": 3}

    def boom(_node: NodeRecord) -> Any:
        raise RuntimeError("instance gone")

    failing = GraphView(triangle_result(), expand=boom)
    assert failing._handle_expand("1") == {"type": "error", "node": "1",
                                           "message": "RuntimeError: instance gone"}
    static = GraphView(triangle_result())
    assert not static.expandable
    assert static._handle_expand("1")["type"] == "error"


def test_widget_message_path_updates_traits() -> None:
    pytest.importorskip("anywidget")
    view = GraphView(triangle_result(), connection=FakeConnection())
    widget = view.widget
    assert widget.expandable and len(widget.nodes) == 3 and len(widget.edges) == 2
    assert widget.options["arrows"] is True
    sent: List[Any] = []
    widget.send = sent.append  # the reply to the browser
    widget._on_message(widget, {"type": "expand", "node": "1"}, [])
    assert sent == [{"type": "expanded", "node": "1", "nodes_added": 3, "edges_added": 3}]
    assert len(widget.nodes) == 6 and len(widget.edges) == 5
    assert {n["id"] for n in widget.nodes} >= {"50", "51", "52"}
    widget._on_message(widget, {"type": "something else"}, [])
    assert len(sent) == 1


def test_mimebundle_and_standalone_html() -> None:
    r = QueryResult(["n"], ["NODE"], [[node(1, name="</script><b>x")]])
    view = GraphView(r)
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == "GraphView(1 nodes, 0 relationships)"
    page = view.to_html()
    # One inline module script with the bundle; the data cannot close its script element.
    assert page.count("<script type='module'>") == 1
    assert "</script><b>" not in page and "\\u003c/script>" in page
    assert not re.search(r"<script[^>]+src=", page) and "<link" not in page  # nothing fetched
    data = re.search(r"<script type='application/json' id='[^']+'>(.*?)</script>", page, re.S)
    assert data is not None
    state = json.loads(data.group(1))
    assert state["nodes"][0]["props"]["name"] == "</script><b>x"
    assert state["expandable"] is False
    assert "<svg" in view._repr_html_()  # legend swatches readable without JavaScript


def test_neighbourhood_queries() -> None:
    schema = FakeConnection().get_schema()
    q, p = neighbourhood_query(schema, {"_id": 4, "_label": "Account", "id": "A1"})
    assert q == ("MATCH (n:`Account`) WHERE n.`id` = $key OPTIONAL MATCH (n)-[r]-(m) "
                 "RETURN n, r, m LIMIT 500") and p == {"key": "A1"}
    q, p = neighbourhood_query(schema, ("Customer", "C1"), hops=3, limit=10, direction="out",
                               relationship_types=["OWNS", "SHARES`X"])
    assert q == ("MATCH (n:`Customer`) WHERE n.`id` = $key OPTIONAL MATCH p = "
                 "(n)-[:`OWNS`|`SHARES``X`*1..3]->(m) RETURN n, p LIMIT 10")
    # By _id: dense per label in schema order (Customer 0..2, Account 3..7).
    q, p = neighbourhood_query(schema, 4, direction="in")
    assert q.startswith("MATCH (n:`Account`) WHERE offset(id(n)) = $offset OPTIONAL MATCH (n)<-[r]-(m)")
    assert p == {"offset": 1}
    assert neighbourhood_query(schema, {"_id": 2, "_label": "Customer"})[1] == {"offset": 2}
    for bad, err in [(99, ValueError), (("Nope", 1), ValueError), ("x", TypeError), ({}, ValueError)]:
        with pytest.raises(err):
            neighbourhood_query(schema, bad)
    with pytest.raises(ValueError):
        neighbourhood_query(schema, 1, hops=0)
    with pytest.raises(ValueError):
        neighbourhood_query(schema, 1, direction="sideways")


def test_connection_neighbourhood_goes_through_query() -> None:
    from graph_olap.config import Config
    from graph_olap.instance.connection import InstanceConnection

    conn = InstanceConnection("http://127.0.0.1:9/wrapper/x", config=Config(username="u@e2e.local"))
    seen: Dict[str, Any] = {}

    def fake_query(statement: str, params: Dict[str, Any], **kw: Any) -> QueryResult:
        seen.update(statement=statement, params=params)
        return triangle_result()

    conn.query = fake_query  # type: ignore[method-assign]
    schema = FakeConnection().get_schema()
    r = conn.neighbourhood(("Customer", "C1"), 2, schema=schema)
    assert seen["params"] == {"key": "C1"} and "*1..2" in seen["statement"]
    assert len(r.nodes()) == 3
    conn.close()


# ------------------------------------------------------------------ the old entry points
def test_viz_entry_points_delegate_to_the_view() -> None:
    from graph_olap.viz import GraphView as OldView
    from graph_olap.viz import show_graph

    view = show_graph(triangle_result(), backend="html", caption_property="id", size_by="pr")
    assert isinstance(view, GraphView) and (view.node_count, view.edge_count) == (3, 2)
    assert view.style.node_caption(view.data.node(1)) == "C1"
    old = OldView([{"id": 1, "label": "A", "props": {"name": "n1"}}, {"id": 2, "label": "B", "props": {}}],
                  [(1, 2, {"type": "R", "w": 3})], caption_property="name", width=640)
    assert (old.node_count, old.edge_count, old.width) == (2, 1, 640)
    assert old.data.edges[0].type == "R" and old.data.edges[0].props == {"w": 3}
    with pytest.raises(ValueError, match="max_nodes"):
        show_graph(triangle_result(), backend="html", max_nodes=2)
    with pytest.raises(ValueError):
        show_graph(triangle_result(), backend="svg")
    assert triangle_result().visualize(backend="html").node_count == 3


def test_matplotlib_backend() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from graph_olap.viz import show_graph

    view = show_graph(triangle_result(), backend="matplotlib")
    ax = view.draw_matplotlib()
    assert ax is not None


def test_notebook_output_has_widget_and_html_fallback(tmp_path: Any) -> None:
    """In a real kernel the output carries the widget view and the standalone HTML."""
    pytest.importorskip("anywidget")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import networkx as nx\n"
        "from graph_olap.widget import GraphView\n"
        "GraphView(nx.karate_club_graph(), color_by='club', size_by='degree')")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    data = nb.cells[0].outputs[0]["data"]
    assert data["text/plain"] == "GraphView(34 nodes, 78 relationships)"
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "graph_view" not in data["text/html"][:200] and "<script type='module'>" in data["text/html"]
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    if models:  # nbclient stores widget state: the model holds the graph
        widget_model = next(m for m in models.values() if "nodes" in m.get("state", {}))
        assert len(widget_model["state"]["nodes"]) == 34


def test_committed_bundle_matches_the_js_sources() -> None:
    """``sdk/python/js``: the bundle in the package is a fresh build of the sources (needs npm ci)."""
    import shutil
    import subprocess
    from pathlib import Path

    js = Path(__file__).resolve().parents[2] / "js"
    if shutil.which("node") is None or not (js / "node_modules" / "esbuild").is_dir():
        pytest.skip("node or sdk/python/js/node_modules missing (cd sdk/python/js && npm ci)")
    run = subprocess.run(["node", "build.mjs", "--check"], cwd=js, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr


def test_bad_view_arguments_are_refused_with_what_is_wrong() -> None:
    import networkx as nx

    from graph_olap.widget import GraphView

    g = nx.karate_club_graph()
    missing = r"color_by='comunity': no node has this property \(properties: club\)"
    with pytest.raises(ValueError, match=missing):
        GraphView(g, color_by="comunity")
    with pytest.raises(ValueError, match="size_by='pagerank': no node has"):
        GraphView(g, size_by="pagerank")
    for bad in ({"height": 0}, {"width": -3}, {"hops": 0}, {"expand_limit": 2.5}, {"height": True}):
        with pytest.raises(ValueError, match="must be a positive integer"):
            GraphView(g, **bad)
    # Names every node may lack are fine: labels, ids, degree; and an empty view has nothing to check.
    assert GraphView(g, color_by="label", size_by="degree").node_count == 34
    assert GraphView(None, color_by="community", size_by="pr").node_count == 0
