//! The natively computed part of the NetworkX-compatible catalogue (API.md §10.12): NetworkX
//! function names, parameter names and defaults, computed by our kernels on the projection as a
//! NetworkX `DiGraph` (parallel edges collapsed, self-loops kept) or its undirected view.
//! Parameters NetworkX has but we do not support (`weight`, `endpoints`, `nstart`, …) are not
//! accepted by these entries, so validation refuses them instead of silently ignoring them (the
//! instance server then runs the real NetworkX function in its worker instead). `seed: null` means seed 0 (deterministic),
//! where NetworkX would draw a random one.

use std::sync::OnceLock;

use crate::catalogue::types::build::{boolean, float, int, opt_int, seed};
use crate::catalogue::types::{
    AlgorithmInfo, AlgorithmType, Category, GraphTreatment, Kernel, Param, ResultKind, ResultType,
};

const MIN: u64 = 60_000;

/// Well-known NetworkX algorithm names that are deliberately refused, with the reason, so the
/// server can answer `404 ALGORITHM_NOT_FOUND` with an explanation instead of guessing. Empty:
/// every NetworkX function that takes one graph runs — natively when this catalogue has it,
/// otherwise in real NetworkX in the instance's worker process under the execution's timeout and
/// memory bound (dense-matrix functions included; the memory bound is what stops them).
pub const NETWORKX_UNAVAILABLE: &[(&str, &str)] = &[];

#[allow(clippy::too_many_arguments)] // one row of the catalogue table
fn entry(
    name: &'static str,
    display_name: &'static str,
    category: Category,
    description: &'static str,
    parameters: Vec<Param>,
    returns: &'static str,
    result_kind: ResultKind,
    result_type: Option<ResultType>,
    graph_treatment: GraphTreatment,
    default_timeout_ms: u64,
    kernel: Kernel,
) -> AlgorithmInfo {
    AlgorithmInfo {
        name,
        display_name,
        algorithm_type: AlgorithmType::Networkx,
        category,
        description,
        long_description: Some(
            "Computed natively with NetworkX semantics; parity with NetworkX is tested to 1e-9.",
        ),
        parameters,
        returns,
        result_kind,
        result_type,
        graph_treatment,
        supports_write_back: matches!(result_kind, ResultKind::NodeValues | ResultKind::Partition),
        default_timeout_ms,
        kernel,
    }
}

#[allow(clippy::too_many_arguments)] // one row of the catalogue table
fn node_values(
    name: &'static str,
    display: &'static str,
    cat: Category,
    desc: &'static str,
    params: Vec<Param>,
    ty: ResultType,
    g: GraphTreatment,
    timeout: u64,
    k: Kernel,
) -> AlgorithmInfo {
    entry(
        name,
        display,
        cat,
        desc,
        params,
        desc,
        ResultKind::NodeValues,
        Some(ty),
        g,
        timeout,
        k,
    )
}

fn scalar(
    name: &'static str,
    display: &'static str,
    cat: Category,
    desc: &'static str,
    g: GraphTreatment,
    k: Kernel,
) -> AlgorithmInfo {
    entry(
        name,
        display,
        cat,
        desc,
        vec![],
        "a single number (result.value)",
        ResultKind::Scalar,
        None,
        g,
        5 * MIN,
        k,
    )
}

fn partition(
    name: &'static str,
    display: &'static str,
    desc: &'static str,
    params: Vec<Param>,
    g: GraphTreatment,
    timeout: u64,
    k: Kernel,
) -> AlgorithmInfo {
    entry(
        name,
        display,
        Category::Community,
        desc,
        params,
        "community index 0…k−1 ordered by smallest member _id",
        ResultKind::Partition,
        Some(ResultType::Int64),
        g,
        timeout,
        k,
    )
}

fn build() -> Vec<AlgorithmInfo> {
    use Category::*;
    use GraphTreatment::*;
    use ResultType::*;
    let max_iter = |d: i64| {
        int("max_iter", d, "Maximum number of iterations").range(Some(1.0), Some(100_000.0))
    };
    let tol = || float("tol", 1e-6, "Error tolerance used to check convergence").above(0.0);
    let mut v = vec![
        node_values(
            "degree_centrality",
            "Degree centrality",
            Centrality,
            "Degree divided by n − 1",
            vec![],
            Double,
            Directed,
            MIN,
            Kernel::DegreeCentrality,
        ),
        node_values(
            "in_degree_centrality",
            "In-degree centrality",
            Centrality,
            "In-degree divided by n − 1",
            vec![],
            Double,
            Directed,
            MIN,
            Kernel::InDegreeCentrality,
        ),
        node_values(
            "out_degree_centrality",
            "Out-degree centrality",
            Centrality,
            "Out-degree divided by n − 1",
            vec![],
            Double,
            Directed,
            MIN,
            Kernel::OutDegreeCentrality,
        ),
        node_values(
            "betweenness_centrality",
            "Betweenness centrality",
            Centrality,
            "Shortest-path betweenness centrality (k sampled sources when k is set)",
            vec![
                opt_int("k", "Number of sampled source nodes (null = all)").range(Some(1.0), None),
                boolean("normalized", true, "Normalise by the number of node pairs"),
                seed(true),
            ],
            Double,
            Directed,
            30 * MIN,
            Kernel::Betweenness,
        ),
        node_values(
            "closeness_centrality",
            "Closeness centrality",
            Centrality,
            "Closeness centrality (incoming distances on directed graphs)",
            vec![boolean(
                "wf_improved",
                true,
                "Wasserman–Faust scaling for disconnected graphs",
            )],
            Double,
            Directed,
            30 * MIN,
            Kernel::Closeness,
        ),
        node_values(
            "harmonic_centrality",
            "Harmonic centrality",
            Centrality,
            "Sum of reciprocal distances to the node",
            vec![],
            Double,
            Directed,
            30 * MIN,
            Kernel::Harmonic,
        ),
        node_values(
            "eigenvector_centrality",
            "Eigenvector centrality",
            Centrality,
            "Eigenvector centrality (fails if power iteration does not converge in max_iter)",
            vec![max_iter(100), tol()],
            Double,
            Directed,
            5 * MIN,
            Kernel::Eigenvector,
        ),
        node_values(
            "katz_centrality",
            "Katz centrality",
            Centrality,
            "Katz centrality (fails if it does not converge in max_iter)",
            vec![
                float("alpha", 0.1, "Attenuation factor").above(0.0),
                float(
                    "beta",
                    1.0,
                    "Weight attributed to the immediate neighbourhood",
                ),
                max_iter(1000),
                tol(),
                boolean("normalized", true, "Normalise to unit Euclidean norm"),
            ],
            Double,
            Directed,
            5 * MIN,
            Kernel::Katz,
        ),
        node_values(
            "pagerank",
            "PageRank",
            Centrality,
            "PageRank (fails if it does not converge in max_iter)",
            vec![
                float("alpha", 0.85, "Damping parameter")
                    .above(0.0)
                    .below(1.0),
                max_iter(100),
                tol(),
            ],
            Double,
            Directed,
            5 * MIN,
            Kernel::PageRank,
        ),
        node_values(
            "clustering",
            "Clustering coefficient",
            Clustering,
            "Local clustering coefficient",
            vec![],
            Double,
            Undirected,
            10 * MIN,
            Kernel::LocalClustering,
        ),
        node_values(
            "square_clustering",
            "Square clustering",
            Clustering,
            "Squares clustering coefficient",
            vec![],
            Double,
            Undirected,
            30 * MIN,
            Kernel::SquareClustering,
        ),
        node_values(
            "triangles",
            "Triangles",
            Clustering,
            "Number of triangles through the node",
            vec![],
            Int64,
            Undirected,
            10 * MIN,
            Kernel::TriangleCount,
        ),
        node_values(
            "core_number",
            "Core number",
            Community,
            "Core number (self-loops ignored)",
            vec![],
            Int64,
            Undirected,
            5 * MIN,
            Kernel::KCore,
        ),
        scalar(
            "average_clustering",
            "Average clustering",
            Clustering,
            "Mean local clustering coefficient",
            Undirected,
            Kernel::AverageClustering,
        ),
        scalar(
            "transitivity",
            "Transitivity",
            Clustering,
            "Fraction of connected triples that are triangles",
            Undirected,
            Kernel::Transitivity,
        ),
        scalar(
            "density",
            "Density",
            Other,
            "Edges divided by possible edges",
            Directed,
            Kernel::Density,
        ),
        scalar(
            "number_connected_components",
            "Number of connected components",
            Community,
            "Number of connected components",
            Undirected,
            Kernel::NumberConnectedComponents,
        ),
        scalar(
            "number_strongly_connected_components",
            "Number of strongly connected components",
            Community,
            "Number of strongly connected components",
            Directed,
            Kernel::NumberStronglyConnectedComponents,
        ),
        scalar(
            "number_weakly_connected_components",
            "Number of weakly connected components",
            Community,
            "Number of weakly connected components",
            Directed,
            Kernel::NumberWeaklyConnectedComponents,
        ),
        partition(
            "connected_components",
            "Connected components",
            "Connected components",
            vec![],
            Undirected,
            5 * MIN,
            Kernel::ConnectedComponents,
        ),
        partition(
            "weakly_connected_components",
            "Weakly connected components",
            "Weakly connected components",
            vec![],
            Directed,
            5 * MIN,
            Kernel::Wcc,
        ),
        partition(
            "strongly_connected_components",
            "Strongly connected components",
            "Strongly connected components (Tarjan)",
            vec![],
            Directed,
            5 * MIN,
            Kernel::Scc,
        ),
        partition(
            "kosaraju_strongly_connected_components",
            "Strongly connected components (Kosaraju)",
            "Strongly connected components (Kosaraju)",
            vec![],
            Directed,
            5 * MIN,
            Kernel::SccKosaraju,
        ),
        partition(
            "louvain_communities",
            "Louvain communities",
            "Louvain modularity communities",
            vec![
                float("resolution", 1.0, "Resolution γ").above(0.0),
                float(
                    "threshold",
                    1e-7,
                    "Minimum modularity gain for another level",
                )
                .range(Some(0.0), None),
                opt_int("max_level", "Maximum number of levels (null = no limit)")
                    .range(Some(1.0), None),
                seed(true),
            ],
            Undirected,
            10 * MIN,
            Kernel::Louvain,
        ),
        partition(
            "label_propagation_communities",
            "Label propagation communities",
            "Semi-synchronous label propagation communities",
            vec![],
            Undirected,
            5 * MIN,
            Kernel::LabelPropagation,
        ),
        partition(
            "greedy_modularity_communities",
            "Greedy modularity communities",
            "Clauset–Newman–Moore greedy modularity communities",
            vec![float("resolution", 1.0, "Resolution γ").above(0.0)],
            Undirected,
            30 * MIN,
            Kernel::GreedyModularity,
        ),
    ];
    v.sort_by_key(|a| a.name);
    v
}

/// The NetworkX-compatible catalogue, sorted by name.
pub fn networkx_catalogue() -> &'static [AlgorithmInfo] {
    static CATALOGUE: OnceLock<Vec<AlgorithmInfo>> = OnceLock::new();
    CATALOGUE.get_or_init(build)
}
