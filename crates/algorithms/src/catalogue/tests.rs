//! Catalogue shape, validation and dispatch tests.

use serde_json::json;

use super::*;
use crate::generate::planted;
use crate::{BuildOptions, Cancel, Csr};

fn views() -> GraphViews {
    let list = planted(3, 15, 2);
    GraphViews::new(Csr::directed(list.n, &list.edges, None, BuildOptions::MULTI).unwrap())
}

#[test]
fn catalogues_cover_the_spec_minimum_and_are_sorted() {
    let native = [
        "pagerank",
        "betweenness",
        "degree",
        "wcc",
        "scc",
        "scc_kosaraju",
        "louvain",
        "label_propagation",
        "kcore",
        "triangle_count",
    ];
    for n in native {
        assert!(find(AlgorithmType::Native, n).is_some(), "native {n}");
    }
    let networkx = [
        "degree_centrality",
        "in_degree_centrality",
        "out_degree_centrality",
        "betweenness_centrality",
        "closeness_centrality",
        "eigenvector_centrality",
        "katz_centrality",
        "pagerank",
        "clustering",
        "square_clustering",
        "triangles",
        "core_number",
        "average_clustering",
        "transitivity",
        "density",
        "number_connected_components",
        "connected_components",
        "strongly_connected_components",
        "louvain_communities",
        "label_propagation_communities",
        "greedy_modularity_communities",
    ];
    for n in networkx {
        assert!(find(AlgorithmType::Networkx, n).is_some(), "networkx {n}");
    }
    for t in [AlgorithmType::Native, AlgorithmType::Networkx] {
        let names: Vec<&str> = catalogue(t).iter().map(|a| a.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }
    assert!(
        find(AlgorithmType::Native, "PageRank").is_none(),
        "names are case-sensitive"
    );
    for (name, _) in NETWORKX_UNAVAILABLE {
        assert!(find(AlgorithmType::Networkx, name).is_none());
    }
}

#[test]
fn algorithm_info_serialises_in_api_shape() {
    let a = find(AlgorithmType::Native, "betweenness").unwrap();
    let v = serde_json::to_value(a).unwrap();
    assert_eq!(v["type"], "native");
    assert_eq!(v["category"], "centrality");
    assert_eq!(v["result_kind"], "node_values");
    assert_eq!(v["result_type"], "DOUBLE");
    assert_eq!(v["graph_treatment"], "directed");
    assert_eq!(v["supports_write_back"], true);
    let sample = v["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sample_size")
        .unwrap();
    assert_eq!(sample["type"], "int");
    assert_eq!(sample["default"], serde_json::Value::Null);
    assert_eq!(sample["minimum"], 1.0);
    let nx = serde_json::to_value(find(AlgorithmType::Networkx, "density").unwrap()).unwrap();
    assert_eq!(nx["result_kind"], "scalar");
    assert_eq!(nx["result_type"], serde_json::Value::Null);
    assert_eq!(nx["supports_write_back"], false);
    let deg = serde_json::to_value(find(AlgorithmType::Native, "degree").unwrap()).unwrap();
    assert_eq!(deg["parameters"][0]["enum"], json!(["in", "out", "both"]));
}

#[test]
fn listing_filters_by_category_and_search() {
    let c = list(AlgorithmType::Native, Some(Category::Community), None);
    assert!(c.iter().all(|a| a.category == Category::Community));
    assert!(c.iter().any(|a| a.name == "louvain"));
    let s = list(AlgorithmType::Networkx, None, Some("TRIANGLE"));
    assert!(s.iter().any(|a| a.name == "triangles"));
}

#[test]
fn validation_fills_defaults_and_names_the_field() {
    let pr = find(AlgorithmType::Native, "pagerank").unwrap();
    let ok = validate(pr, &json!({"max_iterations": 50})).unwrap();
    assert_eq!(ok.as_map()["damping_factor"], 0.85);
    assert_eq!(ok.as_map()["max_iterations"], 50);
    let cases = [
        (
            json!({"bogus": 1}),
            "parameters.bogus",
            ParamErrorReason::Unknown,
        ),
        (
            json!({"damping_factor": "high"}),
            "parameters.damping_factor",
            ParamErrorReason::WrongType,
        ),
        (
            json!({"damping_factor": 1.0}),
            "parameters.damping_factor",
            ParamErrorReason::OutOfRange,
        ),
        (
            json!({"max_iterations": 0}),
            "parameters.max_iterations",
            ParamErrorReason::OutOfRange,
        ),
        (
            json!({"max_iterations": 2.5}),
            "parameters.max_iterations",
            ParamErrorReason::WrongType,
        ),
        (
            json!({"tolerance": 0}),
            "parameters.tolerance",
            ParamErrorReason::OutOfRange,
        ),
        (json!([1]), "parameters", ParamErrorReason::NotAnObject),
    ];
    for (input, field, reason) in cases {
        let e = validate(pr, &input).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.clone()),
            (field, reason),
            "{input}"
        );
    }
    let deg = find(AlgorithmType::Native, "degree").unwrap();
    assert_eq!(
        validate(deg, &json!({"direction": "sideways"}))
            .unwrap_err()
            .reason,
        ParamErrorReason::NotAllowed
    );
    let bc = find(AlgorithmType::Native, "betweenness").unwrap();
    assert_eq!(
        validate(bc, &json!({"k": 5})).unwrap().get("sample_size"),
        &json!(5)
    );
    assert_eq!(
        validate(bc, &json!({"k": 5, "sample_size": 5}))
            .unwrap_err()
            .reason,
        ParamErrorReason::Duplicate
    );
    assert_eq!(
        validate(bc, &json!({"sample_size": null}))
            .unwrap()
            .get("sample_size"),
        &json!(null)
    );
    let kc = find(AlgorithmType::Native, "kcore").unwrap();
    assert_eq!(validate(kc, &json!(null)).unwrap().as_map().len(), 0);
}

#[test]
fn every_entry_runs_with_defaults() {
    let g = views();
    for t in [AlgorithmType::Native, AlgorithmType::Networkx] {
        for a in catalogue(t) {
            let p = validate(a, &json!({})).unwrap();
            let out =
                run(a, &p, &g, &Cancel::never()).unwrap_or_else(|e| panic!("{}: {e}", a.name));
            let n = g.node_count();
            match (&out.values, a.result_kind) {
                (OutputValues::Float(v), ResultKind::NodeValues) => {
                    assert_eq!(v.len(), n, "{}", a.name)
                }
                (OutputValues::Int(v), ResultKind::NodeValues) => {
                    assert_eq!(v.len(), n, "{}", a.name)
                }
                (OutputValues::Partition(p), ResultKind::Partition) => {
                    assert_eq!(p.membership.len(), n, "{}", a.name);
                    assert!(p.count >= 1);
                }
                (OutputValues::Scalar(_), ResultKind::Scalar)
                | (OutputValues::Json(_), ResultKind::Json) => {}
                (v, k) => panic!("{}: {k:?} produced {v:?}", a.name),
            }
        }
    }
}

#[test]
fn summaries_follow_the_spec() {
    let g = views();
    let c = Cancel::never();
    let go = |t, name: &str| {
        let a = find(t, name).unwrap();
        run(a, &validate(a, &json!({})).unwrap(), &g, &c).unwrap()
    };
    let pr = go(AlgorithmType::Native, "pagerank");
    assert_eq!(pr.summary["iterations"], 20);
    assert!(pr.summary.contains_key("converged"));
    let lv = go(AlgorithmType::Native, "louvain");
    assert!(lv.summary["modularity"].as_f64().unwrap() > 0.3);
    let OutputValues::Partition(p) = &lv.values else {
        panic!()
    };
    assert_eq!(lv.summary["communities"], p.count);
    assert_eq!(go(AlgorithmType::Native, "wcc").summary["components"], 5);
    let cc = go(AlgorithmType::Networkx, "connected_components");
    let OutputValues::Partition(p) = &cc.values else {
        panic!()
    };
    // 3 blocks joined into one component, a 4-cycle, and 3 isolated nodes.
    assert_eq!(p.dense_indices()[..3], [0, 0, 0]);
    assert_eq!(*p.dense_indices().last().unwrap(), 4);
    assert!(
        go(AlgorithmType::Native, "triangle_count").summary["triangles"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        go(AlgorithmType::Native, "degree").summary["max_degree"]
            .as_i64()
            .unwrap()
            > 0
    );
}

#[test]
fn non_convergence_fails_for_networkx_and_cancellation_is_reported() {
    let g = views();
    let a = find(AlgorithmType::Networkx, "pagerank").unwrap();
    let p = validate(a, &json!({"max_iter": 1})).unwrap();
    assert!(matches!(
        run(a, &p, &g, &Cancel::never()),
        Err(RunError::Failed { .. })
    ));
    let cancel = Cancel::never();
    cancel.cancel();
    let b = find(AlgorithmType::Native, "betweenness").unwrap();
    let p = validate(b, &json!({})).unwrap();
    assert_eq!(
        run(b, &p, &g, &cancel),
        Err(RunError::Interrupted(crate::Interrupted::Cancelled))
    );
}
