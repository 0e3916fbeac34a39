//! `/api/cluster/health` (§7.2): every component probed, failures reported, answers cached;
//! `/api/cluster/capacity` and the runtime's `units` in `/api/cluster/instances` from the local
//! runtime, from a (fake) Kubernetes cluster and with no runtime; in-place resize on Kubernetes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_olap_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::black_hole;
use crate::common::{ALICE, DAVE, Db, Env, KEY};
use k8s_openapi::apimachinery::pkg::api::resource as k8s_quantity;

crate::on_both_databases!(cluster_health_probes_every_component_and_caches);

async fn cluster_health_probes_every_component_and_caches(db: Db) {
    let env = Env::new(db).await;
    let runtime_dir = env.dir.path().join("runtime");
    let runtime = Arc::new(
        graph_olap_runtime::LocalProcessRuntime::new(graph_olap_runtime::LocalRuntimeConfig::new(
            "/bin/true",
            &runtime_dir,
        ))
        .unwrap(),
    );
    let s = env.replica_with(|_| {}, Some(runtime)).await;
    let health = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_eq!(health["status"], "healthy", "{health}");
    for component in ["database", "compute", "warehouse", "object_storage"] {
        let c = &health["components"][component];
        assert_eq!(c["status"], "healthy", "{component}: {health}");
        assert!(
            c["latency_ms"].is_u64() && c["error"].is_null() && c["checked_at"].is_string(),
            "{component}: {c}"
        );
    }

    // Results are reused for up to 10 s of the injected clock, then probed again.
    std::fs::remove_dir_all(runtime_dir.join("units")).unwrap();
    s.advance(chrono::Duration::seconds(9));
    let cached = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_eq!(cached, health, "served from the cache");
    s.advance(chrono::Duration::seconds(2));
    let fresh = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_ne!(fresh["checked_at"], health["checked_at"]);
    assert_eq!(fresh["status"], "degraded", "{fresh}");
    assert_eq!(fresh["components"]["compute"]["status"], "unhealthy");
    assert!(
        fresh["components"]["compute"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(fresh["components"]["database"]["status"], "healthy");

    // A replica without a runtime, with a warehouse that never answers and an object store it
    // cannot open: every probe is bounded by 2 s and they run in parallel.
    let mut broken = s.state.clone();
    broken.runtime = None;
    broken.cluster_health = Default::default();
    broken.warehouse = Arc::new(
        graph_olap_warehouse::PostgresWarehouse::new(
            &format!("postgres://nobody@127.0.0.1:{}/none", black_hole().await),
            100,
        )
        .unwrap(),
    );
    let mut settings = (*broken.settings).clone();
    settings.storage_root = "ftp://nowhere/snapshots".into();
    broken.settings = Arc::new(settings);
    let b = env.serve(broken).await;
    let started = Instant::now();
    let r = b
        .send(Method::GET, "/api/cluster/health", Some(DAVE), None)
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::OK, "always 200: {}", r.body);
    let h = &r.body["data"];
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_millis(3500),
        "{took:?}"
    );
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(
        h["components"]["compute"],
        json!({"status": "not_configured", "latency_ms": null, "error": null, "checked_at": h["components"]["compute"]["checked_at"]})
    );
    assert_eq!(h["components"]["warehouse"]["status"], "unhealthy");
    assert_eq!(
        h["components"]["warehouse"]["error"],
        "no answer within 2 s"
    );
    assert_eq!(h["components"]["object_storage"]["status"], "unhealthy");
    assert!(
        h["components"]["object_storage"]["error"]
            .as_str()
            .unwrap()
            .contains("unsupported storage scheme"),
        "{h}"
    );
    assert_eq!(h["components"]["database"]["status"], "healthy");

    // With the database gone the cluster is unhealthy (probed in-process: no request could be
    // authenticated without the database).
    let mut no_db = s.state.clone();
    no_db.store = Store::connect(&env.db_url).await.unwrap();
    no_db.store.close().await;
    no_db.cluster_health = Default::default();
    let h = graph_olap_control_plane::ops::cluster::health(&no_db).await;
    assert_eq!(h.status, graph_olap_api::ops::ClusterStatus::Unhealthy);
    assert_eq!(
        h.components.database.status,
        graph_olap_api::ops::ComponentStatus::Unhealthy
    );
}

/// A fake cluster whose kubelet runs `sleep` for the instance image (the pods only need to be
/// Running: the instance API is played by [`crate::ready_server`]), and the runtime over it.
async fn kubernetes(
    dir: &std::path::Path,
) -> (
    graph_olap_kube_fake::FakeCluster,
    Arc<graph_olap_runtime::KubernetesRuntime>,
) {
    use std::os::unix::fs::PermissionsExt;
    let program = dir.join("sleeping-instance");
    std::fs::write(&program, "#!/bin/sh\nexec sleep 300\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fake =
        graph_olap_kube_fake::FakeCluster::start("graphs", &[("graph-olap:test", &program)]).await;
    fake.add_secret("graphs", "graph-olap-internal", "internal-api-key", KEY);
    let config = graph_olap_runtime::KubernetesConfig::new(
        "graphs",
        "graph-olap:test",
        "graph-olap-internal",
    );
    let runtime = graph_olap_runtime::KubernetesRuntime::with_client(fake.client(), config)
        .await
        .unwrap();
    (fake, Arc::new(runtime))
}

/// A `running` instance whose unit is a pod started through `runtime` (its pod name on the row).
async fn running_on(
    s: &crate::common::Server,
    runtime: &graph_olap_runtime::KubernetesRuntime,
    cpu_cores: u32,
    memory_gb: u32,
) -> (i64, String) {
    let (id, unit) = starting_on(s, runtime, cpu_cores, memory_gb).await;
    crate::report_running(s, id, &crate::ready_server().await).await;
    (id, unit)
}

/// A `starting` instance whose unit is a pod just created through `runtime` (its pod name on
/// the row), requesting `cpu_cores` and `memory_gb`.
async fn starting_on(
    s: &crate::common::Server,
    runtime: &graph_olap_runtime::KubernetesRuntime,
    cpu_cores: u32,
    memory_gb: u32,
) -> (i64, String) {
    use graph_olap_runtime::Runtime as _;
    let mapping = s.prestaged_mapping(ALICE, "on-kubernetes").await;
    let inst = s.instance(ALICE, mapping, json!({})).await;
    let id = inst["id"].as_i64().unwrap();
    let mut tx = s.state.store.write().await.unwrap();
    let mut row = graph_olap_store::instances::get(&mut tx, id)
        .await
        .unwrap()
        .unwrap();
    let spec = graph_olap_runtime::UnitSpec {
        instance_id: id,
        url_slug: row.url_slug.clone(),
        cpu_cores,
        memory_gb: Some(memory_gb),
        wrapper_type: "ryugraph".into(),
        snapshot_path: None,
        snapshot_bytes: None,
        env: vec![(
            "GRAPH_OLAP_CONTROL_PLANE_URL".into(),
            "http://graph-olap.graphs.svc.cluster.local:8000".into(),
        )],
    };
    let unit = runtime.start(&spec).await.unwrap();
    row.pod_name = Some(unit.name.clone());
    row.cpu_cores = i64::from(cpu_cores);
    row.memory_gb = Some(i64::from(memory_gb));
    graph_olap_store::instances::save(&mut tx, &row)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (id, unit.name)
}

/// An instance whose pod no node has room for stays `starting`, and its progress says why in
/// the scheduler's words (recorded by reconciliation); once a node with room joins, the pod is
/// scheduled there and the message goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_no_node_has_room_for_says_why_until_one_has() {
    let env = Env::new(Db::Sqlite).await;
    let (fake, runtime) = kubernetes(env.dir.path()).await;
    fake.add_node("fake-node-2", "16", "16Gi", true);
    fake.cordon("fake-node-2", true);
    let s = env.replica_with(|_| {}, Some(runtime.clone())).await;
    // 48 GiB: more than fake-node-1's 32 GiB; fake-node-2 is cordoned.
    let (id, pod) = starting_on(&s, &runtime, 2, 48).await;
    let progress = async || {
        graph_olap_control_plane::jobs::orchestration::reconcile(&s.state)
            .await
            .unwrap();
        s.data(
            Method::GET,
            &format!("/api/instances/{id}/progress"),
            ALICE,
            None,
        )
        .await
    };
    let expected = "waiting for a node with room: 0/2 nodes are available: \
        1 Insufficient memory, 1 node(s) were unschedulable. preemption: 0/2 nodes are \
        available: 1 No preemption victims found for incoming pod, 1 Preemption is not \
        helpful for scheduling.";
    let mut seen = Value::Null;
    crate::eventually("the scheduler's reason in the progress", async || {
        seen = progress().await;
        seen["steps"][1]["message"] == expected
    })
    .await;
    assert_eq!(seen["status"], "starting", "{seen}");
    assert_eq!(seen["steps"][1]["name"], "schedule");
    assert_eq!(seen["steps"][1]["status"], "in_progress", "{seen}");
    assert_eq!(seen["current_step"], "schedule");
    assert!(seen["error_message"].is_null(), "{seen}");
    let row = s
        .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
        .await;
    assert_eq!(row["status"], "starting", "waiting is not failing: {row}");

    // A node with room joins: the pod is scheduled there and runs; the reason goes.
    fake.add_node("fake-node-3", "16", "64Gi", true);
    crate::eventually("the pod runs on the new node", async || {
        fake.pod("graphs", &pod).is_some_and(|p| {
            p.spec.and_then(|s| s.node_name).as_deref() == Some("fake-node-3")
                && p.status.and_then(|s| s.phase).as_deref() == Some("Running")
        })
    })
    .await;
    let after = progress().await;
    assert_eq!(after["steps"][1]["status"], "completed", "{after}");
    assert!(after["steps"][1].get("message").is_none(), "{after}");
    assert_eq!(after["phase"], "pod_scheduled");
}

/// `GET /api/cluster/capacity` and the `units` of `GET /api/cluster/instances` come from the
/// cluster when the runtime is Kubernetes: nodes' allocatable vs requested (other workloads'
/// pods included), our pods by phase; `PUT …/cpu` and `…/memory` patch the pod in place, and a
/// cluster older than 1.33 refuses with `502` naming the version needed, changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_views_and_resizes_go_to_kubernetes() {
    let env = Env::new(Db::Sqlite).await;
    let (fake, runtime) = kubernetes(env.dir.path()).await;
    fake.add_node("fake-node-2", "16", "64Gi", true);
    fake.cordon("fake-node-2", true);
    fake.add_foreign_pod("other-team", "cache-0", "fake-node-1", "250m", "512Mi");
    let s = env.replica_with(|_| {}, Some(runtime.clone())).await;
    let (id, pod) = running_on(&s, &runtime, 2, 4).await;
    let phase = |fake: &graph_olap_kube_fake::FakeCluster| {
        fake.pod("graphs", &pod)
            .and_then(|p| p.status?.phase)
            .unwrap_or_default()
    };
    crate::eventually("the pod runs", async || phase(&fake) == "Running").await;

    let c = s
        .data(Method::GET, "/api/cluster/capacity", DAVE, None)
        .await;
    assert_eq!(c["runtime"], "kubernetes", "{c}");
    assert_eq!(c["requests_counted"], "all_pods");
    assert_eq!(
        c["units"],
        json!({"runtime": "kubernetes", "total": 1,
            "by_phase": {"Pending": 0, "Running": 1, "Succeeded": 0, "Failed": 0, "Unknown": 0}})
    );
    let node = &c["nodes"][0];
    assert_eq!(node["name"], "fake-node-1");
    assert_eq!(
        node["allocatable"],
        json!({"cpu_millicores": 8000, "memory_bytes": 32u64 << 30})
    );
    assert_eq!(
        node["requested"],
        json!({"cpu_millicores": 2250, "memory_bytes": (4u64 << 30) + (512 << 20)}),
        "our pod and the other team's: {c}"
    );
    assert_eq!(
        node["available"],
        json!({"cpu_millicores": 5750, "memory_bytes": (28u64 << 30) - (512 << 20)})
    );
    assert_eq!(node["pods"], 2);
    assert_eq!(c["nodes"][1]["schedulable"], false, "cordoned: {c}");
    assert_eq!(
        c["totals"],
        json!({"nodes": 1, "allocatable": node["allocatable"], "requested": node["requested"],
            "available": node["available"]}),
        "the cordoned node is not room for instances"
    );

    let i = s
        .data(Method::GET, "/api/cluster/instances", DAVE, None)
        .await;
    assert_eq!(i["by_status"]["running"], 1, "{i}");
    assert_eq!(i["units"], c["units"], "pods by phase beside the rows");

    // Resizing patches the pod's resources in place.
    let cpu = s
        .data(
            Method::PUT,
            &format!("/api/instances/{id}/cpu"),
            ALICE,
            Some(json!({"cpu_cores": 3})),
        )
        .await;
    assert_eq!(cpu["cpu_cores"], 3);
    let mem = s
        .data(
            Method::PUT,
            &format!("/api/instances/{id}/memory"),
            ALICE,
            Some(json!({"memory_gb": 6})),
        )
        .await;
    assert_eq!(mem["memory_gb"], 6);
    let resources = |fake: &graph_olap_kube_fake::FakeCluster| {
        let p = fake.pod("graphs", &pod).unwrap();
        let r = p.spec.unwrap().containers[0].resources.clone().unwrap();
        let get = |m: Option<std::collections::BTreeMap<String, _>>, k: &str| {
            m.and_then(|m| m.get(k).map(|q: &k8s_quantity::Quantity| q.0.clone()))
        };
        (
            get(r.requests.clone(), "cpu"),
            get(r.limits.clone(), "cpu"),
            get(r.requests, "memory"),
            get(r.limits, "memory"),
        )
    };
    let applied = (
        Some("3".to_owned()),
        Some("6".to_owned()),
        Some("6Gi".to_owned()),
        Some("6Gi".to_owned()),
    );
    assert_eq!(resources(&fake), applied);
    let c = s
        .data(Method::GET, "/api/cluster/capacity", DAVE, None)
        .await;
    assert_eq!(
        c["nodes"][0]["requested"],
        json!({"cpu_millicores": 3250, "memory_bytes": (6u64 << 30) + (512 << 20)})
    );

    // A 1.32 cluster has no pods/resize: 502 naming the version, the record and pod unchanged.
    fake.set_kubernetes_minor_version(32);
    let r = s
        .send(
            Method::PUT,
            &format!("/api/instances/{id}/memory"),
            Some(ALICE),
            Some(json!({"memory_gb": 8})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "UPSTREAM_ERROR");
    assert_eq!(r.body["error"]["details"]["service"], "compute");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("needs Kubernetes 1.33 or later"),
        "{message}"
    );
    assert!(message.contains("runs Kubernetes v1.32.0"), "{message}");
    let got = s
        .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
        .await;
    assert_eq!(
        (got["memory_gb"].clone(), got["cpu_cores"].clone()),
        (json!(6), json!(3))
    );
    assert_eq!(resources(&fake), applied);
    let events = s
        .data(
            Method::GET,
            &format!("/api/instances/{id}/events?event_type=resize_failed"),
            ALICE,
            None,
        )
        .await;
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events}");

    // Without permission to list nodes the capacity view says which permission is missing.
    fake.forbid_cluster_wide("list", "nodes");
    let r = s
        .send(Method::GET, "/api/cluster/capacity", Some(DAVE), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert_eq!(r.body["error"]["details"]["service"], "compute");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ClusterRole"),
        "{}",
        r.body
    );
}

/// With the local runtime the views describe the machine; without a runtime capacity is 503 and
/// the instance view has no `units`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_capacity_is_the_machine_and_no_runtime_is_unavailable() {
    let env = Env::new(Db::Sqlite).await;
    let runtime = Arc::new(
        graph_olap_runtime::LocalProcessRuntime::new(graph_olap_runtime::LocalRuntimeConfig::new(
            "/bin/true",
            env.dir.path().join("runtime"),
        ))
        .unwrap(),
    );
    let s = env.replica_with(|_| {}, Some(runtime)).await;
    let c = s
        .data(Method::GET, "/api/cluster/capacity", DAVE, None)
        .await;
    assert_eq!(c["runtime"], "local");
    assert_eq!(c["requests_counted"], "own_units");
    assert_eq!(c["nodes"].as_array().map(Vec::len), Some(1), "{c}");
    let cpus = std::thread::available_parallelism().unwrap().get() as i64;
    assert_eq!(c["nodes"][0]["allocatable"]["cpu_millicores"], cpus * 1000);
    assert!(
        c["nodes"][0]["allocatable"]["memory_bytes"]
            .as_i64()
            .unwrap()
            > 1 << 30
    );
    assert_eq!(c["totals"]["nodes"], 1);
    assert_eq!(c["units"]["total"], 0);
    let i = s
        .data(Method::GET, "/api/cluster/instances", DAVE, None)
        .await;
    assert_eq!(i["units"]["runtime"], "local", "{i}");

    let none = env.replica_with(|_| {}, None).await;
    let r = none
        .send(Method::GET, "/api/cluster/capacity", Some(DAVE), None)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.body["error"]["details"]["service"], "compute");
    let i = none
        .data(Method::GET, "/api/cluster/instances", DAVE, None)
        .await;
    assert!(i.get("units").is_none(), "{i}");
}
