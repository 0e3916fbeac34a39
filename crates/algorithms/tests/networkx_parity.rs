//! Parity of every kernel that has a NetworkX counterpart, on graphs with parallel edges,
//! self-loops, isolated nodes and several components.
//!
//! The graph is written to an edge-list file, `tests/reference/nx_reference.py` computes the
//! NetworkX (and igraph) values and prints JSON, and each test compares: scores to 1e-9, partitions
//! and integer results exactly, Louvain/Leiden/greedy modularity within 1 %. Python 3 with
//! networkx and scipy is required: the tests fail (they never skip) when it is missing.

use std::io::Write;
use std::process::Command;
use std::sync::OnceLock;

use graph_olap_algorithms::centrality::betweenness::{
    BetweennessConfig, betweenness, betweenness_with_sources,
};
use graph_olap_algorithms::centrality::closeness::closeness;
use graph_olap_algorithms::centrality::degree::degree_centrality;
use graph_olap_algorithms::centrality::eigenvector::eigenvector;
use graph_olap_algorithms::centrality::harmonic::harmonic;
use graph_olap_algorithms::centrality::katz::{KatzConfig, katz};
use graph_olap_algorithms::centrality::pagerank::{PageRankConfig, pagerank};
use graph_olap_algorithms::community::clustering::{
    average_clustering, clustering, density, square_clustering, transitivity,
};
use graph_olap_algorithms::community::greedy_modularity::greedy_modularity;
use graph_olap_algorithms::community::kcore::core_number;
use graph_olap_algorithms::community::label_propagation::{TieBreak, label_propagation};
use graph_olap_algorithms::community::leiden::{LeidenConfig, leiden};
use graph_olap_algorithms::community::louvain::{LouvainConfig, louvain};
use graph_olap_algorithms::community::scc::{scc_kosaraju, scc_tarjan};
use graph_olap_algorithms::community::triangles::triangles;
use graph_olap_algorithms::community::wcc::wcc;
use graph_olap_algorithms::generate::{EdgeList, bank_like, planted, uniform};
use graph_olap_algorithms::ids::groups;
use graph_olap_algorithms::paths::apsp::all_pairs;
use graph_olap_algorithms::paths::astar::astar;
use graph_olap_algorithms::paths::bellman_ford::bellman_ford;
use graph_olap_algorithms::paths::bfs::{UNREACHED, bfs};
use graph_olap_algorithms::paths::dijkstra::dijkstra;
use graph_olap_algorithms::paths::mst::minimum_spanning_forest;
use graph_olap_algorithms::paths::shortest_path::shortest_path;
use graph_olap_algorithms::similarity::{Metric, pair_scores};
use graph_olap_algorithms::{BuildOptions, Cancel, Csr, Direction};
use serde_json::Value;

/// One test graph with its views and the reference values.
struct Case {
    name: &'static str,
    /// NetworkX `DiGraph` semantics.
    d: Csr,
    /// `d` with weights.
    dw: Csr,
    /// `G.to_undirected()`.
    u: Csr,
    /// Weighted undirected view.
    uw: Csr,
    sources: Vec<u32>,
    reference: Value,
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn reference(list: &EdgeList, sources: &[u32]) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("graph.txt");
    let mut f = std::fs::File::create(&path).expect("edge file");
    writeln!(f, "{}", list.n).unwrap();
    for (&(u, v), w) in list.edges.iter().zip(&list.weights) {
        writeln!(f, "{u} {v} {w}").unwrap();
    }
    drop(f);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/nx_reference.py"
    );
    let src: Vec<String> = sources.iter().map(u32::to_string).collect();
    let out = Command::new(python()).arg(script).arg(&path).arg(src.join(",")).output().unwrap_or_else(|e| {
        panic!("cannot run `{}` ({e}): the NetworkX parity tests need Python 3 with `pip install networkx scipy numpy igraph`", python())
    });
    assert!(
        out.status.success(),
        "reference script failed (install with `pip install networkx scipy numpy igraph`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reference JSON")
}

fn make(name: &'static str, list: EdgeList, sources: Vec<u32>) -> Case {
    let reference = reference(&list, &sources);
    let d = Csr::directed(list.n, &list.edges, None, BuildOptions::SIMPLE).unwrap();
    let dw = Csr::directed(
        list.n,
        &list.edges,
        Some(&list.weights),
        BuildOptions::SIMPLE,
    )
    .unwrap();
    let u = d.to_undirected(BuildOptions::SIMPLE);
    let uw = dw.to_undirected(BuildOptions::SIMPLE);
    Case {
        name,
        d,
        dw,
        u,
        uw,
        sources,
        reference,
    }
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        vec![
            make("planted", planted(4, 30, 11), vec![0, 5, 17, 40, 99, 121]),
            make("uniform", uniform(150, 450, 3), vec![1, 2, 3, 50, 149]),
            make("bank", bank_like(60, 5), vec![0, 70, 100, 150]),
        ]
    })
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected array, got {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn parts(v: &Value) -> Vec<Vec<u32>> {
    serde_json::from_value(v.clone()).expect("partition")
}

#[track_caller]
fn close(case: &str, what: &str, ours: &[f64], theirs: &[f64]) {
    assert_eq!(ours.len(), theirs.len(), "{case}/{what}: length");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{case}/{what}: node {i}: ours {a} vs networkx {b}"
        );
    }
}

fn ints_as_f64(v: &[i64]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

#[test]
fn pagerank_matches_networkx() {
    let c = Cancel::never();
    for k in cases() {
        let r = pagerank(&k.d, &PageRankConfig::default(), &c).unwrap();
        match &k.reference["pagerank"] {
            Value::Null => assert!(!r.converged, "{}: networkx did not converge", k.name),
            v => close(k.name, "pagerank", &r.scores, &floats(v)),
        }
        let cfg = PageRankConfig {
            damping: 0.9,
            max_iterations: 200,
            tolerance: 1e-8,
            personalization: None,
        };
        close(
            k.name,
            "pagerank_u",
            &pagerank(&k.u, &cfg, &c).unwrap().scores,
            &floats(&k.reference["pagerank_u"]),
        );
        let pers: Vec<f64> = (0..k.d.node_count())
            .map(|v| if v % 3 == 0 { 1.0 } else { 0.0 })
            .collect();
        let cfg = PageRankConfig {
            damping: 0.85,
            max_iterations: 200,
            tolerance: 1e-9,
            personalization: Some(pers),
        };
        close(
            k.name,
            "personalized",
            &pagerank(&k.d, &cfg, &c).unwrap().scores,
            &floats(&k.reference["pagerank_personalized"]),
        );
        // Weighted: shares by out-strength, gathered through the weighted pull layout.
        let cfg = PageRankConfig {
            damping: 0.85,
            max_iterations: 200,
            tolerance: 1e-10,
            personalization: None,
        };
        close(
            k.name,
            "pagerank_weighted",
            &pagerank(&k.dw, &cfg, &c).unwrap().scores,
            &floats(&k.reference["pagerank_weighted"]),
        );
        close(
            k.name,
            "pagerank_weighted_u",
            &pagerank(&k.uw, &cfg, &c).unwrap().scores,
            &floats(&k.reference["pagerank_weighted_u"]),
        );
    }
}

#[test]
fn degree_centrality_matches_networkx() {
    for k in cases() {
        let r = &k.reference;
        close(
            k.name,
            "degree",
            &degree_centrality(&k.d, Direction::Both),
            &floats(&r["degree_centrality"]),
        );
        close(
            k.name,
            "in_degree",
            &degree_centrality(&k.d, Direction::In),
            &floats(&r["in_degree_centrality"]),
        );
        close(
            k.name,
            "out_degree",
            &degree_centrality(&k.d, Direction::Out),
            &floats(&r["out_degree_centrality"]),
        );
        close(
            k.name,
            "degree_u",
            &degree_centrality(&k.u, Direction::Both),
            &floats(&r["degree_centrality_u"]),
        );
    }
}

#[test]
fn closeness_and_harmonic_match_networkx() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        close(
            k.name,
            "closeness",
            &closeness(&k.d, true, &c).unwrap(),
            &floats(&r["closeness"]),
        );
        close(
            k.name,
            "closeness_nowf",
            &closeness(&k.d, false, &c).unwrap(),
            &floats(&r["closeness_nowf"]),
        );
        close(
            k.name,
            "closeness_u",
            &closeness(&k.u, true, &c).unwrap(),
            &floats(&r["closeness_u"]),
        );
        close(
            k.name,
            "harmonic",
            &harmonic(&k.d, &c).unwrap(),
            &floats(&r["harmonic"]),
        );
        close(
            k.name,
            "harmonic_u",
            &harmonic(&k.u, &c).unwrap(),
            &floats(&r["harmonic_u"]),
        );
    }
}

#[test]
fn betweenness_matches_networkx() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        let norm = BetweennessConfig {
            normalized: true,
            ..Default::default()
        };
        let raw = BetweennessConfig {
            normalized: false,
            ..Default::default()
        };
        close(
            k.name,
            "betweenness",
            &betweenness(&k.d, &norm, &c).unwrap(),
            &floats(&r["betweenness"]),
        );
        close(
            k.name,
            "betweenness_raw",
            &betweenness(&k.d, &raw, &c).unwrap(),
            &floats(&r["betweenness_raw"]),
        );
        close(
            k.name,
            "betweenness_u",
            &betweenness(&k.u, &raw, &c).unwrap(),
            &floats(&r["betweenness_u"]),
        );
        let s = betweenness_with_sources(&k.d, &k.sources, true, &c).unwrap();
        close(
            k.name,
            "betweenness_sampled",
            &s,
            &floats(&r["betweenness_sampled"]),
        );
        let s = betweenness_with_sources(&k.u, &k.sources, false, &c).unwrap();
        close(
            k.name,
            "betweenness_sampled_u_raw",
            &s,
            &floats(&r["betweenness_sampled_u_raw"]),
        );
    }
}

#[test]
fn eigenvector_and_katz_match_networkx() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        for (g, key) in [(&k.u, "eigenvector_u"), (&k.d, "eigenvector")] {
            let e = eigenvector(g, 1000, 1e-9, &c).unwrap();
            match &r[key] {
                Value::Null => assert!(
                    !e.converged,
                    "{}/{key}: networkx did not converge but we did",
                    k.name
                ),
                v => {
                    assert!(e.converged, "{}/{key}", k.name);
                    close(k.name, key, &e.scores, &floats(v));
                }
            }
        }
        let cfg = KatzConfig {
            alpha: 0.05,
            beta: 1.0,
            max_iter: 1000,
            tol: 1e-10,
            normalized: true,
        };
        close(
            k.name,
            "katz",
            &katz(&k.d, &cfg, &c).unwrap().scores,
            &floats(&r["katz"]),
        );
        let cfg = KatzConfig {
            beta: 0.5,
            normalized: false,
            ..cfg
        };
        close(
            k.name,
            "katz_raw",
            &katz(&k.d, &cfg, &c).unwrap().scores,
            &floats(&r["katz_raw"]),
        );
    }
}

#[test]
fn components_match_networkx_exactly() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        let w = wcc(&k.d, &c).unwrap();
        assert_eq!(groups(&w.component), parts(&r["wcc"]), "{}: wcc", k.name);
        let t = scc_tarjan(&k.d, &c).unwrap();
        assert_eq!(groups(&t.component), parts(&r["scc"]), "{}: scc", k.name);
        let ko = scc_kosaraju(&k.d, &c).unwrap();
        assert_eq!(
            groups(&ko.component),
            parts(&r["kosaraju"]),
            "{}: kosaraju",
            k.name
        );
        assert_eq!(ko, t, "{}: tarjan and kosaraju ids", k.name);
        assert_eq!(
            wcc(&k.u, &c).unwrap().count as u64,
            r["number_connected_components"].as_u64().unwrap()
        );
        // Native ids: the smallest member of each component.
        for (v, &id) in w.component.iter().enumerate() {
            assert!(id as usize <= v && w.component[id as usize] == id);
        }
    }
}

#[test]
fn cores_triangles_and_clustering_match_networkx() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        assert_eq!(
            ints_as_f64(&core_number(&k.u, &c).unwrap()),
            floats(&r["core_number"]),
            "{}: core_number",
            k.name
        );
        let t = triangles(&k.u, &c).unwrap();
        let per: Vec<f64> = t.per_node.iter().map(|&x| x as f64).collect();
        assert_eq!(per, floats(&r["triangles"]), "{}: triangles", k.name);
        close(
            k.name,
            "clustering",
            &clustering(&k.u, &c).unwrap(),
            &floats(&r["clustering"]),
        );
        close(
            k.name,
            "square_clustering",
            &square_clustering(&k.u, &c).unwrap(),
            &floats(&r["square_clustering"]),
        );
        close(
            k.name,
            "average_clustering",
            &[average_clustering(&k.u, &c).unwrap()],
            &[r["average_clustering"].as_f64().unwrap()],
        );
        close(
            k.name,
            "transitivity",
            &[transitivity(&k.u, &c).unwrap()],
            &[r["transitivity"].as_f64().unwrap()],
        );
        close(
            k.name,
            "density",
            &[density(&k.d)],
            &[r["density"].as_f64().unwrap()],
        );
        close(
            k.name,
            "density_u",
            &[density(&k.u)],
            &[r["density_u"].as_f64().unwrap()],
        );
    }
}

#[test]
fn label_propagation_matches_networkx_exactly() {
    let c = Cancel::never();
    for k in cases() {
        let r = label_propagation(&k.u, 10_000, TieBreak::Largest, &c).unwrap();
        assert!(r.converged);
        assert_eq!(
            groups(&r.community),
            parts(&k.reference["label_propagation"]),
            "{}",
            k.name
        );
    }
}

#[test]
fn modularity_based_communities_are_within_one_percent() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        let best_louvain = (0..3)
            .map(|seed| {
                louvain(
                    &k.u,
                    &LouvainConfig {
                        seed,
                        ..Default::default()
                    },
                    &c,
                )
                .unwrap()
                .modularity
            })
            .fold(f64::MIN, f64::max);
        let nx = r["louvain_modularity"].as_f64().unwrap();
        assert!(
            best_louvain >= 0.99 * nx,
            "{}: louvain {best_louvain} vs networkx {nx}",
            k.name
        );
        let half = (0..3)
            .map(|seed| {
                louvain(
                    &k.u,
                    &LouvainConfig {
                        resolution: 0.5,
                        seed,
                        ..Default::default()
                    },
                    &c,
                )
                .unwrap()
                .modularity
            })
            .fold(f64::MIN, f64::max);
        let nx_half = r["louvain_modularity_r05"].as_f64().unwrap();
        assert!(
            half >= 0.99 * nx_half,
            "{}: louvain γ=0.5 {half} vs {nx_half}",
            k.name
        );
        let l = leiden(&k.u, &LeidenConfig::default(), &c)
            .unwrap()
            .modularity;
        let target = r["igraph_leiden_modularity"].as_f64().unwrap_or_else(|| {
            eprintln!("python-igraph missing: comparing Leiden with NetworkX Louvain instead");
            nx
        });
        assert!(
            l >= 0.99 * target,
            "{}: leiden {l} vs igraph {target}",
            k.name
        );
        eprintln!(
            "{}: louvain {best_louvain:.4} (networkx {nx:.4}), γ=0.5 {half:.4} ({nx_half:.4}), leiden {l:.4} (igraph {target:.4})",
            k.name
        );
        let g = greedy_modularity(&k.u, 1.0, &c).unwrap().modularity;
        let nx_g = r["greedy_modularity"].as_f64().unwrap();
        eprintln!("{}: greedy {g:.4} (networkx {nx_g:.4})", k.name);
        assert!(
            (g - nx_g).abs() <= 0.01 * nx_g.abs(),
            "{}: greedy {g} vs networkx {nx_g}",
            k.name
        );
    }
}

fn lengths(d: &[f64]) -> Vec<f64> {
    d.iter()
        .map(|&x| if x.is_finite() { x } else { -1.0 })
        .collect()
}

#[test]
fn paths_match_networkx() {
    let c = Cancel::never();
    for k in cases() {
        let r = &k.reference;
        let b = bfs(&k.d, 0, Direction::Out, None, &c).unwrap();
        let bl: Vec<f64> = b
            .distance
            .iter()
            .map(|&x| if x == UNREACHED { -1.0 } else { f64::from(x) })
            .collect();
        assert_eq!(bl, floats(&r["bfs_lengths_0"]), "{}: bfs", k.name);
        let b = bfs(&k.d, 0, Direction::Out, Some(2), &c).unwrap();
        let bl: Vec<f64> = b
            .distance
            .iter()
            .map(|&x| if x == UNREACHED { -1.0 } else { f64::from(x) })
            .collect();
        assert_eq!(
            bl,
            floats(&r["bfs_lengths_0_cut2"]),
            "{}: bfs cutoff",
            k.name
        );
        close(
            k.name,
            "dijkstra",
            &lengths(
                &dijkstra(&k.dw, 0, None, Direction::Out, &c)
                    .unwrap()
                    .distance,
            ),
            &floats(&r["dijkstra_0"]),
        );
        close(
            k.name,
            "dijkstra_u",
            &lengths(
                &dijkstra(&k.uw, 3, None, Direction::Both, &c)
                    .unwrap()
                    .distance,
            ),
            &floats(&r["dijkstra_u_3"]),
        );
        close(
            k.name,
            "bellman_ford",
            &lengths(&bellman_ford(&k.dw, 0, Direction::Out, &c).unwrap().distance),
            &floats(&r["bellman_ford_0"]),
        );
        let mst = minimum_spanning_forest(&k.uw, &c).unwrap();
        close(
            k.name,
            "mst",
            &[mst.total_weight],
            &[r["mst_weight"].as_f64().unwrap()],
        );
        let apsp = all_pairs(&k.d, Some(2.0), Direction::Out, usize::MAX, &c).unwrap();
        assert_eq!(
            apsp.iter().map(Vec::len).sum::<usize>() as u64,
            r["apsp_cut2_pairs"].as_u64().unwrap()
        );
        let last = k.d.n() - 1;
        let a = astar(&k.dw, 0, last, Direction::Out, |_| 0.0, &c)
            .unwrap()
            .map(|p| p.cost);
        assert_eq!(
            a.is_some(),
            !r["astar_cost_0_last"].is_null(),
            "{}: astar reachability",
            k.name
        );
        if let Some(cost) = a {
            close(
                k.name,
                "astar",
                &[cost],
                &[r["astar_cost_0_last"].as_f64().unwrap()],
            );
        }
        for (key, expected) in r["lex_paths"].as_object().unwrap() {
            let f: Vec<&str> = key.split(':').collect();
            let (dir, s, t) = (
                f[0],
                f[1].parse::<u32>().unwrap(),
                f[2].parse::<u32>().unwrap(),
            );
            let (g, direction) = if dir == "out" {
                (&k.d, Direction::Out)
            } else {
                (&k.d, Direction::Both)
            };
            let p = shortest_path(g, s, t, None, direction, &c).unwrap();
            let want: Option<Vec<u32>> = serde_json::from_value(expected.clone()).unwrap();
            assert_eq!(p.found, want.is_some(), "{}: path {key}", k.name);
            if let Some(w) = want {
                assert_eq!(p.path, w, "{}: path {key}", k.name);
                assert_eq!(p.length, Some(p.path.len() - 1));
            }
        }
    }
}

#[test]
fn link_prediction_matches_networkx() {
    for k in cases() {
        let r = &k.reference;
        let pairs: Vec<(u32, u32)> = serde_json::from_value(r["pairs"].clone()).unwrap();
        for (metric, key) in [
            (Metric::Jaccard, "jaccard"),
            (Metric::AdamicAdar, "adamic_adar"),
            (Metric::ResourceAllocation, "resource_allocation"),
            (Metric::PreferentialAttachment, "preferential_attachment"),
            (Metric::CommonNeighbors, "common_neighbors"),
        ] {
            close(
                k.name,
                key,
                &pair_scores(&k.u, metric, &pairs),
                &floats(&r[key]),
            );
        }
    }
}
