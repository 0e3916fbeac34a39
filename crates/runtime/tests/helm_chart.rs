//! The Helm chart (`deploy/helm/graph-olap`) rendered by the real `helm` — with the required
//! values only and with `deploy/helm/tests/values-full.yaml` (every option on) — and checked
//! against the Kubernetes API types of the pinned `k8s-openapi` (v1_33): each manifest must
//! deserialise into its kind's type and serialise back to the same JSON, so a misspelt or
//! misplaced field (which the type does not know and would drop) fails the test with its path.
//! Beyond the types: the configuration file in the ConfigMap is read as this runtime reads its
//! `[kubernetes]` table and validated; every `GRAPH_OLAP_*` variable the chart sets is one the
//! code reads; every `.Values` path a template uses is documented in `values.yaml`; and the
//! objects wire together (selectors, Secret references, RBAC for exactly what the runtime calls).
//!
//! `helm` comes from `GRAPH_OLAP_HELM` (scripts/test installs it, see scripts/deploy-tools.sh),
//! else `helm` on the PATH. Without it the test fails under CI and says it was skipped otherwise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use graph_olap_runtime::KubernetesConfig;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::Deserialize;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chart() -> PathBuf {
    repo().join("deploy/helm/graph-olap")
}

/// The helm binary, or `None` (with a note) where it is not installed outside CI.
fn helm() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GRAPH_OLAP_HELM") {
        return Some(path.into());
    }
    let on_path = Command::new("helm").arg("version").output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return Some("helm".into());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "helm is not installed: scripts/test installs it (scripts/deploy-tools.sh)"
    );
    eprintln!(
        "SKIPPED: helm is not installed (set GRAPH_OLAP_HELM or run scripts/test, which installs it)"
    );
    None
}

/// `helm template` of the chart with `args`; the manifests as JSON values, empty documents left out.
fn render(helm: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::new(helm)
        .arg("template")
        .arg("release")
        .arg(chart())
        .args(["--namespace", "analytics"])
        .args(args)
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm template {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 manifests");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            serde_json::to_value(serde_yaml::Value::deserialize(doc).expect("YAML")).unwrap()
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// Required values only (the chart refuses to render without them).
const REQUIRED: &[&str] = &[
    "--set",
    "config.warehouseUrl=postgres://warehouse.example/sales",
    "--set",
    "config.storageRoot=s3://snapshots/graph-olap",
    "--set",
    "secrets.databaseUrl=postgres://graph-olap@db.example/graph_olap",
];

/// Drops `null` members (the API server treats them as absent), recursively.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), without_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The first path where `a` and `b` differ, e.g. `spec.template.spec.containers[0].envv`.
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => difference(p, q, &format!("{path}.{k}")),
                (Some(_), None) => Some(format!("{path}.{k} (unknown to the API type)")),
                (None, Some(_)) => Some(format!("{path}.{k} (added by the API type)")),
                (None, None) => None,
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| difference(p, q, &format!("{path}[{i}]"))),
        _ => (a != b).then(|| format!("{path}: {a} ≠ {b}")),
    }
}

/// Deserialises `doc` as `T` and checks nothing was lost or changed on the way back.
fn strictly<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) -> T {
    let name = format!("{} {}", doc["kind"], doc["metadata"]["name"]);
    let typed: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{name} is not a valid {}: {e}", doc["kind"]));
    let back = serde_json::to_value(&typed).unwrap();
    if let Some(d) = difference(&without_nulls(doc), &without_nulls(&back), "") {
        panic!("{name}: {d}\n{doc:#}");
    }
    typed
}

/// Every manifest checked against its API type; the kinds seen.
fn check_types(docs: &[Value]) -> Vec<String> {
    let mut kinds = Vec::new();
    for doc in docs {
        let kind = doc["kind"].as_str().expect("kind").to_owned();
        let api = doc["apiVersion"].as_str().expect("apiVersion");
        match (api, kind.as_str()) {
            ("apps/v1", "Deployment") => drop(strictly::<Deployment>(doc)),
            ("v1", "Service") => drop(strictly::<Service>(doc)),
            ("v1", "ServiceAccount") => drop(strictly::<ServiceAccount>(doc)),
            ("v1", "ConfigMap") => drop(strictly::<ConfigMap>(doc)),
            ("v1", "Secret") => drop(strictly::<Secret>(doc)),
            ("rbac.authorization.k8s.io/v1", "Role") => drop(strictly::<Role>(doc)),
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => drop(strictly::<RoleBinding>(doc)),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => drop(strictly::<ClusterRole>(doc)),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                drop(strictly::<ClusterRoleBinding>(doc))
            }
            ("networking.k8s.io/v1", "NetworkPolicy") => drop(strictly::<NetworkPolicy>(doc)),
            ("networking.k8s.io/v1", "Ingress") => drop(strictly::<Ingress>(doc)),
            ("policy/v1", "PodDisruptionBudget") => drop(strictly::<PodDisruptionBudget>(doc)),
            // A Prometheus Operator CRD: not in k8s-openapi; its fields are checked by hand.
            ("monitoring.coreos.com/v1", "ServiceMonitor") => {
                let spec = doc["spec"].as_object().expect("ServiceMonitor spec");
                let keys: BTreeSet<&str> = spec.keys().map(String::as_str).collect();
                assert_eq!(keys, BTreeSet::from(["endpoints", "selector"]), "{doc}");
                for e in doc["spec"]["endpoints"].as_array().unwrap() {
                    for k in e.as_object().unwrap().keys() {
                        assert!(["port", "path", "interval"].contains(&k.as_str()), "{k}");
                    }
                }
            }
            other => panic!("the chart renders {other:?}, which this test does not check"),
        }
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        assert!(
            !name.is_empty() && name.len() <= 63,
            "{kind} name {name:?} must be a DNS label"
        );
        kinds.push(kind);
    }
    kinds.sort();
    kinds
}

fn find<'a>(docs: &'a [Value], kind: &str, suffix: &str) -> &'a Value {
    docs.iter()
        .find(|d| {
            d["kind"] == kind
                && d["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("no {kind} named …{suffix}"))
}

/// The `[kubernetes]` table of the ConfigMap's file, read as the runtime reads it.
fn runtime_config(docs: &[Value]) -> (toml::Table, KubernetesConfig) {
    let cm: ConfigMap = strictly(find(docs, "ConfigMap", "-config"));
    let text = &cm.data.expect("data")["graph-olap.toml"];
    let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let config: KubernetesConfig = table["kubernetes"]
        .clone()
        .try_into()
        .unwrap_or_else(|e| panic!("[kubernetes]: {e}\n{text}"));
    config.validate().expect("a valid runtime configuration");
    (table, config)
}

/// Every variable in the rendered Deployments is read by some non-test Rust source.
fn check_env_names(docs: &[Value]) {
    let mut sources = String::new();
    let mut stack = vec![repo().join("crates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.components().any(|c| c.as_os_str() == "tests")
            {
                sources.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    for doc in docs.iter().filter(|d| d["kind"] == "Deployment") {
        let containers = doc["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        for env in containers
            .iter()
            .flat_map(|c| c["env"].as_array().into_iter().flatten())
        {
            let name = env["name"].as_str().unwrap();
            // Read as a literal, or through the CLI's `env("SUFFIX")` (crates/cli/src/config.rs).
            let suffix = name.strip_prefix("GRAPH_OLAP_").unwrap_or(name);
            assert!(
                sources.contains(&format!("\"{name}\""))
                    || sources.contains(&format!("env(\"{suffix}\")")),
                "{} sets {name}, which no code reads",
                doc["metadata"]["name"]
            );
        }
    }
}

/// The objects refer to each other correctly.
fn check_wiring(
    docs: &[Value],
    fullname: &str,
    release_ns: &str,
    instances_ns: &str,
    secret: &str,
) {
    let cp = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == fullname)
        .expect("the control-plane Deployment");
    let pod = &cp["spec"]["template"];
    let selector = &cp["spec"]["selector"]["matchLabels"];
    for (k, v) in selector.as_object().unwrap() {
        assert_eq!(&pod["metadata"]["labels"][k], v, "pod template carries {k}");
    }
    let svc = docs.iter().find(|d| d["kind"] == "Service").unwrap();
    for (k, v) in svc["spec"]["selector"].as_object().unwrap() {
        assert_eq!(
            &pod["metadata"]["labels"][k], v,
            "Service selects the control plane"
        );
    }
    // Secret references name the one Secret.
    let refs: BTreeSet<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "Deployment")
        .flat_map(|d| {
            d["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
        })
        .flat_map(|c| c["env"].as_array().into_iter().flatten())
        .filter_map(|e| e["valueFrom"]["secretKeyRef"]["name"].as_str())
        .collect();
    assert_eq!(refs, BTreeSet::from([secret]));
    // The control plane may do exactly what the runtime calls, in the instances' namespace.
    let role: Role = strictly(find(docs, "Role", "-instances"));
    assert_eq!(role.metadata.namespace.as_deref(), Some(instances_ns));
    let rules: BTreeSet<(String, String)> = role
        .rules
        .unwrap()
        .iter()
        .flat_map(|r| {
            let resources = r.resources.clone().unwrap_or_default();
            resources
                .into_iter()
                .flat_map(|res| r.verbs.iter().map(move |v| (res.clone(), v.clone())))
                .collect::<Vec<_>>()
        })
        .collect();
    let wanted: BTreeSet<(String, String)> = [
        ("pods", "get"),
        ("pods", "list"),
        ("pods", "watch"),
        ("pods", "create"),
        ("pods", "delete"),
        ("pods/resize", "patch"),
        ("services", "get"),
        ("services", "create"),
        ("services", "delete"),
    ]
    .iter()
    .map(|(r, v)| (r.to_string(), v.to_string()))
    .collect();
    assert_eq!(rules, wanted);
    let binding: RoleBinding = strictly(find(docs, "RoleBinding", "-instances"));
    let subject = &binding.subjects.unwrap()[0];
    assert_eq!(subject.namespace.as_deref(), Some(release_ns));
    assert_eq!(
        Some(&subject.name),
        cp["metadata"]["name"].as_str().map(String::from).as_ref()
    );
}

/// Every `.Values.a.b` a template reads is a key documented in values.yaml.
#[test]
fn every_value_a_template_reads_is_documented_in_values_yaml() {
    let values: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(chart().join("values.yaml")).unwrap())
            .unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(chart().join("templates"))
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (i, _) in text.match_indices(".Values.") {
            let path: String = text[i + ".Values.".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                .collect();
            let mut node = &values;
            for key in path.trim_end_matches('.').split('.') {
                node = node.get(key).unwrap_or_else(|| {
                    panic!(
                        "{} reads .Values.{path}, not in values.yaml",
                        entry.path().display()
                    )
                });
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} value reads found");
}

#[test]
fn the_chart_renders_valid_kubernetes_objects_with_default_values() {
    let Some(helm) = helm() else { return };
    let docs = render(&helm, REQUIRED);
    let kinds = check_types(&docs);
    assert_eq!(
        kinds,
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "Deployment",
            "Deployment",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Role",
            "RoleBinding",
            "Secret",
            "Service",
            "ServiceAccount",
            "ServiceAccount",
            "ServiceAccount"
        ]
    );
    let (table, config) = runtime_config(&docs);
    assert_eq!(table["runtime"].as_str(), Some("kubernetes"));
    assert_eq!(config.namespace, "analytics");
    assert_eq!(
        config.service_account.as_deref(),
        Some("release-graph-olap-instance")
    );
    check_env_names(&docs);
    check_wiring(
        &docs,
        "release-graph-olap",
        "analytics",
        "analytics",
        "release-graph-olap-secrets",
    );
    let cp = find(&docs, "Deployment", "graph-olap");
    assert_eq!(cp["spec"]["replicas"], 2);
    let env = cp["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert!(
        !env.iter()
            .any(|e| e["name"] == "GRAPH_OLAP_TRUSTED_PROXIES"),
        "no proxies trusted unless listed"
    );
    // Nodes are readable for the capacity view; pods in other namespaces are not.
    let capacity: ClusterRole = strictly(find(&docs, "ClusterRole", "-capacity"));
    let rules = capacity.rules.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].resources.as_deref(),
        Some(&["nodes".to_owned()][..])
    );
    assert_eq!(rules[0].verbs, ["get", "list"]);
}

#[test]
fn the_chart_renders_valid_kubernetes_objects_with_every_option_on() {
    let Some(helm) = helm() else { return };
    let full = repo().join("deploy/helm/tests/values-full.yaml");
    let docs = render(&helm, &["-f", full.to_str().unwrap()]);
    let kinds = check_types(&docs);
    for kind in ["Ingress", "ServiceMonitor", "ClusterRole", "NetworkPolicy"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} rendered: {kinds:?}"
        );
    }
    assert!(
        !kinds.iter().any(|k| k == "Secret"),
        "an existing Secret is used, none created"
    );
    let (table, config) = runtime_config(&docs);
    assert_eq!(table["embedded_worker"].as_bool(), Some(true));
    assert_eq!(config.namespace, "graph-instances");
    assert_eq!(config.max_memory_gb, Some(24));
    assert_eq!(config.tolerations.len(), 2);
    assert_eq!(config.tolerations[1].toleration_seconds, Some(60));
    assert_eq!(config.images.len(), 2);
    assert_eq!(config.image_pull_secrets, ["regcred", "mirrorcred"]);
    check_env_names(&docs);
    check_wiring(
        &docs,
        "olap",
        "analytics",
        "graph-instances",
        "olap-credentials",
    );

    let cp = find(&docs, "Deployment", "olap");
    let env = cp["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let proxies = env
        .iter()
        .find(|e| e["name"] == "GRAPH_OLAP_TRUSTED_PROXIES")
        .expect("trusted proxies wired");
    assert_eq!(proxies["value"], "10.42.0.0/16,192.168.7.10");
    let capacity: ClusterRole = strictly(find(&docs, "ClusterRole", "-capacity"));
    let resources: Vec<String> = capacity
        .rules
        .unwrap()
        .into_iter()
        .flat_map(|r| r.resources.unwrap_or_default())
        .collect();
    assert_eq!(resources, ["nodes", "pods"]);
    let ingress: Ingress = strictly(find(&docs, "Ingress", "olap"));
    let spec = ingress.spec.unwrap();
    assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
    assert_eq!(
        spec.tls.unwrap()[0].secret_name.as_deref(),
        Some("graphs-tls")
    );
}
