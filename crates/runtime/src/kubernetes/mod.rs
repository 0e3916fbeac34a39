//! The Kubernetes runtime: each unit is a Pod running `graph-olap instance` plus a Service of
//! the same name owned by the Pod (API.md §8), in one namespace.
//!
//! Owns: building the manifests ([`manifest`]), reading pod status into unit states
//! ([`observe`]: exit codes, `OOMKilled` with the limit, unschedulable or stuck past a deadline
//! with the cluster's message), the start-up checks of the configuration against the cluster, and
//! a pod watch that tells the control plane about changes at once ([`KubernetesRuntime::changes`]).
//! Does not own: instance rows and what a unit's state means for them (the control plane's
//! reconciliation).
//!
//! **Kubernetes API version.** Built against the `v1_33` API of `k8s-openapi` (pinned in the
//! workspace `Cargo.toml`); any cluster serving `core/v1` Pods and Services works, and
//! `resize_cpu` needs the pod `resize` subresource (Kubernetes 1.33+, in-place pod resize).
//!
//! **Adoption.** Nothing is kept outside the cluster: `list` is a label-selected pod list
//! ([`manifest::SELECTOR`]), so a restarted control plane (or another replica) sees every pod
//! it or a predecessor started. One installation per namespace.
//!
//! **Reaching a unit.** `internal_url` is the Service's cluster DNS name,
//! `http://wrapper-{slug}.{namespace}.svc.{cluster_domain}:{port}`; nothing in the runtime
//! resolves it, the cluster's DNS does (in tests, an HTTP proxy standing in for it).

pub mod config;
pub mod manifest;
pub mod observe;
pub mod quantity;
mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};

pub use self::config::{KubernetesConfig, SecretKeyRef};
use crate::{
    NodeCapacity, RequestScope, Resources, Runtime, RuntimeCapacity, RuntimeError, RuntimeHealth,
    UNIT_PHASES, UnitInfo, UnitSpec,
};

/// How long `start` waits for a failed pod of the same name to disappear before replacing it.
const REPLACE_WAIT: Duration = Duration::from_secs(30);
/// How long `stop` waits beyond the grace period before deleting the pod with no grace.
const STOP_EXTRA: Duration = Duration::from_secs(5);
/// Polling period while waiting for a pod to go.
const POLL: Duration = Duration::from_millis(200);

/// Runs each unit as a Kubernetes Pod with a Service (see the module documentation).
#[derive(Clone)]
pub struct KubernetesRuntime {
    inner: Arc<Inner>,
}

struct Inner {
    config: KubernetesConfig,
    client: kube::Client,
    pods: Api<Pod>,
    services: Api<Service>,
    changes: tokio::sync::watch::Receiver<u64>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl std::fmt::Debug for KubernetesRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesRuntime")
            .field("namespace", &self.inner.config.namespace)
            .finish_non_exhaustive()
    }
}

impl KubernetesRuntime {
    /// Connects with `config.kubeconfig`, else the in-cluster configuration, else
    /// `KUBECONFIG`/`~/.kube/config`, then checks the configuration against the cluster (see
    /// [`KubernetesRuntime::with_client`]).
    pub async fn connect(config: KubernetesConfig) -> Result<Self, RuntimeError> {
        config.validate()?;
        let client_config = match &config.kubeconfig {
            Some(path) => {
                let kubeconfig = kube::config::Kubeconfig::read_from(path).map_err(|e| {
                    RuntimeError::Config {
                        setting: "kubernetes.kubeconfig".into(),
                        reason: format!("cannot read {}: {e}", path.display()),
                    }
                })?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                    .await
                    .map_err(|e| RuntimeError::Config {
                        setting: "kubernetes.kubeconfig".into(),
                        reason: e.to_string(),
                    })?
            }
            None => kube::Config::infer().await.map_err(|e| RuntimeError::Config {
                setting: "kubernetes.kubeconfig".into(),
                reason: format!(
                    "no in-cluster configuration and no usable kubeconfig (set kubernetes.kubeconfig or KUBECONFIG): {e}"
                ),
            })?,
        };
        let client = kube::Client::try_from(client_config).map_err(|e| RuntimeError::Config {
            setting: "kubernetes.kubeconfig".into(),
            reason: e.to_string(),
        })?;
        Self::with_client(client, config).await
    }

    /// Uses `client`, after checking the configuration against the cluster: listing pods in the
    /// namespace (RBAC) and a server-side dry run of an instance pod per wrapper type (the
    /// namespace exists, `create pods` is allowed, admission accepts the manifest). Each failure
    /// names the setting to fix.
    pub async fn with_client(
        client: kube::Client,
        config: KubernetesConfig,
    ) -> Result<Self, RuntimeError> {
        config.validate()?;
        let pods: Api<Pod> = Api::namespaced(client.clone(), &config.namespace);
        let services: Api<Service> = Api::namespaced(client.clone(), &config.namespace);
        preflight(&config, &pods).await?;
        let (changes, watcher) = watch::spawn(pods.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                client,
                pods,
                services,
                changes,
                watcher,
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &KubernetesConfig {
        &self.inner.config
    }

    /// A counter that moves whenever the pod watch sees one of our pods change or go; the
    /// control plane runs reconciliation on a change instead of waiting for its next interval.
    /// The watch re-lists and resumes by itself after a dropped connection.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.clone()
    }

    fn info(&self, pod: &Pod) -> Option<UnitInfo> {
        observe::unit_info(&self.inner.config, pod, chrono::Utc::now())
    }

    async fn get_pod(&self, name: &str) -> Result<Option<Pod>, RuntimeError> {
        let pod = self
            .inner
            .pods
            .get_opt(name)
            .await
            .map_err(|e| api_error(format!("get pod {name}"), e))?;
        Ok(pod.filter(is_ours))
    }

    /// Waits until pod `name` is gone; returns whether it went within `timeout`.
    async fn wait_gone(&self, name: &str, timeout: Duration) -> Result<bool, RuntimeError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.get_pod(name).await?.is_none() {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn delete_pod(&self, name: &str, grace: Duration) -> Result<(), RuntimeError> {
        let params = DeleteParams {
            grace_period_seconds: Some(u32::try_from(grace.as_secs()).unwrap_or(u32::MAX)),
            ..DeleteParams::background()
        };
        match self.inner.pods.delete(name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(api_error(format!("delete pod {name}"), e)),
        }
    }

    /// Creates the pod's Service, or replaces one left from an earlier pod of the same name.
    async fn ensure_service(&self, spec: &UnitSpec, pod: &Pod) -> Result<(), RuntimeError> {
        let name = spec.name();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let wanted = manifest::service(&self.inner.config, spec, &uid);
        let services = &self.inner.services;
        let existing = services
            .get_opt(&name)
            .await
            .map_err(|e| api_error(format!("get service {name}"), e))?;
        if let Some(existing) = existing {
            let owned = existing
                .metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid);
            if owned {
                return Ok(());
            }
            let _ = services.delete(&name, &DeleteParams::default()).await;
        }
        match services.create(&PostParams::default(), &wanted).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
            Err(e) => Err(api_error(format!("create service {name}"), e)),
        }
    }
}

impl KubernetesRuntime {
    /// Patches the instance container's `resources` through the pod's `resize` subresource.
    /// 404 from an existing pod means the cluster has no such subresource (before 1.33): the
    /// error says so, with the cluster's version when it tells it.
    async fn resize(
        &self,
        name: &str,
        what: &str,
        resources: serde_json::Value,
    ) -> Result<(), RuntimeError> {
        if self.get_pod(name).await?.is_none() {
            return Err(RuntimeError::NotFound { name: name.into() });
        }
        let patch = serde_json::json!({"spec": {"containers": [{
            "name": manifest::CONTAINER,
            "resources": resources,
        }]}});
        let answer = self
            .inner
            .pods
            .patch_subresource(
                "resize",
                name,
                &PatchParams::default(),
                &Patch::Strategic(patch),
            )
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 405 => {
                let version = match self.inner.client.apiserver_version().await {
                    Ok(v) => format!("this cluster runs Kubernetes {}", v.git_version),
                    Err(_) => "the cluster did not tell its version".to_owned(),
                };
                Err(RuntimeError::Unsupported {
                    reason: format!(
                        "this cluster does not offer in-place pod resize: changing {what} in place needs Kubernetes 1.33 or later (the pods/resize subresource), {version}, and the subresource answered {} {}; {name} keeps its current {what} — start a new instance to change it",
                        s.code, s.reason
                    ),
                })
            }
            Err(e) => Err(api_error(format!("resize {what} of pod {name}"), e)),
        }
    }
}

fn is_ours(pod: &Pod) -> bool {
    pod.metadata.labels.as_ref().is_some_and(|l| {
        l.get(manifest::MANAGED_BY_LABEL).map(String::as_str) == Some(manifest::MANAGED_BY)
            && l.get(manifest::APP_LABEL).map(String::as_str) == Some(manifest::APP)
    })
}

/// A Kubernetes client error as a runtime error carrying the API's reason and message.
fn api_error(operation: String, e: kube::Error) -> RuntimeError {
    match e {
        kube::Error::Api(s) => RuntimeError::Kubernetes {
            operation,
            reason: format!("{}: {}", s.reason, s.message),
            status: Some(s.code),
        },
        other => RuntimeError::Kubernetes {
            operation,
            reason: other.to_string(),
            status: None,
        },
    }
}

/// Start-up checks against the cluster; every error names the setting to fix.
async fn preflight(config: &KubernetesConfig, pods: &Api<Pod>) -> Result<(), RuntimeError> {
    let ns = &config.namespace;
    let setting_error = |setting: &str, what: &str, e: kube::Error| match e {
        kube::Error::Api(s) if s.code == 403 => RuntimeError::Config {
            setting: setting.into(),
            reason: format!(
                "{what} in namespace {ns} is forbidden — the control plane's service account needs a Role allowing get, list, watch, create, delete and patch on pods, pods/resize and services there ({}: {})",
                s.reason, s.message
            ),
        },
        kube::Error::Api(s) if s.code == 404 => RuntimeError::Config {
            setting: "kubernetes.namespace".into(),
            reason: format!(
                "namespace {ns} does not exist ({}: {})",
                s.reason, s.message
            ),
        },
        kube::Error::Api(s) => RuntimeError::Config {
            setting: setting.into(),
            reason: format!("{what} was refused: {} {}: {}", s.code, s.reason, s.message),
        },
        other => RuntimeError::Config {
            setting: "kubernetes.kubeconfig".into(),
            reason: format!("cannot reach the Kubernetes API for {what}: {other}"),
        },
    };
    pods.list(&ListParams::default().labels(manifest::SELECTOR).limit(1))
        .await
        .map_err(|e| setting_error("kubernetes.namespace", "listing pods", e))?;
    for wrapper in config::WRAPPER_TYPES {
        let probe = UnitSpec {
            instance_id: 0,
            url_slug: "preflight".into(),
            cpu_cores: 1,
            memory_gb: Some(2),
            wrapper_type: (*wrapper).into(),
            snapshot_path: None,
            snapshot_bytes: None,
            env: vec![(
                "GRAPH_OLAP_CONTROL_PLANE_URL".into(),
                "http://preflight.invalid".into(),
            )],
        };
        let pod = manifest::pod(config, &probe)?;
        pods.create(
            &PostParams {
                dry_run: true,
                field_manager: None,
            },
            &pod,
        )
        .await
        .map_err(|e| {
            setting_error(
                &format!("kubernetes.images.{wrapper}"),
                &format!("a dry-run create of a {wrapper} instance pod"),
                e,
            )
        })?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl Runtime for KubernetesRuntime {
    fn kind(&self) -> &'static str {
        "kubernetes"
    }

    async fn start(&self, spec: &UnitSpec) -> Result<UnitInfo, RuntimeError> {
        let wanted = manifest::pod(&self.inner.config, spec)?;
        let name = spec.name();
        if let Some(existing) = self.get_pod(&name).await? {
            let live = existing.metadata.deletion_timestamp.is_none()
                && self.info(&existing).is_some_and(|u| u.state.is_running());
            if live {
                self.ensure_service(spec, &existing).await?;
                return self
                    .info(&existing)
                    .ok_or_else(|| RuntimeError::InvalidSpec {
                        reason: format!("pod {name} has no instance id label"),
                    });
            }
            self.delete_pod(&name, Duration::ZERO).await?;
            if !self.wait_gone(&name, REPLACE_WAIT).await? {
                return Err(RuntimeError::Kubernetes {
                    operation: format!("replace pod {name}"),
                    reason: format!(
                        "the previous pod did not go within {} s",
                        REPLACE_WAIT.as_secs()
                    ),
                    status: None,
                });
            }
        }
        let created = match self
            .inner
            .pods
            .create(&PostParams::default(), &wanted)
            .await
        {
            Ok(pod) => pod,
            // Another replica created it first: adopt it.
            Err(kube::Error::Api(s)) if s.code == 409 => self
                .get_pod(&name)
                .await?
                .ok_or_else(|| RuntimeError::NotFound { name: name.clone() })?,
            Err(e) => return Err(api_error(format!("create pod {name}"), e)),
        };
        if let Err(e) = self.ensure_service(spec, &created).await {
            // Without its Service the pod is unreachable: do not leave it running.
            let _ = self.delete_pod(&name, Duration::ZERO).await;
            return Err(e);
        }
        tracing::info!(unit = %name, namespace = %self.inner.config.namespace, instance_id = spec.instance_id, "pod created");
        self.info(&created)
            .ok_or_else(|| RuntimeError::InvalidSpec {
                reason: format!("pod {name} has no instance id label"),
            })
    }

    async fn stop(&self, name: &str, grace: Duration) -> Result<(), RuntimeError> {
        if self.get_pod(name).await?.is_none() {
            let _ = self
                .inner
                .services
                .delete(name, &DeleteParams::default())
                .await;
            return Ok(());
        }
        self.delete_pod(name, grace).await?;
        // The Service goes with its owner; deleting it now makes that immediate.
        match self
            .inner
            .services
            .delete(name, &DeleteParams::default())
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => {
                tracing::warn!(unit = name, error = %e, "could not delete the Service; garbage collection will")
            }
        }
        if !self.wait_gone(name, grace + STOP_EXTRA).await? {
            tracing::warn!(
                unit = name,
                "pod outlived its grace period; deleting it with no grace"
            );
            self.delete_pod(name, Duration::ZERO).await?;
        }
        tracing::info!(unit = name, "pod deleted");
        Ok(())
    }

    async fn list(&self) -> Result<Vec<UnitInfo>, RuntimeError> {
        let pods = self
            .inner
            .pods
            .list(&ListParams::default().labels(manifest::SELECTOR))
            .await
            .map_err(|e| api_error("list pods".into(), e))?;
        Ok(pods.items.iter().filter_map(|p| self.info(p)).collect())
    }

    async fn get(&self, name: &str) -> Result<Option<UnitInfo>, RuntimeError> {
        Ok(self.get_pod(name).await?.and_then(|p| self.info(&p)))
    }

    /// Patches the pod's `resize` subresource (in-place resize, Kubernetes 1.33+): requests N,
    /// limits 2N. A cluster without the subresource answers 404, reported as unsupported.
    async fn resize_cpu(&self, name: &str, cores: u32) -> Result<(), RuntimeError> {
        if cores == 0 {
            return Err(RuntimeError::InvalidSpec {
                reason: "cpu_cores must be at least 1".into(),
            });
        }
        let (request, limit) = manifest::cpu_quantities(cores);
        self.resize(
            name,
            "CPU",
            serde_json::json!({"requests": {"cpu": request}, "limits": {"cpu": limit}}),
        )
        .await
    }

    /// Patches the pod's `resize` subresource: memory requests = limits = `gb` GiB, in place
    /// (Kubernetes 1.33+ grows memory without a restart). More than `max_memory_gb` is refused
    /// before asking; a cluster without the subresource is reported as unsupported.
    async fn resize_memory(&self, name: &str, gb: u32) -> Result<(), RuntimeError> {
        if gb == 0 {
            return Err(RuntimeError::InvalidSpec {
                reason: "memory_gb must be at least 1".into(),
            });
        }
        if let Some(max) = self.inner.config.max_memory_gb
            && i64::from(gb) > max
        {
            return Err(RuntimeError::InvalidSpec {
                reason: format!(
                    "{gb} GiB is more than kubernetes.max_memory_gb ({max} GiB, the largest node)"
                ),
            });
        }
        let memory = manifest::memory_quantity(gb);
        self.resize(
            name,
            "memory",
            serde_json::json!({"requests": {"memory": memory}, "limits": {"memory": memory}}),
        )
        .await
    }

    async fn health(&self) -> Result<RuntimeHealth, RuntimeError> {
        let began = Instant::now();
        let units = self.list().await?;
        Ok(RuntimeHealth {
            kind: self.kind().to_owned(),
            units_running: units.iter().filter(|u| u.state.is_running()).count(),
            units_total: units.len(),
            latency_ms: u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Our pods by phase; every node's allocatable CPU and memory and the requests of the
    /// non-terminated pods on it — in every namespace when the service account may list pods
    /// cluster-wide, else only ours ([`RequestScope::OwnUnits`]). Listing nodes needs a
    /// ClusterRole; without it the error says so.
    async fn capacity(&self) -> Result<RuntimeCapacity, RuntimeError> {
        let ours = self
            .inner
            .pods
            .list(&ListParams::default().labels(manifest::SELECTOR))
            .await
            .map_err(|e| api_error("list pods".into(), e))?
            .items;
        let mut units_by_phase = std::collections::BTreeMap::new();
        for pod in &ours {
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            let phase = phase
                .filter(|p| UNIT_PHASES.contains(p))
                .unwrap_or(if phase.is_none() {
                    "Pending"
                } else {
                    "Unknown"
                });
            *units_by_phase.entry(phase.to_owned()).or_insert(0) += 1;
        }
        let nodes: Api<Node> = Api::all(self.inner.client.clone());
        let nodes = nodes
            .list(&ListParams::default())
            .await
            .map_err(|e| match e {
                kube::Error::Api(s) if s.code == 403 => RuntimeError::Kubernetes {
                    operation: "list nodes".into(),
                    reason: format!(
                        "{}: {} — the control plane's service account needs a ClusterRole allowing get and list on nodes (the chart's rbac.clusterCapacity)",
                        s.reason, s.message
                    ),
                    status: Some(403),
                },
                other => api_error("list nodes".into(), other),
            })?
            .items;
        let all: Api<Pod> = Api::all(self.inner.client.clone());
        let active = ListParams::default().fields("status.phase!=Succeeded,status.phase!=Failed");
        let (counted, requests_counted) = match all.list(&active).await {
            Ok(list) => (list.items, RequestScope::AllPods),
            Err(kube::Error::Api(s)) if s.code == 403 => {
                let running = ours
                    .into_iter()
                    .filter(|p| {
                        !matches!(
                            p.status.as_ref().and_then(|s| s.phase.as_deref()),
                            Some("Succeeded" | "Failed")
                        )
                    })
                    .collect();
                (running, RequestScope::OwnUnits)
            }
            Err(e) => return Err(api_error("list pods in all namespaces".into(), e)),
        };
        let mut per_node: std::collections::BTreeMap<String, (Resources, usize)> =
            Default::default();
        for pod in &counted {
            if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
                let entry = per_node.entry(node).or_default();
                entry.0 = entry.0.plus(quantity::pod_requests(pod));
                entry.1 += 1;
            }
        }
        let nodes = nodes
            .iter()
            .map(|node| {
                let name = node.metadata.name.clone().unwrap_or_default();
                let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
                let ready = node
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .into_iter()
                    .flatten()
                    .any(|c| c.type_ == "Ready" && c.status == "True");
                let (requested, pods) = per_node.get(&name).copied().unwrap_or_default();
                NodeCapacity {
                    ready,
                    schedulable: !node
                        .spec
                        .as_ref()
                        .and_then(|s| s.unschedulable)
                        .unwrap_or(false),
                    allocatable: Resources {
                        cpu_millicores: allocatable
                            .and_then(|a| a.get("cpu"))
                            .and_then(quantity::millicores)
                            .unwrap_or(0),
                        memory_bytes: allocatable
                            .and_then(|a| a.get("memory"))
                            .and_then(quantity::bytes)
                            .unwrap_or(0),
                    },
                    requested,
                    pods,
                    name,
                }
            })
            .collect();
        Ok(RuntimeCapacity {
            kind: self.kind().to_owned(),
            units_by_phase,
            nodes,
            requests_counted,
        })
    }

    fn memory_limit_gb(&self) -> Option<i64> {
        self.inner.config.max_memory_gb
    }

    async fn shutdown_all(&self, grace: Duration) -> Result<(), RuntimeError> {
        let units = self.list().await?;
        let stops = units.iter().map(|u| self.stop(&u.name, grace));
        futures::future::join_all(stops).await.into_iter().collect()
    }
}
