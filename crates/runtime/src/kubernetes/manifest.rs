//! The Pod and Service of one instance, built from its [`UnitSpec`] and the runtime's
//! configuration. Pure functions (golden-tested in `tests/golden/`): no I/O, so what the cluster
//! receives is exactly what the tests see.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    HTTPGetAction, LocalObjectReference, ObjectFieldSelector, Pod, PodSecurityContext, PodSpec,
    Probe, ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Service,
    ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::KubernetesConfig;
use crate::{RuntimeError, UnitSpec};

/// `app.kubernetes.io/name` of every instance pod and Service.
pub const APP_LABEL: &str = "app.kubernetes.io/name";
/// Its value.
pub const APP: &str = "graph-olap-instance";
/// `app.kubernetes.io/managed-by`: the label the runtime lists and adopts pods by.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Its value.
pub const MANAGED_BY: &str = "graph-olap";
/// The instance id label.
pub const INSTANCE_ID_LABEL: &str = "graph-olap.io/instance-id";
/// The wrapper type label.
pub const WRAPPER_TYPE_LABEL: &str = "graph-olap.io/wrapper-type";
/// Annotation holding the instance's URL slug (slugs may exceed a label value's 63 characters).
pub const URL_SLUG_ANNOTATION: &str = "graph-olap.io/url-slug";
/// Labels the runtime sets itself; configuration may not override them.
pub const OWN_LABELS: &[&str] = &[
    APP_LABEL,
    MANAGED_BY_LABEL,
    INSTANCE_ID_LABEL,
    WRAPPER_TYPE_LABEL,
];
/// The label selector of every pod this runtime manages.
pub const SELECTOR: &str =
    "app.kubernetes.io/name=graph-olap-instance,app.kubernetes.io/managed-by=graph-olap";

/// The container's name.
pub const CONTAINER: &str = "instance";
/// Where the snapshot download volume is mounted (`GRAPH_OLAP_INSTANCE_DATA_DIR`).
pub const DATA_MOUNT: &str = "/data";
/// Where the scratch volume is mounted (`TMPDIR`; the root filesystem is read-only).
pub const TMP_MOUNT: &str = "/tmp";
/// The environment variable that carries the internal key; its value never enters a manifest.
pub const INTERNAL_KEY_ENV: &str = "GRAPH_OLAP_INTERNAL_API_KEY";
/// The user and group the server runs as (the image's non-root user).
pub const RUN_AS: i64 = 10001;

/// The URL at which the instance's Service answers inside the cluster (API.md §8).
pub fn service_url(config: &KubernetesConfig, name: &str) -> String {
    format!(
        "http://{name}.{}.svc.{}:{}",
        config.namespace, config.cluster_domain, config.port
    )
}

/// Checks that `spec` can become a pod (names are DNS labels there, stricter than locally).
pub fn validate(spec: &UnitSpec) -> Result<(), RuntimeError> {
    let name = spec.name();
    let starts_with_letter = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if !super::config::is_dns_label(&name) || !starts_with_letter {
        return Err(RuntimeError::InvalidSpec {
            reason: format!(
                "unit name {name:?} must be a DNS label for a pod and Service (lowercase letters, digits and '-', at most 63 characters)"
            ),
        });
    }
    if spec.cpu_cores == 0 {
        return Err(RuntimeError::InvalidSpec {
            reason: "cpu_cores must be at least 1".into(),
        });
    }
    Ok(())
}

/// The labels of the instance's pod and Service.
pub fn labels(config: &KubernetesConfig, spec: &UnitSpec) -> BTreeMap<String, String> {
    let mut labels = config.labels.clone();
    labels.insert(APP_LABEL.into(), APP.into());
    labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
    labels.insert(INSTANCE_ID_LABEL.into(), spec.instance_id.to_string());
    labels.insert(WRAPPER_TYPE_LABEL.into(), spec.wrapper_type.clone());
    labels
}

fn annotations(config: &KubernetesConfig, spec: &UnitSpec) -> BTreeMap<String, String> {
    let mut annotations = config.annotations.clone();
    annotations.insert(URL_SLUG_ANNOTATION.into(), spec.url_slug.clone());
    annotations
}

/// CPU requests and limits for `cores` (API.md §6.1: requests N, limits 2N).
pub fn cpu_quantities(cores: u32) -> (Quantity, Quantity) {
    (
        Quantity(cores.to_string()),
        Quantity((2 * u64::from(cores)).to_string()),
    )
}

/// Memory requests and limits of an instance of `gb` GiB (equal, API.md §6.1).
pub fn memory_quantity(gb: u32) -> Quantity {
    Quantity(format!("{gb}Gi"))
}

/// Size of the snapshot download volume in MiB: the snapshot plus the configured headroom.
pub fn data_volume_mib(config: &KubernetesConfig, snapshot_bytes: Option<u64>) -> u64 {
    snapshot_bytes.unwrap_or(0).div_ceil(1 << 20) + config.data_volume_headroom_mib
}

/// The instance's pod. Fails when no image is configured for its wrapper type.
pub fn pod(config: &KubernetesConfig, spec: &UnitSpec) -> Result<Pod, RuntimeError> {
    validate(spec)?;
    let name = spec.name();
    let image = config
        .image_for(&spec.wrapper_type)
        .ok_or_else(|| RuntimeError::Config {
            setting: format!("kubernetes.images.{}", spec.wrapper_type),
            reason: format!("no image for wrapper type {}", spec.wrapper_type),
        })?;
    let data_mib = data_volume_mib(config, spec.snapshot_bytes);

    let literal = |name: &str, value: &str| EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    };
    let mut env = vec![
        literal("GRAPH_OLAP_INSTANCE_ID", &spec.instance_id.to_string()),
        EnvVar {
            name: "GRAPH_OLAP_POD_NAME".into(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.name".into(),
                    api_version: None,
                }),
                ..Default::default()
            }),
        },
        literal("GRAPH_OLAP_INSTANCE_DATA_DIR", DATA_MOUNT),
        literal("TMPDIR", TMP_MOUNT),
        literal(crate::MALLOC_ARENA_MAX.0, crate::MALLOC_ARENA_MAX.1),
    ];
    if let Some(path) = &spec.snapshot_path {
        env.push(literal("GRAPH_OLAP_SNAPSHOT_PATH", path));
    }
    for (key, value) in &spec.env {
        if key == INTERNAL_KEY_ENV {
            continue;
        }
        env.push(literal(key, value));
    }
    env.push(EnvVar {
        name: INTERNAL_KEY_ENV.into(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: config.internal_key_secret.name.clone(),
                key: config.internal_key_secret.key.clone(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
    });

    let (cpu_request, cpu_limit) = cpu_quantities(spec.cpu_cores);
    let mut requests = BTreeMap::from([
        ("cpu".to_owned(), cpu_request),
        (
            "ephemeral-storage".to_owned(),
            Quantity(format!("{data_mib}Mi")),
        ),
    ]);
    let mut limits = BTreeMap::from([("cpu".to_owned(), cpu_limit)]);
    if let Some(gb) = spec.memory_gb {
        // Memory is not compressible: requests = limits, so the scheduler's promise holds.
        requests.insert("memory".into(), memory_quantity(gb));
        limits.insert("memory".into(), memory_quantity(gb));
    }

    let http_probe = |path: &str, period: i32, failures: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        timeout_seconds: Some(3),
        ..Default::default()
    };

    let container = Container {
        name: CONTAINER.into(),
        image: Some(image.into()),
        image_pull_policy: config.image_pull_policy.clone(),
        command: Some(vec![config.program.clone(), "instance".into()]),
        args: Some(vec![
            "--listen".into(),
            format!("0.0.0.0:{}", config.port),
            "--internal-url".into(),
            service_url(config, &name),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: i32::from(config.port),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        env: Some(env),
        resources: Some(ResourceRequirements {
            requests: Some(requests),
            limits: Some(limits),
            ..Default::default()
        }),
        // Up to 10 minutes to start serving /health; then ready once the snapshot is loaded.
        startup_probe: Some(http_probe("/health", 5, 120)),
        readiness_probe: Some(http_probe("/ready", 5, 3)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            privileged: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            ..Default::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".into(),
                mount_path: DATA_MOUNT.into(),
                ..Default::default()
            },
            VolumeMount {
                name: "tmp".into(),
                mount_path: TMP_MOUNT.into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };

    let empty_dir = |mib: u64| EmptyDirVolumeSource {
        medium: None,
        size_limit: Some(Quantity(format!("{mib}Mi"))),
    };
    Ok(Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(config.namespace.clone()),
            labels: Some(labels(config, spec)),
            annotations: Some(annotations(config, spec)),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![container],
            // An instance that dies is failed by the control plane, never restarted in place.
            restart_policy: Some("Never".into()),
            termination_grace_period_seconds: Some(config.termination_grace_period_seconds),
            service_account_name: config.service_account.clone(),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            node_selector: (!config.node_selector.is_empty()).then(|| config.node_selector.clone()),
            tolerations: (!config.tolerations.is_empty()).then(|| config.tolerations.clone()),
            image_pull_secrets: (!config.image_pull_secrets.is_empty()).then(|| {
                config
                    .image_pull_secrets
                    .iter()
                    .map(|n| LocalObjectReference { name: n.clone() })
                    .collect()
            }),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(RUN_AS),
                run_as_group: Some(RUN_AS),
                fs_group: Some(RUN_AS),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    localhost_profile: None,
                }),
                ..Default::default()
            }),
            volumes: Some(vec![
                Volume {
                    name: "data".into(),
                    empty_dir: Some(empty_dir(data_mib)),
                    ..Default::default()
                },
                Volume {
                    name: "tmp".into(),
                    empty_dir: Some(empty_dir(256)),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
        status: None,
    })
}

/// The instance's Service, owned by its pod (`pod_uid`) so that deleting the pod removes it.
pub fn service(config: &KubernetesConfig, spec: &UnitSpec, pod_uid: &str) -> Service {
    let name = spec.name();
    let selector = BTreeMap::from([
        (APP_LABEL.to_owned(), APP.to_owned()),
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
        (INSTANCE_ID_LABEL.to_owned(), spec.instance_id.to_string()),
    ]);
    Service {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(config.namespace.clone()),
            labels: Some(labels(config, spec)),
            annotations: Some(annotations(config, spec)),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Pod".into(),
                name,
                uid: pod_uid.into(),
                controller: Some(true),
                block_owner_deletion: Some(false),
            }]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: i32::from(config.port),
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}
