#!/usr/bin/env python3
"""NetworkX / igraph reference values for the graph-olap-algorithms parity tests.

Usage: nx_reference.py EDGE_FILE

EDGE_FILE: first line `n`, then one `source target weight` line per directed edge (duplicates and
self-loops allowed). Prints one JSON object with every reference value the Rust test
`tests/networkx_parity.rs` compares. Graph construction mirrors the Rust side: a `DiGraph` with
nodes 0..n-1 added in order (parallel edges collapse; for weights the minimum is kept) and its
undirected view `G.to_undirected()`.
"""

import itertools
import json
import random
import sys

import networkx as nx


class FixedSample(random.Random):
    """A Random whose sample() returns given nodes, to replay a Rust-chosen source sample."""

    def __init__(self, nodes):
        super().__init__(0)
        self._nodes = list(nodes)

    def sample(self, population, k, **kwargs):
        return list(self._nodes)


def load(path):
    with open(path) as f:
        n = int(f.readline())
        edges = [tuple(line.split()) for line in f if line.strip()]
    edges = [(int(u), int(v), float(w)) for u, v, w in edges]
    d = nx.DiGraph()
    d.add_nodes_from(range(n))
    dw = nx.DiGraph()
    dw.add_nodes_from(range(n))
    for u, v, w in edges:
        d.add_edge(u, v)
        if dw.has_edge(u, v):
            w = min(w, dw[u][v]["weight"])
        dw.add_edge(u, v, weight=w)
    return n, d, dw


def vec(n, mapping, default=0.0):
    return [float(mapping.get(v, default)) for v in range(n)]


def parts(components):
    return sorted(sorted(c) for c in components)


def maybe(f):
    try:
        return f()
    except nx.PowerIterationFailedConvergence:
        return None


def main():
    n, d, dw = load(sys.argv[1])
    u = d.to_undirected()
    uw = nx.Graph()
    uw.add_nodes_from(range(n))
    for a, b, data in dw.edges(data=True):
        w = data["weight"]
        if uw.has_edge(a, b):
            w = min(w, uw[a][b]["weight"])
        uw.add_edge(a, b, weight=w)
    u_noloops = u.copy()
    u_noloops.remove_edges_from(list(nx.selfloop_edges(u_noloops)))
    sources = [int(x) for x in sys.argv[2].split(",")] if len(sys.argv) > 2 else [0, 1]

    out = {}
    out["pagerank"] = maybe(lambda: vec(n, nx.pagerank(d, alpha=0.85, max_iter=100, tol=1e-6)))
    out["pagerank_u"] = maybe(lambda: vec(n, nx.pagerank(u, alpha=0.9, max_iter=200, tol=1e-8)))
    pers = {v: (1.0 if v % 3 == 0 else 0.0) for v in range(n)}
    out["pagerank_personalized"] = maybe(lambda: vec(n, nx.pagerank(d, personalization=pers, max_iter=200, tol=1e-9)))
    out["pagerank_weighted"] = maybe(lambda: vec(n, nx.pagerank(dw, alpha=0.85, max_iter=200, tol=1e-10, weight="weight")))
    out["pagerank_weighted_u"] = maybe(lambda: vec(n, nx.pagerank(uw, alpha=0.85, max_iter=200, tol=1e-10, weight="weight")))
    out["degree_centrality"] = vec(n, nx.degree_centrality(d))
    out["in_degree_centrality"] = vec(n, nx.in_degree_centrality(d))
    out["out_degree_centrality"] = vec(n, nx.out_degree_centrality(d))
    out["degree_centrality_u"] = vec(n, nx.degree_centrality(u))
    out["closeness"] = vec(n, nx.closeness_centrality(d))
    out["closeness_nowf"] = vec(n, nx.closeness_centrality(d, wf_improved=False))
    out["closeness_u"] = vec(n, nx.closeness_centrality(u))
    out["harmonic"] = vec(n, nx.harmonic_centrality(d))
    out["harmonic_u"] = vec(n, nx.harmonic_centrality(u))
    out["betweenness"] = vec(n, nx.betweenness_centrality(d, normalized=True))
    out["betweenness_raw"] = vec(n, nx.betweenness_centrality(d, normalized=False))
    out["betweenness_u"] = vec(n, nx.betweenness_centrality(u, normalized=False))
    out["betweenness_sampled"] = vec(n, nx.betweenness_centrality(d, k=len(sources), normalized=True, seed=FixedSample(sources)))
    out["betweenness_sampled_u_raw"] = vec(n, nx.betweenness_centrality(u, k=len(sources), normalized=False, seed=FixedSample(sources)))
    out["eigenvector_u"] = maybe(lambda: vec(n, nx.eigenvector_centrality(u, max_iter=1000, tol=1e-9)))
    out["eigenvector"] = maybe(lambda: vec(n, nx.eigenvector_centrality(d, max_iter=1000, tol=1e-9)))
    out["katz"] = maybe(lambda: vec(n, nx.katz_centrality(d, alpha=0.05, beta=1.0, max_iter=1000, tol=1e-10)))
    out["katz_raw"] = maybe(lambda: vec(n, nx.katz_centrality(d, alpha=0.05, beta=0.5, max_iter=1000, tol=1e-10, normalized=False)))

    out["wcc"] = parts(nx.weakly_connected_components(d))
    out["scc"] = parts(nx.strongly_connected_components(d))
    out["kosaraju"] = parts(nx.kosaraju_strongly_connected_components(d))
    out["number_connected_components"] = nx.number_connected_components(u)
    out["core_number"] = vec(n, nx.core_number(u_noloops))
    out["triangles"] = vec(n, nx.triangles(u))
    out["clustering"] = vec(n, nx.clustering(u))
    out["square_clustering"] = vec(n, nx.square_clustering(u))
    out["average_clustering"] = nx.average_clustering(u)
    out["transitivity"] = nx.transitivity(u)
    out["density"] = nx.density(d)
    out["density_u"] = nx.density(u)
    out["label_propagation"] = parts(nx.community.label_propagation_communities(u))
    louvain = [nx.community.modularity(u, nx.community.louvain_communities(u, seed=s)) for s in range(3)]
    out["louvain_modularity"] = max(louvain)
    out["louvain_modularity_r05"] = max(
        nx.community.modularity(u, nx.community.louvain_communities(u, resolution=0.5, seed=s), resolution=0.5)
        for s in range(3)
    )
    out["greedy_modularity"] = nx.community.modularity(u, nx.community.greedy_modularity_communities(u))
    try:
        import igraph as ig

        gi = ig.Graph(n=n, edges=[(a, b) for a, b in u.edges()], directed=False)
        ig.set_random_number_generator(random.Random(0))
        leiden = gi.community_leiden(objective_function="modularity", n_iterations=-1)
        out["igraph_leiden_modularity"] = gi.modularity(leiden)
        out["igraph_louvain_modularity"] = gi.modularity(gi.community_multilevel())
    except ImportError:
        out["igraph_leiden_modularity"] = None
        out["igraph_louvain_modularity"] = None

    out["bfs_lengths_0"] = vec(n, nx.single_source_shortest_path_length(d, 0), default=-1)
    out["bfs_lengths_0_cut2"] = vec(n, nx.single_source_shortest_path_length(d, 0, cutoff=2), default=-1)
    out["dijkstra_0"] = vec(n, nx.single_source_dijkstra_path_length(dw, 0), default=-1)
    out["dijkstra_u_3"] = vec(n, nx.single_source_dijkstra_path_length(uw, 3), default=-1)
    out["bellman_ford_0"] = vec(n, nx.single_source_bellman_ford_path_length(dw, 0), default=-1)
    mst = nx.minimum_spanning_edges(uw, algorithm="kruskal", data=True)
    out["mst_weight"] = sum(data["weight"] for _, _, data in mst)
    out["apsp_cut2_pairs"] = sum(len(row) for _, row in nx.all_pairs_shortest_path_length(d, cutoff=2))
    lex = {}
    for s, t in [(0, n - 1), (1, n // 2), (2, 3), (n // 3, 2 * n // 3), (5, 7)]:
        for name, g in (("out", d), ("both", u)):
            try:
                best = min(tuple(p) for p in nx.all_shortest_paths(g, s, t))
                lex[f"{name}:{s}:{t}"] = list(best)
            except nx.NetworkXNoPath:
                lex[f"{name}:{s}:{t}"] = None
    out["lex_paths"] = lex
    out["astar_cost_0_last"] = (nx.astar_path_length(dw, 0, n - 1) if nx.has_path(dw, 0, n - 1) else None)

    pairs = [(a, b) for a, b in itertools.combinations(range(min(n, 25)), 2)]
    out["pairs"] = pairs
    out["jaccard"] = [p for _, _, p in nx.jaccard_coefficient(u, pairs)]
    out["adamic_adar"] = [p for _, _, p in nx.adamic_adar_index(u, pairs)]
    out["resource_allocation"] = [p for _, _, p in nx.resource_allocation_index(u, pairs)]
    out["preferential_attachment"] = [float(p) for _, _, p in nx.preferential_attachment(u, pairs)]
    out["common_neighbors"] = [float(len(nx.common_neighbors(u, a, b))) for a, b in pairs]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
