//! The Kubernetes runtime against the in-process fake cluster (`graph-olap-kube-fake`), through
//! the real `kube` client: pods and Services as the issue lists them, the stand-in instance
//! server started by the fake kubelet and reached through its Service name, and every fault
//! (OOMKilled, unschedulable, pod deleted behind our back, dropped watch, forbidden, unknown
//! namespace, no in-place resize). Golden manifests are in `tests/golden/`
//! (`UPDATE_GOLDEN=1` rewrites them).

use std::time::Duration;

use graph_olap_kube_fake::FakeCluster;
use graph_olap_runtime::kubernetes::manifest;
use graph_olap_runtime::{
    KubernetesConfig, KubernetesRuntime, RequestScope, Resources, Runtime, RuntimeError, UnitSpec,
    UnitState,
};

const NS: &str = "graphs";
const IMAGE: &str = "registry.example/graph-olap:test";
const KEY: &str = "k8s-test-internal-key-0123456789abcdef";
const TEST_UNIT: &str = env!("CARGO_BIN_EXE_runtime-test-unit");

fn config() -> KubernetesConfig {
    let mut c = KubernetesConfig::new(NS, IMAGE, "graph-olap-internal");
    c.unschedulable_deadline_seconds = 1;
    c.termination_grace_period_seconds = 5;
    c
}

fn spec(id: i64, slug: &str) -> UnitSpec {
    UnitSpec {
        instance_id: id,
        url_slug: slug.to_owned(),
        cpu_cores: 2,
        memory_gb: Some(4),
        wrapper_type: "ryugraph".into(),
        snapshot_path: Some("s3://bucket/snapshots/7/".into()),
        snapshot_bytes: Some(3 << 30),
        env: vec![
            (
                "GRAPH_OLAP_CONTROL_PLANE_URL".into(),
                "http://graph-olap.graphs.svc.cluster.local:8000".into(),
            ),
            ("GRAPH_OLAP_INTERNAL_API_KEY".into(), KEY.into()),
        ],
    }
}

async fn cluster() -> FakeCluster {
    let fake = FakeCluster::start(NS, &[(IMAGE, std::path::Path::new(TEST_UNIT))]).await;
    fake.add_secret(NS, "graph-olap-internal", "internal-api-key", KEY);
    fake
}

async fn runtime(fake: &FakeCluster) -> KubernetesRuntime {
    KubernetesRuntime::with_client(fake.client(), config())
        .await
        .expect("runtime")
}

/// A client that reaches Service names through the fake's proxy (cluster DNS + kube-proxy).
fn in_cluster_http(fake: &FakeCluster) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(fake.url()).unwrap())
        .build()
        .unwrap()
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn golden(name: &str, value: &serde_json::Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        text,
        expected,
        "{} differs from the generated manifest (UPDATE_GOLDEN=1 rewrites it after review)",
        path.display()
    );
}

#[test]
fn pod_and_service_manifests_match_the_golden_files() {
    let mut c = config();
    c.image_pull_policy = Some("IfNotPresent".into());
    c.service_account = Some("graph-olap-instance".into());
    c.node_selector
        .insert("graph-olap.io/pool".into(), "instances".into());
    c.tolerations = vec![
        serde_json::from_value(serde_json::json!({
            "key": "graph-olap.io/instances", "operator": "Exists", "effect": "NoSchedule"
        }))
        .unwrap(),
    ];
    c.labels.insert("team".into(), "analytics".into());
    c.annotations
        .insert("example.com/owner".into(), "data-platform".into());
    let spec = spec(42, "0b5c7d2e-3f41-4c8a-9d7e-1a2b3c4d5e6f");
    let pod = manifest::pod(&c, &spec).unwrap();
    golden("pod.json", &serde_json::to_value(&pod).unwrap());
    let service = manifest::service(&c, &spec, "6f1c2a3b-0000-4000-8000-00000000abcd");
    golden("service.json", &serde_json::to_value(&service).unwrap());

    // The internal key never enters a manifest.
    let text = serde_json::to_string(&pod).unwrap();
    assert!(!text.contains(KEY), "the internal key is inline in the pod");
}

#[test]
fn invalid_configuration_and_specs_name_what_is_wrong() {
    let mut c = config();
    c.image = None;
    c.images.insert("ryugraph".into(), IMAGE.into());
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("kubernetes.images.falkordb"), "{e}");

    let mut c = config();
    c.namespace = "Not_A_Namespace".into();
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("kubernetes.namespace")
    );

    let mut c = config();
    c.labels
        .insert(manifest::INSTANCE_ID_LABEL.into(), "1".into());
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("kubernetes.labels.")
    );

    let mut bad = spec(1, "Upper_Case");
    let e = manifest::pod(&config(), &bad).unwrap_err();
    assert!(matches!(e, RuntimeError::InvalidSpec { .. }), "{e}");
    bad.url_slug = "x".repeat(60);
    assert!(manifest::pod(&config(), &bad).is_err());
}

#[tokio::test]
async fn start_serve_through_the_service_and_stop() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    let s = spec(7, "first-graph");
    let unit = rt.start(&s).await.unwrap();
    assert_eq!(unit.name, "wrapper-first-graph");
    assert_eq!(
        unit.internal_url,
        "http://wrapper-first-graph.graphs.svc.cluster.local:8000"
    );
    assert_eq!(
        (unit.instance_id, unit.cpu_cores, unit.memory_gb),
        (7, 2, Some(4))
    );
    assert!(unit.state.is_running());

    // The Service is owned by the pod; the pod carries the key by reference only.
    let pod = fake.pod(NS, &unit.name).expect("pod");
    let service = fake.service(NS, &unit.name).expect("service");
    let owner = &service.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.clone()),
        ("Pod", pod.metadata.uid.clone().unwrap())
    );
    assert!(!serde_json::to_string(&pod).unwrap().contains(KEY));

    // The kubelet ran the container with the pod's environment (the key from the Secret, the
    // pod name from the downward API, the data volume mounted).
    let http = in_cluster_http(&fake);
    let ready_url = format!("{}/ready", unit.internal_url);
    eventually("the unit answers through its Service", || {
        let http = http.clone();
        let url = ready_url.clone();
        async move {
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => {
                    r.text().await.unwrap() == "ready wrapper-first-graph"
                }
                _ => false,
            }
        }
    })
    .await;
    let log = fake.log(NS, &unit.name);
    assert!(log.contains("pod name: wrapper-first-graph"), "{log}");
    assert!(
        log.contains("data dir: ") && log.contains("volumes/data"),
        "{log}"
    );

    // Starting again returns the running unit unchanged.
    let again = rt.start(&s).await.unwrap();
    assert_eq!(again.started_at, unit.started_at);
    assert_eq!(fake.pods(NS).len(), 1);

    let listed = rt.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(rt.health().await.unwrap().units_running, 1);

    let pid = fake.pid(NS, &unit.name).expect("container process");
    rt.stop(&unit.name, Duration::from_secs(5)).await.unwrap();
    assert!(fake.pod(NS, &unit.name).is_none(), "pod gone");
    assert!(fake.service(NS, &unit.name).is_none(), "service gone");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || zombie_or_gone(pid));
    assert!(rt.list().await.unwrap().is_empty());
    // Stopping what is gone is fine.
    rt.stop(&unit.name, Duration::from_secs(1)).await.unwrap();
}

fn zombie_or_gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

#[tokio::test]
async fn a_restarted_control_plane_adopts_running_pods() {
    let fake = cluster().await;
    let first = runtime(&fake).await;
    let a = first.start(&spec(1, "adopt-a")).await.unwrap();
    let b = first.start(&spec(2, "adopt-b")).await.unwrap();
    drop(first);

    let second = runtime(&fake).await;
    let mut names: Vec<_> = second
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.instance_id))
        .collect();
    names.sort();
    assert_eq!(names, vec![(a.name.clone(), 1), (b.name.clone(), 2)]);
    second.shutdown_all(Duration::from_secs(2)).await.unwrap();
    assert!(fake.pods(NS).is_empty() && fake.services(NS).is_empty());
}

#[tokio::test]
async fn an_oom_killed_pod_reports_out_of_memory_with_its_limit() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    let unit = rt.start(&spec(3, "hungry")).await.unwrap();
    eventually("the container runs", || async {
        fake.pid(NS, "wrapper-hungry").is_some()
    })
    .await;
    assert!(fake.oom_kill(NS, &unit.name));
    eventually("the pod fails", || async {
        rt.get(&unit.name)
            .await
            .unwrap()
            .is_some_and(|u| !u.state.is_running())
    })
    .await;
    let state = rt.get(&unit.name).await.unwrap().unwrap().state;
    assert_eq!(
        state,
        UnitState::Exited {
            code: Some(137),
            signal: None,
            oom_killed: true,
            reason: Some("out of memory (limit 4Gi)".into()),
        }
    );
    // Starting it again replaces the failed pod.
    let replaced = rt.start(&spec(3, "hungry")).await.unwrap();
    assert!(replaced.state.is_running());
}

#[tokio::test]
async fn an_unschedulable_pod_fails_past_the_deadline_with_the_scheduler_message() {
    let fake = cluster().await;
    fake.set_schedulable(false);
    let rt = runtime(&fake).await;
    let unit = rt.start(&spec(4, "too-big")).await.unwrap();
    assert!(
        unit.state.is_running(),
        "pending within the deadline counts as alive"
    );
    eventually("the deadline passes", || async {
        rt.get(&unit.name)
            .await
            .unwrap()
            .is_some_and(|u| !u.state.is_running())
    })
    .await;
    let UnitState::Exited {
        oom_killed, reason, ..
    } = rt.get(&unit.name).await.unwrap().unwrap().state
    else {
        unreachable!()
    };
    assert!(!oom_killed);
    let reason = reason.unwrap();
    assert!(
        reason.starts_with("unschedulable for more than 1 s: "),
        "{reason}"
    );
    assert!(
        reason.contains(graph_olap_kube_fake::kubelet::UNSCHEDULABLE_MESSAGE),
        "{reason}"
    );
}

/// The node a pod is bound to, once it runs.
fn running_on(fake: &FakeCluster, pod: &str) -> Option<String> {
    let p = fake.pod(NS, pod)?;
    (p.status?.phase.as_deref() == Some("Running")).then_some(())?;
    p.spec?.node_name
}

#[tokio::test]
async fn pods_are_scheduled_where_their_requests_fit_and_wait_with_the_schedulers_reason() {
    let fake = cluster().await;
    let mut c = config();
    c.unschedulable_deadline_seconds = 300;
    let rt = KubernetesRuntime::with_client(fake.client(), c)
        .await
        .unwrap();
    let sized = |id, slug: &str, cpu_cores, memory_gb| UnitSpec {
        cpu_cores,
        memory_gb: Some(memory_gb),
        ..spec(id, slug)
    };
    // fake-node-1: 8 CPUs, 32 GiB. 6 CPUs fit; 4 more do not (requests N, limits 2N).
    let first = rt.start(&sized(20, "six-cpus", 6, 4)).await.unwrap();
    eventually("the first pod runs", || async {
        running_on(&fake, &first.name).as_deref() == Some("fake-node-1")
    })
    .await;
    let second = rt.start(&sized(21, "four-cpus", 4, 4)).await.unwrap();
    let waiting = "waiting for a node with room: 0/1 nodes are available: 1 Insufficient cpu. \
        preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    eventually("the second pod waits for cpu", || async {
        rt.get(&second.name)
            .await
            .unwrap()
            .is_some_and(|u| u.pending_reason.as_deref() == Some(waiting))
    })
    .await;
    let unit = rt.get(&second.name).await.unwrap().unwrap();
    assert!(
        unit.state.is_running(),
        "waiting within the deadline is alive"
    );
    assert!(
        fake.pod(NS, &second.name)
            .unwrap()
            .spec
            .unwrap()
            .node_name
            .is_none()
    );
    // Room freed: the waiting pod is scheduled and starts.
    rt.stop(&first.name, Duration::from_secs(5)).await.unwrap();
    eventually("the second pod runs once the first is gone", || async {
        running_on(&fake, &second.name).as_deref() == Some("fake-node-1")
    })
    .await;
    assert_eq!(
        rt.get(&second.name).await.unwrap().unwrap().pending_reason,
        None
    );

    // More memory than any node has; a node that is not ready and a cordoned one say so too.
    fake.add_node("fake-node-2", "16", "16Gi", false);
    fake.add_node("fake-node-3", "16", "64Gi", true);
    fake.cordon("fake-node-3", true);
    let big = rt.start(&sized(22, "big", 1, 48)).await.unwrap();
    let waiting = "waiting for a node with room: 0/3 nodes are available: \
        1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, \
        1 node(s) were unschedulable. preemption: 0/3 nodes are available: \
        1 No preemption victims found for incoming pod, \
        2 Preemption is not helpful for scheduling.";
    eventually("the big pod waits for memory", || async {
        rt.get(&big.name)
            .await
            .unwrap()
            .is_some_and(|u| u.pending_reason.as_deref() == Some(waiting))
    })
    .await;
    let condition = fake
        .pod(NS, &big.name)
        .unwrap()
        .status
        .unwrap()
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "PodScheduled")
        .unwrap();
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_deref()),
        ("False", Some("Unschedulable"))
    );
    // Uncordoned, the 64 GiB node takes it.
    fake.cordon("fake-node-3", false);
    eventually("the big pod runs on the big node", || async {
        running_on(&fake, &big.name).as_deref() == Some("fake-node-3")
    })
    .await;
}

#[tokio::test]
async fn a_pod_that_never_fits_fails_past_the_deadline_with_the_schedulers_reason() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    let unit = rt
        .start(&UnitSpec {
            memory_gb: Some(64),
            ..spec(23, "never-fits")
        })
        .await
        .unwrap();
    eventually("the deadline passes", || async {
        rt.get(&unit.name)
            .await
            .unwrap()
            .is_some_and(|u| !u.state.is_running())
    })
    .await;
    let UnitState::Exited { reason, .. } = rt.get(&unit.name).await.unwrap().unwrap().state else {
        unreachable!()
    };
    assert_eq!(
        reason.as_deref(),
        Some(
            "unschedulable for more than 1 s: 0/1 nodes are available: 1 Insufficient memory. \
             preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        )
    );
}

#[tokio::test]
async fn a_pod_deleted_behind_our_back_disappears_with_its_service() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    let unit = rt.start(&spec(5, "vanishing")).await.unwrap();
    eventually("the container runs", || async {
        fake.pid(NS, "wrapper-vanishing").is_some()
    })
    .await;
    assert!(fake.delete_pod_behind_back(NS, &unit.name));
    eventually("the pod is gone", || async {
        rt.get(&unit.name).await.unwrap().is_none()
    })
    .await;
    assert!(rt.list().await.unwrap().is_empty());
    assert!(
        fake.service(NS, &unit.name).is_none(),
        "owned Service garbage-collected"
    );
}

#[tokio::test]
async fn the_watch_survives_a_dropped_connection_and_an_expired_history() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    let mut changes = rt.changes();
    eventually("the watch is open", || async { fake.open_watches() > 0 }).await;

    let seen = *changes.borrow_and_update();
    rt.start(&spec(6, "watched")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), changes.wait_for(|n| *n > seen))
        .await
        .expect("a change is seen")
        .unwrap();

    for expire in [false, true] {
        fake.drop_watches(expire);
        eventually("the watch is open again", || async {
            fake.open_watches() > 0
        })
        .await;
        let seen = *changes.borrow_and_update();
        fake.oom_kill(NS, "wrapper-watched");
        tokio::time::timeout(Duration::from_secs(5), changes.wait_for(|n| *n > seen))
            .await
            .unwrap_or_else(|_| {
                panic!("a change after a dropped watch (expired history: {expire}) is seen")
            })
            .unwrap();
        rt.start(&spec(6, "watched")).await.unwrap();
    }
}

#[tokio::test]
async fn cpu_is_resized_in_place_or_refused_with_the_reason() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    let unit = rt.start(&spec(8, "resized")).await.unwrap();
    rt.resize_cpu(&unit.name, 4).await.unwrap();
    let pod = fake.pod(NS, &unit.name).unwrap();
    let resources = pod.spec.unwrap().containers[0].resources.clone().unwrap();
    assert_eq!(resources.requests.unwrap()["cpu"].0, "4");
    assert_eq!(resources.limits.unwrap()["cpu"].0, "8");
    assert_eq!(rt.get(&unit.name).await.unwrap().unwrap().cpu_cores, 4);

    fake.set_resize_supported(false);
    let e = rt.resize_cpu(&unit.name, 2).await.unwrap_err();
    assert!(matches!(e, RuntimeError::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("in-place pod resize"), "{e}");
    assert!(e.to_string().contains("Kubernetes 1.33 or later"), "{e}");
    assert!(e.to_string().contains("runs Kubernetes v1.32.0"), "{e}");
    assert_eq!(
        rt.get(&unit.name).await.unwrap().unwrap().cpu_cores,
        4,
        "unchanged"
    );
    assert!(matches!(
        rt.resize_cpu("wrapper-nope", 2).await.unwrap_err(),
        RuntimeError::NotFound { .. }
    ));
}

#[tokio::test]
async fn memory_is_resized_in_place_or_refused_naming_the_version_needed() {
    let fake = cluster().await;
    let mut c = config();
    c.max_memory_gb = Some(16);
    let rt = KubernetesRuntime::with_client(fake.client(), c)
        .await
        .unwrap();
    let unit = rt.start(&spec(9, "grown")).await.unwrap();
    assert_eq!(unit.memory_gb, Some(4));
    rt.resize_memory(&unit.name, 8).await.unwrap();
    let pod = fake.pod(NS, &unit.name).unwrap();
    let resources = pod.spec.unwrap().containers[0].resources.clone().unwrap();
    assert_eq!(resources.requests.unwrap()["memory"].0, "8Gi");
    assert_eq!(resources.limits.unwrap()["memory"].0, "8Gi");
    let seen = rt.get(&unit.name).await.unwrap().unwrap();
    assert_eq!(
        (seen.memory_gb, seen.cpu_cores),
        (Some(8), 2),
        "CPU untouched"
    );

    // More than the largest node is refused before the cluster is asked.
    let e = rt.resize_memory(&unit.name, 17).await.unwrap_err();
    assert!(matches!(e, RuntimeError::InvalidSpec { .. }), "{e}");
    assert!(e.to_string().contains("kubernetes.max_memory_gb"), "{e}");

    // A 1.32 cluster has no pods/resize: the error says which version is needed and which runs.
    fake.set_kubernetes_minor_version(32);
    let e = rt.resize_memory(&unit.name, 12).await.unwrap_err();
    assert!(matches!(e, RuntimeError::Unsupported { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("changing memory in place needs Kubernetes 1.33 or later"),
        "{text}"
    );
    assert!(
        text.contains("this cluster runs Kubernetes v1.32.0"),
        "{text}"
    );
    assert!(text.contains("404"), "{text}");
    assert_eq!(
        rt.get(&unit.name).await.unwrap().unwrap().memory_gb,
        Some(8),
        "nothing changed"
    );
    assert!(matches!(
        rt.resize_memory("wrapper-nope", 8).await.unwrap_err(),
        RuntimeError::NotFound { .. }
    ));
}

#[tokio::test]
async fn capacity_reports_nodes_allocatable_against_requested_and_pods_by_phase() {
    let fake = cluster().await;
    fake.add_node("fake-node-2", "4", "16Gi", true);
    fake.cordon("fake-node-2", true);
    fake.add_node("fake-node-3", "2", "8Gi", false);
    // Another workload's pod takes room on the node our pods go to.
    fake.add_foreign_pod("other-team", "cache-0", "fake-node-1", "500m", "1536Mi");
    let rt = runtime(&fake).await;
    for (id, slug) in [(21, "cap-a"), (22, "cap-b")] {
        rt.start(&spec(id, slug)).await.unwrap();
    }
    eventually("both pods running", || async {
        fake.pods(NS)
            .iter()
            .all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    })
    .await;

    let c = rt.capacity().await.unwrap();
    assert_eq!(c.kind, "kubernetes");
    assert_eq!(c.units_by_phase.get("Running"), Some(&2), "{c:?}");
    assert_eq!(c.units_by_phase.values().sum::<usize>(), 2, "{c:?}");
    assert_eq!(c.requests_counted, RequestScope::AllPods);
    let names: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["fake-node-1", "fake-node-2", "fake-node-3"]);
    let n1 = &c.nodes[0];
    assert!(n1.ready && n1.schedulable);
    assert_eq!(
        n1.allocatable,
        Resources {
            cpu_millicores: 8000,
            memory_bytes: 32 << 30
        }
    );
    // Two instances of 2 CPUs / 4 GiB requested, plus the other team's 500m / 1.5 GiB.
    assert_eq!(
        n1.requested,
        Resources {
            cpu_millicores: 4500,
            memory_bytes: (8 << 30) + (1536 << 20)
        }
    );
    assert_eq!(n1.pods, 3);
    let (n2, n3) = (&c.nodes[1], &c.nodes[2]);
    assert!(n2.ready && !n2.schedulable, "cordoned: {n2:?}");
    assert_eq!(n2.allocatable.memory_bytes, 16 << 30);
    assert_eq!((n2.requested, n2.pods), (Resources::default(), 0));
    assert!(!n3.ready && n3.schedulable, "not ready: {n3:?}");

    // Without a cluster-wide pod list only our own pods are counted, and it says so.
    fake.forbid_cluster_wide("list", "pods");
    let c = rt.capacity().await.unwrap();
    assert_eq!(c.requests_counted, RequestScope::OwnUnits);
    assert_eq!(
        c.nodes[0].requested,
        Resources {
            cpu_millicores: 4000,
            memory_bytes: 8 << 30
        }
    );
    assert_eq!(c.nodes[0].pods, 2);

    // An exited pod leaves the Running count and stops requesting anything.
    fake.oom_kill(NS, "wrapper-cap-a");
    eventually("the killed pod is Failed", || async {
        fake.pod(NS, "wrapper-cap-a")
            .and_then(|p| p.status?.phase)
            .as_deref()
            == Some("Failed")
    })
    .await;
    let c = rt.capacity().await.unwrap();
    assert_eq!(c.units_by_phase.get("Running"), Some(&1), "{c:?}");
    assert_eq!(c.units_by_phase.get("Failed"), Some(&1), "{c:?}");
    assert_eq!(c.nodes[0].requested.cpu_millicores, 2000);

    // Listing nodes needs a ClusterRole: the error names it; the namespace's calls still work.
    fake.forbid_cluster_wide("list", "nodes");
    let e = rt.capacity().await.unwrap_err();
    assert!(
        matches!(
            &e,
            RuntimeError::Kubernetes {
                status: Some(403),
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("ClusterRole"), "{e}");
    assert!(e.to_string().contains("at the cluster scope"), "{e}");
    assert_eq!(rt.list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn start_up_checks_name_the_setting() {
    let fake = cluster().await;
    let mut c = config();
    c.namespace = "missing".into();
    let e = KubernetesRuntime::with_client(fake.client(), c)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, RuntimeError::Config { setting, .. } if setting == "kubernetes.namespace"),
        "{e}"
    );
    assert!(
        e.to_string().contains("namespace missing does not exist"),
        "{e}"
    );

    fake.forbid("create", "pods");
    let e = KubernetesRuntime::with_client(fake.client(), config())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("forbidden") && text.contains("kubernetes."),
        "{text}"
    );

    fake.forbid("list", "pods");
    let e = KubernetesRuntime::with_client(fake.client(), config())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("listing pods in namespace graphs is forbidden"),
        "{e}"
    );
}

#[tokio::test]
async fn a_forbidden_call_at_run_time_is_a_kubernetes_error_with_the_reason() {
    let fake = cluster().await;
    let rt = runtime(&fake).await;
    fake.forbid("create", "services");
    let e = rt.start(&spec(9, "no-service")).await.unwrap_err();
    let RuntimeError::Kubernetes { reason, status, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(*status, Some(403));
    assert!(
        reason.starts_with("Forbidden: services is forbidden"),
        "{reason}"
    );
    // No pod is left behind without its Service.
    eventually("the pod is removed", || async { fake.pods(NS).is_empty() }).await;
}

/// Opt-in: the same runtime against a real cluster. Set `GRAPH_OLAP_TEST_KUBECONFIG` (a
/// kubeconfig), `GRAPH_OLAP_TEST_IMAGE` (an image built from the repository's Dockerfile that
/// the cluster can pull) and optionally `GRAPH_OLAP_TEST_NAMESPACE` (default `default`, with a
/// Secret `graph-olap-internal` holding `internal-api-key`). Checks what a real API server and
/// admission say about the manifests and RBAC: start-up checks, a pod and its owned Service
/// created and observed, then deleted with the Service. Without the variables it reports itself
/// skipped.
#[tokio::test]
async fn against_a_real_cluster_when_configured() {
    let Ok(kubeconfig) = std::env::var("GRAPH_OLAP_TEST_KUBECONFIG") else {
        eprintln!(
            "SKIPPED against_a_real_cluster_when_configured: GRAPH_OLAP_TEST_KUBECONFIG is not set"
        );
        return;
    };
    let image = std::env::var("GRAPH_OLAP_TEST_IMAGE")
        .expect("GRAPH_OLAP_TEST_IMAGE must name a graph-olap image the cluster can pull");
    let namespace = std::env::var("GRAPH_OLAP_TEST_NAMESPACE").unwrap_or_else(|_| "default".into());
    let mut c = KubernetesConfig::new(&namespace, &image, "graph-olap-internal");
    c.kubeconfig = Some(kubeconfig.into());
    let rt = KubernetesRuntime::connect(c)
        .await
        .expect("start-up checks pass");
    let slug = format!("it-{}", std::process::id());
    let unit = rt
        .start(&spec(1, &slug))
        .await
        .expect("pod and Service created");
    let listed = rt
        .get(&unit.name)
        .await
        .unwrap()
        .expect("the pod is listed");
    assert_eq!(listed.instance_id, 1);
    rt.stop(&unit.name, Duration::from_secs(5)).await.unwrap();
    assert!(rt.get(&unit.name).await.unwrap().is_none(), "pod deleted");
}
