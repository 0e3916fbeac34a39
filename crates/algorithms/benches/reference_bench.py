#!/usr/bin/env python3
"""Times NetworkX and igraph on the benchmark graph written by `algo-bench`.

Usage: reference_bench.py EDGE_FILE N SOURCES [--no-networkx]

EDGE_FILE holds `source target` lines (already collapsed to a simple directed graph), N the node
count, SOURCES a comma-separated list of betweenness source nodes. Prints JSON:
{"networkx": {kernel: seconds|null}, "igraph": {kernel: seconds|null}}. Single-threaded by nature.
"""

import json
import sys
import time


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main():
    path, n, sources = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")]
    with_nx = "--no-networkx" not in sys.argv
    out = {"networkx": {}, "igraph": {}}

    import igraph as ig

    g = ig.Graph.Read_Edgelist(path, directed=True)
    if g.vcount() < n:
        g.add_vertices(n - g.vcount())
    u = g.as_undirected(mode="each")
    u.simplify(multiple=True, loops=False)
    out["igraph"]["pagerank"] = timed(lambda: g.pagerank(damping=0.85, implementation="prpack"))
    out["igraph"]["wcc"] = timed(lambda: g.connected_components(mode="weak"))
    out["igraph"]["louvain"] = timed(lambda: u.community_multilevel())
    out["igraph"]["betweenness"] = timed(lambda: g.betweenness(directed=True, sources=sources))

    if with_nx:
        import networkx as nx
        import numpy as np

        edges = np.fromfile(path, dtype=np.int64, sep=" ").reshape(-1, 2)
        d = nx.DiGraph()
        d.add_nodes_from(range(n))
        d.add_edges_from(edges.tolist())
        und = d.to_undirected()

        def pagerank():
            try:
                nx.pagerank(d, alpha=0.85, max_iter=20, tol=1e-300)
            except nx.PowerIterationFailedConvergence:
                pass  # 20 iterations done, like the Rust run

        class Fixed(__import__("random").Random):
            def sample(self, population, k, **kw):
                return list(sources)

        out["networkx"]["pagerank"] = timed(pagerank)
        out["networkx"]["wcc"] = timed(lambda: nx.number_weakly_connected_components(d))
        out["networkx"]["louvain"] = timed(lambda: nx.community.louvain_communities(und, seed=0))
        out["networkx"]["betweenness"] = timed(lambda: nx.betweenness_centrality(d, k=len(sources), seed=Fixed(0)))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
