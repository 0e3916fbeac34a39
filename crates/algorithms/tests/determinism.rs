//! Every parallel or randomised kernel returns bit-identical results for the same seed whether it
//! runs on a 1-thread or a 4-thread rayon pool, and different results for a different seed where
//! the seed matters.

use graph_olap_algorithms::centrality::betweenness::{BetweennessConfig, betweenness};
use graph_olap_algorithms::centrality::closeness::closeness;
use graph_olap_algorithms::centrality::eigenvector::eigenvector;
use graph_olap_algorithms::centrality::katz::{KatzConfig, katz};
use graph_olap_algorithms::centrality::pagerank::{PageRankConfig, pagerank};
use graph_olap_algorithms::community::clustering::square_clustering;
use graph_olap_algorithms::community::label_propagation::{TieBreak, label_propagation};
use graph_olap_algorithms::community::leiden::{LeidenConfig, leiden};
use graph_olap_algorithms::community::louvain::{LouvainConfig, louvain};
use graph_olap_algorithms::community::triangles::triangles;
use graph_olap_algorithms::community::wcc::wcc;
use graph_olap_algorithms::fastrp::{FastRpConfig, fastrp};
use graph_olap_algorithms::generate::rmat;
use graph_olap_algorithms::paths::mst::minimum_spanning_forest;
use graph_olap_algorithms::similarity::{Metric, TopKConfig, top_k};
use graph_olap_algorithms::{BuildOptions, Cancel, Csr};

/// Debug-formatted results of every kernel (f64 `Debug` is exact, so equal strings = equal bits).
fn run_all(d: &Csr, u: &Csr, seed: u64) -> Vec<String> {
    let c = Cancel::never();
    let cfg = PageRankConfig {
        max_iterations: 20,
        ..Default::default()
    };
    vec![
        format!("{:?}", pagerank(d, &cfg, &c).unwrap()),
        format!(
            "{:?}",
            betweenness(
                d,
                &BetweennessConfig {
                    normalized: true,
                    k: Some(64),
                    seed
                },
                &c
            )
            .unwrap()
        ),
        format!("{:?}", closeness(d, true, &c).unwrap()),
        format!("{:?}", eigenvector(u, 50, 1e-9, &c).unwrap()),
        format!(
            "{:?}",
            katz(
                d,
                &KatzConfig {
                    alpha: 0.01,
                    ..Default::default()
                },
                &c
            )
            .unwrap()
        ),
        format!(
            "{:?}",
            louvain(
                u,
                &LouvainConfig {
                    seed,
                    ..Default::default()
                },
                &c
            )
            .unwrap()
        ),
        format!(
            "{:?}",
            leiden(
                u,
                &LeidenConfig {
                    seed,
                    ..Default::default()
                },
                &c
            )
            .unwrap()
        ),
        format!(
            "{:?}",
            label_propagation(u, 50, TieBreak::Seeded(seed), &c).unwrap()
        ),
        format!(
            "{:?}",
            fastrp(
                u,
                &FastRpConfig {
                    dimension: 8,
                    seed,
                    ..Default::default()
                },
                &c
            )
            .unwrap()
        ),
        format!("{:?}", wcc(d, &c).unwrap()),
        format!("{:?}", triangles(u, &c).unwrap()),
        format!("{:?}", square_clustering(u, &c).unwrap()),
        format!("{:?}", minimum_spanning_forest(u, &c).unwrap()),
        format!(
            "{:?}",
            top_k(
                u,
                Metric::AdamicAdar,
                &TopKConfig {
                    k: 5,
                    exclude_neighbors: true,
                    min_score: 0.0
                },
                &c
            )
            .unwrap()
        ),
    ]
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

#[test]
fn identical_results_on_one_and_four_threads() {
    let list = rmat(12, 30_000, 42);
    let d = Csr::directed(list.n, &list.edges, None, BuildOptions::SIMPLE).unwrap();
    let u = d.to_undirected(BuildOptions::SIMPLE);
    let one = in_pool(1, || run_all(&d, &u, 7));
    let four = in_pool(4, || run_all(&d, &u, 7));
    for (i, (a, b)) in one.iter().zip(&four).enumerate() {
        assert!(a == b, "kernel #{i} differs between 1 and 4 threads");
    }
    let other = in_pool(4, || run_all(&d, &u, 8));
    // Seeded kernels: betweenness sample, Louvain, Leiden, label propagation, FastRP.
    for i in [1, 5, 6, 8] {
        assert_ne!(one[i], other[i], "kernel #{i} ignores its seed");
    }
}

#[test]
fn csr_build_is_thread_count_independent() {
    let list = rmat(10, 20_000, 1);
    let a = in_pool(1, || {
        Csr::directed(list.n, &list.edges, None, BuildOptions::MULTI).unwrap()
    });
    let b = in_pool(4, || {
        Csr::directed(list.n, &list.edges, None, BuildOptions::MULTI).unwrap()
    });
    assert_eq!(a, b);
}
