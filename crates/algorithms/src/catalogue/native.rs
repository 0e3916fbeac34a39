//! The native catalogue (API.md §10.10 plus extras). All entries use unweighted edges; parallel
//! relationships collapse except for `degree`, which counts relationships.

use std::sync::OnceLock;

use crate::catalogue::types::build::{boolean, choice, float, int, opt_int, seed};
use crate::catalogue::types::{
    AlgorithmInfo, AlgorithmType, Category, GraphTreatment, Kernel, Param, ResultKind, ResultType,
};

const MIN: u64 = 60_000;

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
        algorithm_type: AlgorithmType::Native,
        category,
        description,
        long_description: None,
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

fn max_iterations_ignored() -> Param {
    int(
        "max_iterations",
        20,
        "Accepted for compatibility and ignored (the algorithm is exact)",
    )
    .range(Some(1.0), Some(1000.0))
}

fn build() -> Vec<AlgorithmInfo> {
    use Category::*;
    use GraphTreatment::*;
    use ResultKind::*;
    use ResultType::*;
    let mut v = vec![
        entry(
            "pagerank",
            "PageRank",
            Centrality,
            "PageRank score of every node (random-surfer importance along edge direction)",
            vec![
                float(
                    "damping_factor",
                    0.85,
                    "Probability of following an edge rather than teleporting",
                )
                .above(0.0)
                .below(1.0),
                int("max_iterations", 20, "Maximum power iterations")
                    .range(Some(1.0), Some(1000.0)),
                float(
                    "tolerance",
                    1e-7,
                    "Stop when the L1 change falls below n × tolerance",
                )
                .above(0.0),
            ],
            "PageRank score (sums to 1)",
            NodeValues,
            Some(Double),
            Directed,
            5 * MIN,
            Kernel::PageRank,
        ),
        entry(
            "betweenness",
            "Betweenness centrality",
            Centrality,
            "Fraction of shortest paths passing through each node (exact Brandes, or sampled sources)",
            vec![
                boolean("normalized", true, "Divide by the number of node pairs"),
                opt_int(
                    "sample_size",
                    "Number of sampled source nodes (null = exact); alias `k`",
                )
                .range(Some(1.0), Some(10_000.0))
                .alias("k"),
                seed(false),
            ],
            "betweenness centrality",
            NodeValues,
            Some(Double),
            Directed,
            30 * MIN,
            Kernel::Betweenness,
        ),
        entry(
            "degree",
            "Degree",
            Centrality,
            "Number of relationships of each node (parallel relationships each count)",
            vec![choice(
                "direction",
                "both",
                &["in", "out", "both"],
                "Which relationships to count",
            )],
            "degree",
            NodeValues,
            Some(Int64),
            Directed,
            MIN,
            Kernel::Degree,
        ),
        entry(
            "wcc",
            "Weakly connected components",
            Community,
            "Connected components ignoring edge direction; id = smallest member _id",
            vec![max_iterations_ignored()],
            "component id (smallest member _id)",
            Partition,
            Some(Int64),
            Undirected,
            5 * MIN,
            Kernel::Wcc,
        ),
        entry(
            "scc",
            "Strongly connected components",
            Community,
            "Strongly connected components (Tarjan); id = smallest member _id",
            vec![max_iterations_ignored()],
            "component id (smallest member _id)",
            Partition,
            Some(Int64),
            Directed,
            5 * MIN,
            Kernel::Scc,
        ),
        entry(
            "scc_kosaraju",
            "Strongly connected components (Kosaraju)",
            Community,
            "Strongly connected components by Kosaraju's algorithm; same ids as scc",
            vec![],
            "component id (smallest member _id)",
            Partition,
            Some(Int64),
            Directed,
            5 * MIN,
            Kernel::SccKosaraju,
        ),
        entry(
            "louvain",
            "Louvain communities",
            Community,
            "Modularity-maximising communities (Louvain); id = smallest member _id",
            vec![
                float(
                    "resolution",
                    1.0,
                    "Resolution γ; below 1 favours larger communities",
                )
                .above(0.0),
                int("max_phases", 20, "Maximum aggregation phases").range(Some(1.0), Some(100.0)),
                int(
                    "max_iterations",
                    20,
                    "Maximum local-moving sweeps per phase",
                )
                .range(Some(1.0), Some(1000.0)),
                seed(false),
            ],
            "community id (smallest member _id)",
            Partition,
            Some(Int64),
            Undirected,
            10 * MIN,
            Kernel::Louvain,
        ),
        entry(
            "label_propagation",
            "Label propagation",
            Community,
            "Semi-synchronous label propagation communities; id = smallest member _id",
            vec![
                int("max_iterations", 100, "Maximum sweeps").range(Some(1.0), Some(1000.0)),
                seed(false),
            ],
            "community id (smallest member _id)",
            Partition,
            Some(Int64),
            Undirected,
            5 * MIN,
            Kernel::LabelPropagation,
        ),
        entry(
            "kcore",
            "k-core decomposition",
            Community,
            "Core number of every node (largest k such that the node is in a k-core)",
            vec![],
            "core number",
            NodeValues,
            Some(Int64),
            Undirected,
            5 * MIN,
            Kernel::KCore,
        ),
        entry(
            "triangle_count",
            "Triangle count",
            Clustering,
            "Number of triangles through each node",
            vec![],
            "triangles through the node",
            NodeValues,
            Some(Int64),
            Undirected,
            10 * MIN,
            Kernel::TriangleCount,
        ),
        // Extras.
        entry(
            "leiden",
            "Leiden communities",
            Community,
            "Well-connected modularity communities (Leiden); id = smallest member _id",
            vec![
                float("resolution", 1.0, "Resolution γ").above(0.0),
                int("max_iterations", 10, "Maximum Leiden passes").range(Some(1.0), Some(1000.0)),
                seed(false),
            ],
            "community id (smallest member _id)",
            Partition,
            Some(Int64),
            Undirected,
            10 * MIN,
            Kernel::Leiden,
        ),
        entry(
            "closeness",
            "Closeness centrality",
            Centrality,
            "Inverse mean distance from the nodes that reach each node (Wasserman–Faust scaled)",
            vec![boolean(
                "wf_improved",
                true,
                "Scale by the fraction of nodes reached",
            )],
            "closeness centrality",
            NodeValues,
            Some(Double),
            Directed,
            30 * MIN,
            Kernel::Closeness,
        ),
        entry(
            "harmonic",
            "Harmonic centrality",
            Centrality,
            "Sum of inverse distances from all other nodes",
            vec![],
            "harmonic centrality",
            NodeValues,
            Some(Double),
            Directed,
            30 * MIN,
            Kernel::Harmonic,
        ),
        entry(
            "eigenvector",
            "Eigenvector centrality",
            Centrality,
            "Eigenvector centrality by power iteration",
            vec![
                int("max_iterations", 100, "Maximum power iterations")
                    .range(Some(1.0), Some(10_000.0)),
                float("tolerance", 1e-6, "Per-node convergence tolerance").above(0.0),
            ],
            "eigenvector centrality (unit norm)",
            NodeValues,
            Some(Double),
            Directed,
            5 * MIN,
            Kernel::Eigenvector,
        ),
        entry(
            "katz",
            "Katz centrality",
            Centrality,
            "Katz centrality: attenuated count of walks ending at each node",
            vec![
                float("alpha", 0.1, "Attenuation factor (must be below 1/λmax)").above(0.0),
                float("beta", 1.0, "Baseline weight of every node"),
                int("max_iterations", 1000, "Maximum iterations").range(Some(1.0), Some(100_000.0)),
                float("tolerance", 1e-6, "Per-node convergence tolerance").above(0.0),
                boolean("normalized", true, "Normalise to unit Euclidean norm"),
            ],
            "Katz centrality",
            NodeValues,
            Some(Double),
            Directed,
            5 * MIN,
            Kernel::Katz,
        ),
        entry(
            "local_clustering_coefficient",
            "Local clustering coefficient",
            Clustering,
            "Fraction of each node's neighbour pairs that are connected",
            vec![],
            "local clustering coefficient",
            NodeValues,
            Some(Double),
            Undirected,
            10 * MIN,
            Kernel::LocalClustering,
        ),
        entry(
            "fastrp",
            "FastRP embeddings",
            Other,
            "Fast random-projection node embeddings (returned as JSON, not written back)",
            vec![
                int("embedding_dimension", 64, "Embedding size").range(Some(1.0), Some(1024.0)),
                int("iterations", 3, "Propagation steps (weights 0, 1, 1, …)")
                    .range(Some(1.0), Some(20.0)),
                float(
                    "normalization_strength",
                    0.0,
                    "Degree normalisation exponent β",
                )
                .range(Some(-1.0), Some(1.0)),
                seed(false),
            ],
            "embedding vectors per node",
            Json,
            None,
            Undirected,
            10 * MIN,
            Kernel::FastRp,
        ),
        entry(
            "node_similarity",
            "Node similarity / link prediction",
            Similarity,
            "Top-k most similar nodes per node by a neighbourhood metric (returned as JSON)",
            vec![
                choice(
                    "metric",
                    "jaccard",
                    &[
                        "jaccard",
                        "overlap",
                        "cosine",
                        "common_neighbors",
                        "adamic_adar",
                        "resource_allocation",
                        "preferential_attachment",
                    ],
                    "Similarity metric",
                ),
                int("top_k", 10, "Pairs kept per node").range(Some(1.0), Some(1000.0)),
                boolean(
                    "exclude_neighbors",
                    false,
                    "Skip already-adjacent pairs (link prediction)",
                ),
            ],
            "top-k (node, score) pairs per node",
            Json,
            None,
            Undirected,
            10 * MIN,
            Kernel::Similarity,
        ),
    ];
    v.sort_by_key(|a| a.name);
    v
}

/// The native catalogue, sorted by name.
pub fn native_catalogue() -> &'static [AlgorithmInfo] {
    static CATALOGUE: OnceLock<Vec<AlgorithmInfo>> = OnceLock::new();
    CATALOGUE.get_or_init(build)
}
