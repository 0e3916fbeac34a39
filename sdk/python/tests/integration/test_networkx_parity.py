"""``conn.networkx`` runs any NetworkX function: parity with NetworkX run locally (API.md §10.12).

A subgraph of the tutorial graph (the first edges by ``_id``) is projected on the instance with
``subgraph_query``; the same rows, queried through the SDK, build the local NetworkX graph the
same way the worker does (a DiGraph, nodes and edges in ascending ``_id`` order).  Each function
runs once on the instance (through the worker, or natively where we have the kernel) and once
locally; the results must agree (floats to 1e-9).
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, Iterator, List, Tuple

import networkx as nx
import pytest

from graph_olap import GraphOLAPClient
from graph_olap.instance.connection import InstanceConnection
from graph_olap.notebook_setup import TUTORIAL_MAPPING
from graph_olap.testing import random_name

pytestmark = pytest.mark.needs_instances

SUBGRAPH = ("MATCH (a:Customer)-[:SHARES_ACCOUNT]->(b:Customer) "
            "RETURN id(a), id(b) ORDER BY id(a), id(b) LIMIT 150")


@pytest.fixture(scope="module")
def graph(analyst: GraphOLAPClient) -> Iterator[Tuple[InstanceConnection, Any]]:
    mapping = analyst.mappings.get_by_name(TUTORIAL_MAPPING)
    inst = analyst.instances.create_from_mapping_and_wait(
        mapping.id, random_name("it-nx"), ttl="PT1H", timeout=600, show_progress=False)
    conn = analyst.instances.connect(inst.id)
    try:
        rows = conn.query(SUBGRAPH).rows
        g = nx.DiGraph()
        g.add_nodes_from(sorted({n for r in rows for n in r}))
        g.add_edges_from(sorted((r[0], r[1]) for r in rows))
        assert g.number_of_edges() > 20, "the tutorial graph has shared accounts"
        yield conn, g
    finally:
        conn.close()
        analyst.instances.terminate(inst.id)


def to_json(value: Any) -> Any:
    """The worker's JSON form of a NetworkX result."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, nx.Graph):
        return {"directed": value.is_directed(), "nodes": [to_json(n) for n in value.nodes],
                "edges": [[to_json(u), to_json(v)] + ([to_json(d)] if d else [])
                          for u, v, d in value.edges(data=True)]}
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else json.dumps(to_json(k))): to_json(v)
                for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(to_json(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return [to_json(v) for v in value]


def same(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, f"{path}: {a} vs {b}"
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {a} vs {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)[:5]} vs {sorted(b)[:5]}"
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def by_node(d: Dict[Any, Any]) -> Dict[str, Any]:
    """Per-node values as the instance returns them without a result property (non-finite
    floats are null, and nulls are left out)."""
    converted = {str(k): to_json(v) for k, v in d.items()}
    return {k: v for k, v in converted.items() if v is not None}


def partition(communities: Any) -> Dict[str, int]:
    ordered = sorted((c for c in communities if c), key=min)
    return {str(n): i for i, c in enumerate(ordered) for n in c}


def sorted_pairs(value: Any) -> List[List[Any]]:
    return sorted(sorted(p) for p in value)


def cases(g: Any) -> List[Tuple[str, Dict[str, Any], Callable[[Any], Any], Callable[[Any], Any]]]:
    """(name, parameters, local computation, normaliser applied to both sides)."""
    nodes = sorted(g.nodes)
    source = nodes[0]
    reachable = nx.single_source_shortest_path_length(g, source)
    target = max(reachable, key=lambda n: (reachable[n], n))
    u = g.to_undirected()
    pairs = [[a, b] for a in nodes[:6] for b in nodes[-4:] if a != b][:20]
    ident = lambda v: v  # noqa: E731
    return [
        # centrality
        ("load_centrality", {}, lambda: by_node(nx.load_centrality(g)), ident),
        ("hits", {"max_iter": 1000}, lambda: [by_node(d) for d in nx.hits(g, max_iter=1000)],
         ident),
        ("closeness_vitality", {}, lambda: by_node(nx.closeness_vitality(g)), ident),
        ("betweenness_centrality", {"endpoints": True},
         lambda: by_node(nx.betweenness_centrality(g, endpoints=True)), ident),
        ("edge_betweenness_centrality", {},
         lambda: to_json(nx.edge_betweenness_centrality(g)), ident),
        ("global_reaching_centrality", {}, lambda: nx.global_reaching_centrality(g), ident),
        ("voterank", {}, lambda: to_json(nx.voterank(g)), ident),
        ("average_degree_connectivity", {},
         lambda: to_json(nx.average_degree_connectivity(g)), ident),
        # community
        ("girvan_newman", {"max_items": 1},
         lambda: partition(next(nx.community.girvan_newman(g))), ident),
        ("asyn_lpa_communities", {"seed": 3},
         lambda: partition(nx.community.asyn_lpa_communities(g, seed=3)), ident),
        ("kernighan_lin_bisection", {"seed": 1},
         lambda: partition(nx.community.kernighan_lin_bisection(u, seed=1)), ident),
        ("fast_label_propagation_communities", {"seed": 2},
         lambda: partition(nx.community.fast_label_propagation_communities(g, seed=2)), ident),
        ("attracting_components", {}, lambda: partition(nx.attracting_components(g)), ident),
        ("biconnected_components", {},
         lambda: to_json(list(nx.biconnected_components(u))), sorted),
        ("number_attracting_components", {}, lambda: nx.number_attracting_components(g), ident),
        ("is_weakly_connected", {}, lambda: nx.is_weakly_connected(g), ident),
        # link prediction
        ("jaccard_coefficient", {"ebunch": pairs},
         lambda: to_json(list(nx.jaccard_coefficient(u, [tuple(p) for p in pairs]))), ident),
        ("adamic_adar_index", {"ebunch": pairs},
         lambda: to_json(list(nx.adamic_adar_index(u, [tuple(p) for p in pairs]))), ident),
        ("resource_allocation_index", {"ebunch": pairs},
         lambda: to_json(list(nx.resource_allocation_index(u, [tuple(p) for p in pairs]))), ident),
        ("preferential_attachment", {"ebunch": pairs},
         lambda: to_json(list(nx.preferential_attachment(u, [tuple(p) for p in pairs]))), ident),
        ("common_neighbors", {"u": source, "v": nodes[1]},
         lambda: to_json(set(nx.common_neighbors(u, source, nodes[1]))), ident),
        # paths and traversal
        ("astar_path", {"source": source, "target": target},
         lambda: to_json(nx.astar_path(g, source, target)), ident),
        ("dijkstra_path", {"source": source, "target": target},
         lambda: to_json(nx.dijkstra_path(g, source, target)), ident),
        ("single_source_shortest_path", {"source": source},
         lambda: to_json(nx.single_source_shortest_path(g, source)), ident),
        ("all_pairs_shortest_path", {"cutoff": 2},
         lambda: to_json(dict(nx.all_pairs_shortest_path(g, cutoff=2))), ident),
        ("single_source_dijkstra_path_length", {"source": source},
         lambda: by_node(nx.single_source_dijkstra_path_length(g, source)), ident),
        ("has_path", {"source": source, "target": target},
         lambda: nx.has_path(g, source, target), ident),
        ("bfs_tree", {"source": source}, lambda: to_json(nx.bfs_tree(g, source)), ident),
        ("dfs_preorder_nodes", {"source": source},
         lambda: to_json(list(nx.dfs_preorder_nodes(g, source))), ident),
        ("simple_cycles", {"length_bound": 3},
         lambda: to_json(list(nx.simple_cycles(g, length_bound=3))), sorted),
        # structure
        ("minimum_spanning_tree", {}, lambda: to_json(nx.minimum_spanning_tree(u)), ident),
        ("k_core", {}, lambda: to_json(nx.k_core(g)), ident),
        ("onion_layers", {}, lambda: by_node(nx.onion_layers(u)), ident),
        ("greedy_color", {}, lambda: by_node(nx.greedy_color(g)), ident),
        ("bridges", {}, lambda: to_json(list(nx.bridges(u))), sorted_pairs),
        ("articulation_points", {}, lambda: to_json(list(nx.articulation_points(u))), sorted),
        ("degree_assortativity_coefficient", {},
         lambda: nx.degree_assortativity_coefficient(g), ident),
        ("triadic_census", {}, lambda: to_json(nx.triadic_census(g)), ident),
        ("flow_hierarchy", {}, lambda: nx.flow_hierarchy(g), ident),
        ("overall_reciprocity", {}, lambda: nx.overall_reciprocity(g), ident),
        ("is_directed_acyclic_graph", {}, lambda: nx.is_directed_acyclic_graph(g), ident),
        ("number_of_isolates", {}, lambda: nx.number_of_isolates(g), ident),
    ]


def test_networkx_functions_match_local_networkx(graph) -> None:
    conn, g = graph
    all_cases = cases(g)
    assert len(all_cases) >= 30
    names = {a.name: a for a in conn.networkx.list()}
    failures: List[str] = []
    compared = 0
    for name, params, local, norm in all_cases:
        assert name in names, f"{name} is not in the catalogue"
        started = conn.networkx.run(name, parameters=params, subgraph_query=SUBGRAPH,
                                    wait=False)
        run = conn.networkx.wait(started, show_progress=False, raise_on_failure=False)
        try:
            try:
                expected = local()
            except Exception as e:  # NetworkX refuses this graph: the instance must say the same
                assert run.status == "failed", f"{run.status}; locally {e!r}"
                assert run.result["error"]["type"] == type(e).__name__
                continue
            assert run.status == "completed", f"{run.status}: {run.error_message}"
            same(norm(run.result["value"]), norm(expected), name)
            compared += 1
        except AssertionError as e:
            failures.append(f"{name}: {e}")
    assert not failures, "\n".join(failures)
    assert compared >= 30, f"only {compared} functions produced a result to compare"


def test_the_catalogue_says_where_each_function_runs(graph) -> None:
    conn, _ = graph
    listed = {a.name: a for a in conn.networkx.list()}
    assert len(listed) > 300
    info = conn.networkx.info("load_centrality")
    assert info.name == "load_centrality"
    raw = conn._http.get("/networkx/algorithms/load_centrality")
    assert raw["implementation"] == "networkx"
    assert conn._http.get("/networkx/algorithms/pagerank")["implementation"] == "native"
