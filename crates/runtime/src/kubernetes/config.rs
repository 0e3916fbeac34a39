//! The Kubernetes runtime's configuration: the `[kubernetes]` table of the control plane's
//! configuration file. Owns the settings, their defaults and the checks that need no cluster;
//! the checks that do (namespace, RBAC) run when the runtime connects.

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::Toleration;
use serde::Deserialize;

use crate::RuntimeError;

/// How instance pods are built and where they run (see `docs/kubernetes.md` for each key).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    /// Namespace of the instance pods and Services (default `default`).
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Container image per wrapper type (`ryugraph`, `falkordb`). A wrapper type missing here
    /// uses [`KubernetesConfig::image`].
    #[serde(default)]
    pub images: BTreeMap<String, String>,
    /// Image for every wrapper type not listed in [`KubernetesConfig::images`].
    #[serde(default)]
    pub image: Option<String>,
    /// `Always`, `IfNotPresent` or `Never` (default: Kubernetes' own default for the tag).
    #[serde(default)]
    pub image_pull_policy: Option<String>,
    /// Names of Secrets holding registry credentials for the images.
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    /// The instance server's executable inside the image (default `/usr/local/bin/graph-olap`).
    #[serde(default = "default_program")]
    pub program: String,
    /// Node selector of instance pods.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations of instance pods (Kubernetes' own field names, e.g. `tolerationSeconds`).
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Service account of instance pods (the chart creates one without API permissions).
    #[serde(default)]
    pub service_account: Option<String>,
    /// Extra labels on every instance pod and Service (may not override the runtime's own).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Extra annotations on every instance pod and Service.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The Secret holding the control plane's internal key, passed to pods by reference.
    pub internal_key_secret: SecretKeyRef,
    /// Port of the instance server in the pod and of its Service (default 8000, API.md §8).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Seconds a pod gets between SIGTERM and SIGKILL (default 30).
    #[serde(default = "default_grace")]
    pub termination_grace_period_seconds: i64,
    /// Seconds a pod may stay unschedulable before its instance fails with the scheduler's
    /// message (default 300).
    #[serde(default = "default_unschedulable")]
    pub unschedulable_deadline_seconds: u64,
    /// Size of the snapshot download volume beyond the snapshot itself, in MiB (default 1024).
    #[serde(default = "default_headroom")]
    pub data_volume_headroom_mib: u64,
    /// Cluster DNS domain used to build the Service URL (default `cluster.local`).
    #[serde(default = "default_domain")]
    pub cluster_domain: String,
    /// A kubeconfig file for development (default: in-cluster configuration, else
    /// `KUBECONFIG`/`~/.kube/config`).
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    /// The most memory in GiB one instance may be given (largest node's allocatable, say);
    /// default: only the API's limit.
    #[serde(default)]
    pub max_memory_gb: Option<i64>,
}

/// A key in a Secret of the runtime's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    /// Secret name.
    pub name: String,
    /// Key inside the Secret.
    pub key: String,
}

fn default_namespace() -> String {
    "default".into()
}
fn default_program() -> String {
    "/usr/local/bin/graph-olap".into()
}
fn default_port() -> u16 {
    8000
}
fn default_grace() -> i64 {
    30
}
fn default_unschedulable() -> u64 {
    300
}
fn default_headroom() -> u64 {
    1024
}
fn default_domain() -> String {
    "cluster.local".into()
}

/// The wrapper types the API accepts (API.md §6.1); each needs an image.
pub const WRAPPER_TYPES: &[&str] = &["ryugraph", "falkordb"];

impl KubernetesConfig {
    /// A configuration with every default, one image for all wrapper types and the internal
    /// key in Secret `secret`, key `internal-api-key`.
    pub fn new(namespace: &str, image: &str, secret: &str) -> Self {
        Self {
            namespace: namespace.into(),
            images: BTreeMap::new(),
            image: Some(image.into()),
            image_pull_policy: None,
            image_pull_secrets: Vec::new(),
            program: default_program(),
            node_selector: BTreeMap::new(),
            tolerations: Vec::new(),
            service_account: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            internal_key_secret: SecretKeyRef {
                name: secret.into(),
                key: "internal-api-key".into(),
            },
            port: default_port(),
            termination_grace_period_seconds: default_grace(),
            unschedulable_deadline_seconds: default_unschedulable(),
            data_volume_headroom_mib: default_headroom(),
            cluster_domain: default_domain(),
            kubeconfig: None,
            max_memory_gb: None,
        }
    }

    /// The image for `wrapper_type`.
    pub fn image_for(&self, wrapper_type: &str) -> Option<&str> {
        self.images
            .get(wrapper_type)
            .or(self.image.as_ref())
            .map(String::as_str)
            .filter(|i| !i.trim().is_empty())
    }

    /// Checks what can be checked without a cluster; each error names its setting.
    pub fn validate(&self) -> Result<(), RuntimeError> {
        let bad = |setting: &str, reason: String| RuntimeError::Config {
            setting: format!("kubernetes.{setting}"),
            reason,
        };
        if !is_dns_label(&self.namespace) {
            return Err(bad(
                "namespace",
                format!(
                    "{:?} is not a namespace name (lowercase letters, digits and '-', at most 63)",
                    self.namespace
                ),
            ));
        }
        for wrapper in WRAPPER_TYPES {
            if self.image_for(wrapper).is_none() {
                return Err(bad(
                    &format!("images.{wrapper}"),
                    format!(
                        "no image for wrapper type {wrapper}: set kubernetes.image or kubernetes.images.{wrapper}"
                    ),
                ));
            }
        }
        if let Some(unknown) = self
            .images
            .keys()
            .find(|k| !WRAPPER_TYPES.contains(&k.as_str()))
        {
            return Err(bad(
                &format!("images.{unknown}"),
                format!("unknown wrapper type (known: {})", WRAPPER_TYPES.join(", ")),
            ));
        }
        if let Some(policy) = &self.image_pull_policy
            && !["Always", "IfNotPresent", "Never"].contains(&policy.as_str())
        {
            return Err(bad(
                "image_pull_policy",
                format!("{policy:?} must be Always, IfNotPresent or Never"),
            ));
        }
        if self.internal_key_secret.name.is_empty() || self.internal_key_secret.key.is_empty() {
            return Err(bad(
                "internal_key_secret",
                "name and key of the Secret holding the internal key are required".into(),
            ));
        }
        if self.port == 0 {
            return Err(bad("port", "must be 1-65535".into()));
        }
        if self.termination_grace_period_seconds < 1 {
            return Err(bad(
                "termination_grace_period_seconds",
                "must be at least 1".into(),
            ));
        }
        if self.program.is_empty() {
            return Err(bad("program", "must name the graph-olap executable".into()));
        }
        for key in self.labels.keys() {
            if super::manifest::OWN_LABELS.contains(&key.as_str()) {
                return Err(bad(
                    &format!("labels.{key}"),
                    "is set by the runtime and cannot be overridden".into(),
                ));
            }
        }
        Ok(())
    }
}

/// An RFC 1123 DNS label: 1–63 lowercase letters, digits and `-`, alphanumeric at both ends.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
