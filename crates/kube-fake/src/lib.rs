//! Test support, not part of the product: an in-process fake Kubernetes cluster.
//!
//! * **API server** ([`api`]): the real JSON over HTTP for the verbs the runtime uses — create,
//!   get, list and watch Pods; create, get, list and delete Services; delete Pods with a grace
//!   period; patch the `pods/resize` subresource; get and list Nodes; `/version`; server-side dry runs; `Status` errors with the
//!   real codes and reasons (404 namespace, 403 forbidden, 409 exists, 410 expired watch).
//!   Driven through the real `kube` client.
//! * **Kubelet** ([`kubelet`]): a scheduled pod's container is started as a local process with
//!   the pod's environment (literal values, `fieldRef: metadata.name`, `secretKeyRef` from the
//!   fake's Secrets). What a real kubelet does with namespaces and mounts is emulated and is the
//!   one liberty taken: each pod gets its own loopback address `127.0.0.N` as its pod IP, the
//!   unspecified listen address `0.0.0.0:PORT` in its arguments is bound to that address, and
//!   each volume mount path in its environment is replaced by a per-pod directory. Readiness is
//!   probed on the pod's `readinessProbe`; the process's exit becomes the container's terminated
//!   state (exit code, signal, `OOMKilled` when injected); deletion sends SIGTERM, waits the
//!   grace period, then SIGKILL, and garbage-collects the Services the pod owns.
//! * **Cluster networking** ([`proxy`]): the same server is an HTTP forward proxy that resolves
//!   `{service}.{namespace}.svc.{domain}` to a ready pod of the Service's selector, as cluster DNS
//!   plus kube-proxy do. Point a process's `http_proxy` at [`FakeCluster::url`] and the runtime's
//!   Service URLs work unchanged.
//! * **Nodes**: cluster-scoped Nodes with allocatable CPU and memory and a `Ready` condition
//!   ([`DEFAULT_NODE`], [`FakeCluster::add_node`], [`FakeCluster::cordon`]); pods of other
//!   workloads take room ([`FakeCluster::add_foreign_pod`]); pods are listed in all namespaces
//!   with field selectors (`spec.nodeName`, `status.phase`, `=`/`!=`), as `kubectl describe
//!   node` does.
//! * **Scheduler** ([`scheduler`]): a pod is bound (`spec.nodeName`) to the first ready,
//!   uncordoned node whose allocatable CPU and memory, less the requests of the pods already
//!   on it, cover the pod's requests; when none does it stays `Pending` with the condition
//!   `PodScheduled=False`, reason `Unschedulable` and kube-scheduler's message (`0/2 nodes are
//!   available: 1 Insufficient memory, 1 node(s) were unschedulable. preemption: …`), and is
//!   tried again until it fits or is deleted. No `FailedScheduling` Event object is written
//!   (the fake serves no Events).
//! * **Version**: `/version` reports 1.33 unless set older
//!   ([`FakeCluster::set_kubernetes_minor_version`]); before 1.33 `pods/resize` is a 404.
//! * **Faults**: [`FakeCluster::oom_kill`], [`FakeCluster::set_schedulable`],
//!   [`FakeCluster::delete_pod_behind_back`], [`FakeCluster::drop_watches`],
//!   [`FakeCluster::forbid`], [`FakeCluster::forbid_cluster_wide`],
//!   [`FakeCluster::set_resize_supported`].

pub mod api;
pub mod kubelet;
pub mod proxy;
pub mod scheduler;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{
    Container, Node, NodeCondition, NodeSpec, NodeStatus, Pod, PodSpec, PodStatus,
    ResourceRequirements, Service,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A namespaced object key.
pub type Key = (String, String);

/// One pod watch event in the server's log.
#[derive(Debug, Clone)]
pub struct Event {
    /// The resource version the change produced.
    pub rv: u64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// The pod after the change.
    pub pod: Pod,
}

/// What the kubelet keeps about a pod beyond the object.
#[derive(Debug, Default)]
pub struct PodRuntime {
    /// The container's process, while it runs.
    pub pid: Option<u32>,
    /// The pod IP handed out.
    pub ip: Option<Ipv4Addr>,
    /// Set before an injected OOM kill, so the exit is reported as `OOMKilled`.
    pub oom: bool,
    /// The process has exited.
    pub exited: bool,
    /// A deletion asked for no grace (kill now).
    pub force: bool,
    /// The pod's directory (volumes and log).
    pub dir: Option<PathBuf>,
}

/// The cluster's state.
#[derive(Debug, Default)]
pub struct State {
    /// Last resource version handed out.
    pub rv: u64,
    /// Existing namespaces.
    pub namespaces: BTreeSet<String>,
    /// Pods by (namespace, name).
    pub pods: BTreeMap<Key, Pod>,
    /// Kubelet-side facts per pod.
    pub runtime: BTreeMap<Key, PodRuntime>,
    /// Services by (namespace, name).
    pub services: BTreeMap<Key, Service>,
    /// Secret data by (namespace, name).
    pub secrets: BTreeMap<Key, BTreeMap<String, String>>,
    /// Pod watch events, oldest first.
    pub log: Vec<(String, Event)>,
    /// Watches asking to resume from a version at or below this get 410 Gone.
    pub log_floor: u64,
    /// Whether new pods are scheduled (false: they stay Pending, Unschedulable).
    pub unschedulable: bool,
    /// The Kubernetes minor version the server reports (1.MINOR); `pods/resize` exists from 33.
    pub minor_version: u32,
    /// Nodes by name (cluster-scoped).
    pub nodes: BTreeMap<String, Node>,
    /// Refused (verb, resource) pairs, answered 403.
    pub forbidden: BTreeSet<(String, String)>,
    /// Next pod IP's last two octets.
    pub next_ip: u16,
    /// Image → local executable.
    pub images: BTreeMap<String, PathBuf>,
    /// Services ever created, by name (a record for assertions).
    pub services_created: Vec<String>,
}

/// Everything the server's handlers share.
#[derive(Debug)]
pub struct Shared {
    /// The state.
    pub state: Mutex<State>,
    /// Live pod watch events (namespace, event).
    pub events: tokio::sync::broadcast::Sender<(String, Event)>,
    /// Bumped to cut every open watch.
    pub cut: tokio::sync::watch::Sender<u64>,
    /// Client for probes and the proxy (no proxy of its own).
    pub http: reqwest::Client,
    /// Root of the pods' directories.
    pub root: PathBuf,
}

impl Shared {
    /// Locks the state.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake cluster state poisoned")
    }

    /// Records a pod change: new resource version, log entry, broadcast. Returns the pod as stored.
    pub fn pod_changed(
        &self,
        state: &mut State,
        ns: &str,
        kind: &'static str,
        mut pod: Pod,
    ) -> Pod {
        state.rv += 1;
        pod.metadata.resource_version = Some(state.rv.to_string());
        let event = Event {
            rv: state.rv,
            kind,
            pod: pod.clone(),
        };
        let key = (ns.to_owned(), pod.metadata.name.clone().unwrap_or_default());
        if kind == "DELETED" {
            state.pods.remove(&key);
        } else {
            state.pods.insert(key, pod.clone());
        }
        state.log.push((ns.to_owned(), event.clone()));
        let _ = self.events.send((ns.to_owned(), event));
        pod
    }
}

/// The node every fake cluster starts with (8 CPUs, 32 GiB allocatable, ready).
pub const DEFAULT_NODE: &str = "fake-node-1";

/// A node object as a kubelet registers it: capacity = allocatable, `Ready` as given.
fn node(name: &str, cpu: &str, memory: &str, ready: bool) -> Node {
    let resources = BTreeMap::from([
        ("cpu".to_owned(), Quantity(cpu.into())),
        ("memory".to_owned(), Quantity(memory.into())),
        ("pods".to_owned(), Quantity("110".into())),
    ]);
    Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            uid: Some(uuid::Uuid::new_v4().to_string()),
            labels: Some(BTreeMap::from([(
                "kubernetes.io/hostname".to_owned(),
                name.to_owned(),
            )])),
            ..Default::default()
        },
        spec: Some(NodeSpec::default()),
        status: Some(NodeStatus {
            allocatable: Some(resources.clone()),
            capacity: Some(resources),
            conditions: Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                reason: Some(
                    if ready {
                        "KubeletReady"
                    } else {
                        "KubeletNotReady"
                    }
                    .into(),
                ),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

/// A running fake cluster (API server, kubelet, networking) on a loopback port.
pub struct FakeCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    _root: tempfile::TempDir,
}

impl FakeCluster {
    /// Starts a cluster with namespace `namespace`; `images` maps image names to the local
    /// executables the kubelet runs for them.
    pub async fn start(namespace: &str, images: &[(&str, &Path)]) -> Self {
        let root = tempfile::tempdir().expect("fake cluster directory");
        let mut state = State {
            next_ip: 2,
            minor_version: 33,
            ..State::default()
        };
        state
            .nodes
            .insert(DEFAULT_NODE.into(), node(DEFAULT_NODE, "8", "32Gi", true));
        state.namespaces.insert(namespace.to_owned());
        state.namespaces.insert("default".to_owned());
        for (image, path) in images {
            state.images.insert((*image).to_owned(), path.to_path_buf());
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            events: tokio::sync::broadcast::channel(4096).0,
            cut: tokio::sync::watch::channel(0).0,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("http client"),
            root: root.path().to_path_buf(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake API server");
        let addr = listener.local_addr().expect("local address");
        let app = api::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake API server");
        });
        Self {
            shared,
            addr,
            server,
            _root: root,
        }
    }

    /// The API server's (and the proxy's) URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A `kube` client for this cluster.
    pub fn client(&self) -> kube::Client {
        let config = kube::Config::new(self.url().parse().expect("cluster url"));
        kube::Client::try_from(config).expect("kube client")
    }

    /// A kubeconfig file's text for this cluster, with `namespace` as the default namespace.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\nusers:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: {namespace}\ncurrent-context: fake\n",
            self.url()
        )
    }

    /// Stores a Secret `name` in `namespace` with one key.
    pub fn add_secret(&self, namespace: &str, name: &str, key: &str, value: &str) {
        self.shared
            .lock()
            .secrets
            .entry((namespace.into(), name.into()))
            .or_default()
            .insert(key.into(), value.into());
    }

    /// A pod as stored.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Pod> {
        self.shared
            .lock()
            .pods
            .get(&(namespace.into(), name.into()))
            .cloned()
    }

    /// Every pod of `namespace`.
    pub fn pods(&self, namespace: &str) -> Vec<Pod> {
        let state = self.shared.lock();
        state
            .pods
            .iter()
            .filter(|((ns, _), _)| ns == namespace)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// A Service as stored.
    pub fn service(&self, namespace: &str, name: &str) -> Option<Service> {
        self.shared
            .lock()
            .services
            .get(&(namespace.into(), name.into()))
            .cloned()
    }

    /// Every Service of `namespace`.
    pub fn services(&self, namespace: &str) -> Vec<Service> {
        let state = self.shared.lock();
        state
            .services
            .iter()
            .filter(|((ns, _), _)| ns == namespace)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// The process id of a pod's container, while it runs.
    pub fn pid(&self, namespace: &str, name: &str) -> Option<u32> {
        let state = self.shared.lock();
        let rt = state.runtime.get(&(namespace.into(), name.into()))?;
        rt.pid.filter(|_| !rt.exited)
    }

    /// The container's stdout and stderr so far.
    pub fn log(&self, namespace: &str, name: &str) -> String {
        let dir = self
            .shared
            .lock()
            .runtime
            .get(&(namespace.into(), name.into()))
            .and_then(|r| r.dir.clone());
        dir.and_then(|d| std::fs::read_to_string(d.join("container.log")).ok())
            .unwrap_or_default()
    }

    /// Kills the pod's container as the kernel's OOM killer would; the pod ends `Failed` with
    /// the container terminated `OOMKilled`, exit code 137.
    pub fn oom_kill(&self, namespace: &str, name: &str) -> bool {
        let pid = {
            let mut state = self.shared.lock();
            let Some(rt) = state.runtime.get_mut(&(namespace.into(), name.into())) else {
                return false;
            };
            rt.oom = true;
            rt.pid
        };
        pid.is_some_and(|p| kubelet::signal(p, nix::sys::signal::Signal::SIGKILL))
    }

    /// Whether new pods can be scheduled at all (false plays a full cluster: they stay Pending
    /// with the scheduler's `Unschedulable` condition and [`kubelet::UNSCHEDULABLE_MESSAGE`],
    /// whatever they request; true lets them through once a node takes them).
    pub fn set_schedulable(&self, schedulable: bool) {
        self.shared.lock().unschedulable = !schedulable;
    }

    /// Whether the `pods/resize` subresource exists: true makes the server a Kubernetes 1.33,
    /// false a 1.32, which answers 404 for it.
    pub fn set_resize_supported(&self, supported: bool) {
        self.set_kubernetes_minor_version(if supported { 33 } else { 32 });
    }

    /// The version the server reports at `/version` (1.`minor`); before 33 there is no
    /// `pods/resize` subresource (404, as on a real cluster of that version).
    pub fn set_kubernetes_minor_version(&self, minor: u32) {
        self.shared.lock().minor_version = minor;
    }

    /// Adds (or replaces) a node with `cpu` and `memory` allocatable (quantities such as `"4"`
    /// and `"16Gi"`). New pods go to the first node by name that takes them
    /// ([`scheduler::place`]).
    pub fn add_node(&self, name: &str, cpu: &str, memory: &str, ready: bool) {
        self.shared
            .lock()
            .nodes
            .insert(name.into(), node(name, cpu, memory, ready));
    }

    /// Marks a node unschedulable (cordoned) or schedulable again; false if there is no such node.
    pub fn cordon(&self, name: &str, cordoned: bool) -> bool {
        let mut state = self.shared.lock();
        let Some(node) = state.nodes.get_mut(name) else {
            return false;
        };
        node.spec.get_or_insert_with(Default::default).unschedulable = Some(cordoned);
        true
    }

    /// Adds a running pod of another workload in `namespace`, bound to `node` and requesting
    /// `cpu` and `memory`; the kubelet runs nothing for it (it only takes room on the node).
    pub fn add_foreign_pod(
        &self,
        namespace: &str,
        name: &str,
        node: &str,
        cpu: &str,
        memory: &str,
    ) {
        let requests = BTreeMap::from([
            ("cpu".to_owned(), Quantity(cpu.into())),
            ("memory".to_owned(), Quantity(memory.into())),
        ]);
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                uid: Some(uuid::Uuid::new_v4().to_string()),
                labels: Some(BTreeMap::from([("app".to_owned(), "other".to_owned())])),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some(node.into()),
                containers: vec![Container {
                    name: "main".into(),
                    image: Some("other:1".into()),
                    resources: Some(ResourceRequirements {
                        requests: Some(requests),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                ..Default::default()
            }),
        };
        let mut state = self.shared.lock();
        state.namespaces.insert(namespace.into());
        self.shared.pod_changed(&mut state, namespace, "ADDED", pod);
    }

    /// Answers 403 Forbidden to `verb` on `resource` at the cluster scope (e.g. `list` `pods`
    /// in all namespaces, `list` `nodes`), leaving namespaced calls allowed.
    pub fn forbid_cluster_wide(&self, verb: &str, resource: &str) {
        self.shared
            .lock()
            .forbidden
            .insert((verb.into(), format!("{resource}{}", api::CLUSTER_SCOPE)));
    }

    /// Answers 403 Forbidden to `verb` (`create`, `list`, `delete`, …) on `resource`.
    pub fn forbid(&self, verb: &str, resource: &str) {
        self.shared
            .lock()
            .forbidden
            .insert((verb.into(), resource.into()));
    }

    /// Deletes a pod with no grace, as an operator or an eviction would, behind the runtime's back.
    pub fn delete_pod_behind_back(&self, namespace: &str, name: &str) -> bool {
        kubelet::delete(&self.shared, namespace, name, 0)
    }

    /// Cuts every open watch connection mid-stream; with `expire`, the event history is dropped
    /// too, so resuming from an old resource version gets `410 Gone` and must re-list.
    pub fn drop_watches(&self, expire: bool) {
        if expire {
            let mut state = self.shared.lock();
            state.log_floor = state.rv;
            state.log.clear();
        }
        self.shared.cut.send_modify(|n| *n += 1);
    }

    /// How many watch connections are open now.
    pub fn open_watches(&self) -> usize {
        self.shared.cut.receiver_count()
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        self.server.abort();
        let state = self.shared.lock();
        for rt in state.runtime.values() {
            if let (Some(pid), false) = (rt.pid, rt.exited) {
                kubelet::signal(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}
