//! The fake API server's routes: core/v1 Pods and Services in JSON, watches as
//! newline-delimited JSON events, errors as `Status` objects.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use k8s_openapi::api::core::v1::{Pod, PodStatus, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Shared, kubelet};

/// The API router, with absolute-form (proxy) requests diverted to [`crate::proxy`].
pub fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods",
            get(list_pods).post(create_pod),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}",
            get(get_pod).delete(delete_pod),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}/resize",
            patch(resize_pod),
        )
        .route("/api/v1/pods", get(list_all_pods))
        .route("/api/v1/nodes", get(list_nodes))
        .route("/api/v1/nodes/{name}", get(get_node))
        .route("/version", get(version))
        .route(
            "/api/v1/namespaces/{ns}/services",
            get(list_services).post(create_service),
        )
        .route(
            "/api/v1/namespaces/{ns}/services/{name}",
            get(get_service).delete(delete_service),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            divert_proxy,
        ))
        .with_state(shared)
}

async fn divert_proxy(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if req.uri().authority().is_some() {
        return crate::proxy::forward(&shared, req).await;
    }
    next.run(req).await
}

/// A `Status` error response.
pub fn status(code: u16, reason: &str, message: String) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    });
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(body),
    )
        .into_response()
}

/// Suffix of a forbidden resource that is refused at the cluster scope only.
pub const CLUSTER_SCOPE: &str = "@cluster";

fn forbidden(shared: &Shared, verb: &str, resource: &str, ns: &str) -> Option<Response> {
    let refused = shared
        .lock()
        .forbidden
        .contains(&(verb.to_owned(), resource.to_owned()));
    refused.then(|| {
        status(
            403,
            "Forbidden",
            format!(
                "{resource} is forbidden: User \"system:serviceaccount:{ns}:graph-olap\" cannot {verb} resource \"{resource}\" in API group \"\" in the namespace \"{ns}\""
            ),
        )
    })
}

/// 403 for a cluster-scoped call (nodes, pods in all namespaces) refused by
/// [`crate::FakeCluster::forbid_cluster_wide`] or [`crate::FakeCluster::forbid`].
fn forbidden_cluster_wide(shared: &Shared, verb: &str, resource: &str) -> Option<Response> {
    let refused = {
        let state = shared.lock();
        state
            .forbidden
            .contains(&(verb.to_owned(), format!("{resource}{CLUSTER_SCOPE}")))
            || state
                .forbidden
                .contains(&(verb.to_owned(), resource.to_owned()))
    };
    refused.then(|| {
        status(
            403,
            "Forbidden",
            format!(
                "{resource} is forbidden: User \"system:serviceaccount:graph-olap:graph-olap\" cannot {verb} resource \"{resource}\" in API group \"\" at the cluster scope"
            ),
        )
    })
}

fn no_namespace(shared: &Shared, ns: &str) -> Option<Response> {
    (!shared.lock().namespaces.contains(ns))
        .then(|| status(404, "NotFound", format!("namespaces \"{ns}\" not found")))
}

async fn not_found() -> Response {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource".into(),
    )
}

/// Query parameters of list, watch, create and delete.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    watch: Option<String>,
    label_selector: Option<String>,
    resource_version: Option<String>,
    timeout_seconds: Option<u64>,
    dry_run: Option<String>,
    field_selector: Option<String>,
}

/// Whether `pod` matches a pod field selector (`spec.nodeName`, `status.phase`,
/// `metadata.name`, `metadata.namespace` with `=`, `==` or `!=`, comma-separated); an
/// unsupported field or a malformed term is `Err` with the API server's 400 message.
pub fn field_matches(selector: Option<&str>, pod: &Pod) -> Result<bool, String> {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return Ok(true);
    };
    for term in selector.split(',') {
        let (field, negate, wanted) = if let Some((f, v)) = term.split_once("!=") {
            (f, true, v)
        } else if let Some((f, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            (f, false, v)
        } else {
            return Err(format!("invalid field selector: \"{term}\""));
        };
        let actual = match field {
            "spec.nodeName" => pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            "status.phase" => pod.status.as_ref().and_then(|s| s.phase.clone()),
            "metadata.name" => pod.metadata.name.clone(),
            "metadata.namespace" => pod.metadata.namespace.clone(),
            other => return Err(format!("field label not supported: {other}")),
        };
        if (actual.as_deref().unwrap_or("") == wanted) == negate {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `labels` match a `k=v,k2=v2` selector.
pub fn matches(selector: Option<&str>, labels: Option<&BTreeMap<String, String>>) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    selector.split(',').all(|term| match term.split_once('=') {
        Some((k, v)) => labels.and_then(|l| l.get(k.trim_end_matches('='))) == Some(&v.to_owned()),
        None => labels.is_some_and(|l| l.contains_key(term)),
    })
}

async fn list_pods(
    State(shared): State<Arc<Shared>>,
    Path(ns): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let verb = if params.watch.as_deref() == Some("true") {
        "watch"
    } else {
        "list"
    };
    if let Some(r) = forbidden(&shared, verb, "pods", &ns) {
        return r;
    }
    if verb == "watch" {
        return watch_pods(shared, ns, params);
    }
    pod_list(&shared, Some(&ns), &params)
}

/// A `PodList` of one namespace or all, filtered by label and field selectors.
fn pod_list(shared: &Shared, ns: Option<&str>, params: &Params) -> Response {
    let state = shared.lock();
    let mut items: Vec<&Pod> = Vec::new();
    for ((n, _), p) in &state.pods {
        if ns.is_some_and(|ns| ns != n)
            || !matches(params.label_selector.as_deref(), p.metadata.labels.as_ref())
        {
            continue;
        }
        match field_matches(params.field_selector.as_deref(), p) {
            Ok(true) => items.push(p),
            Ok(false) => {}
            Err(message) => return status(400, "BadRequest", message),
        }
    }
    Json(json!({
        "kind": "PodList", "apiVersion": "v1",
        "metadata": {"resourceVersion": state.rv.to_string()},
        "items": items,
    }))
    .into_response()
}

/// `GET /api/v1/pods`: pods in every namespace (a cluster-scoped permission).
async fn list_all_pods(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<Params>,
) -> Response {
    if let Some(r) = forbidden_cluster_wide(&shared, "list", "pods") {
        return r;
    }
    pod_list(&shared, None, &params)
}

/// `GET /api/v1/nodes`
async fn list_nodes(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(r) = forbidden_cluster_wide(&shared, "list", "nodes") {
        return r;
    }
    let state = shared.lock();
    let items: Vec<&k8s_openapi::api::core::v1::Node> = state.nodes.values().collect();
    Json(json!({
        "kind": "NodeList", "apiVersion": "v1",
        "metadata": {"resourceVersion": state.rv.to_string()},
        "items": items,
    }))
    .into_response()
}

/// `GET /api/v1/nodes/{name}`
async fn get_node(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    if let Some(r) = forbidden_cluster_wide(&shared, "get", "nodes") {
        return r;
    }
    match shared.lock().nodes.get(&name) {
        Some(n) => Json(n).into_response(),
        None => status(404, "NotFound", format!("nodes \"{name}\" not found")),
    }
}

/// `GET /version`: the server's version (1.33 unless set older).
async fn version(State(shared): State<Arc<Shared>>) -> Response {
    let minor = shared.lock().minor_version;
    Json(json!({
        "major": "1", "minor": minor.to_string(), "gitVersion": format!("v1.{minor}.0"),
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0", "compiler": "gc",
        "platform": "linux/amd64",
    }))
    .into_response()
}

fn watch_pods(shared: Arc<Shared>, ns: String, params: Params) -> Response {
    let mut live = shared.events.subscribe();
    let mut cut = shared.cut.subscribe();
    let selector = params.label_selector.clone();
    let from: u64 = params
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout = Duration::from_secs(params.timeout_seconds.unwrap_or(300));
    let (backlog, expired) = {
        let state = shared.lock();
        if from == 0 {
            // "Any version": synthetic ADDED events for what exists now.
            let now: Vec<(u64, &'static str, Pod)> = state
                .pods
                .iter()
                .filter(|((n, _), _)| *n == ns)
                .map(|(_, p)| (state.rv, "ADDED", p.clone()))
                .collect();
            (now, false)
        } else if from < state.log_floor {
            (Vec::new(), true)
        } else {
            let replay = state
                .log
                .iter()
                .filter(|(n, e)| *n == ns && e.rv > from)
                .map(|(_, e)| (e.rv, e.kind, e.pod.clone()))
                .collect();
            (replay, false)
        }
    };
    let line = |kind: &str, object: Value| {
        let mut text = serde_json::to_vec(&json!({"type": kind, "object": object}))
            .expect("serialisable event");
        text.push(b'\n');
        Ok::<_, std::io::Error>(bytes::Bytes::from(text))
    };
    let stream = async_stream(move |tx| async move {
        if expired {
            let gone = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {from}"), "reason": "Expired", "code": 410});
            let _ = tx.send(line("ERROR", gone)).await;
            return;
        }
        let mut last = from;
        for (rv, kind, pod) in backlog {
            if matches(selector.as_deref(), pod.metadata.labels.as_ref()) {
                let _ = tx
                    .send(line(kind, serde_json::to_value(&pod).unwrap_or_default()))
                    .await;
            }
            last = last.max(rv);
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = cut.changed() => {
                    // Cut mid-stream: the connection breaks without the chunked terminator.
                    let _ = tx.send(Err(std::io::Error::other("watch cut by the fake"))).await;
                    return;
                }
                event = live.recv() => match event {
                    Ok((n, e)) if n == ns && e.rv > last => {
                        last = e.rv;
                        if matches(selector.as_deref(), e.pod.metadata.labels.as_ref()) {
                            let value = serde_json::to_value(&e.pod).unwrap_or_default();
                            if tx.send(line(e.kind, value)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        }
    });
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .expect("watch response")
}

/// A stream fed by a task through a channel (keeps this crate free of stream macros).
fn async_stream<F, Fut>(
    producer: F,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(producer(tx));
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn create_pod(
    State(shared): State<Arc<Shared>>,
    Path(ns): Path<String>,
    Query(params): Query<Params>,
    Json(mut pod): Json<Pod>,
) -> Response {
    if let Some(r) = forbidden(&shared, "create", "pods", &ns) {
        return r;
    }
    if let Some(r) = no_namespace(&shared, &ns) {
        return r;
    }
    let name = pod.metadata.name.clone().unwrap_or_default();
    if pod.spec.as_ref().is_none_or(|s| s.containers.is_empty()) {
        return status(
            422,
            "Invalid",
            format!("Pod \"{name}\" is invalid: spec.containers: Required value"),
        );
    }
    let mut state = shared.lock();
    if state.pods.contains_key(&(ns.clone(), name.clone())) {
        return status(
            409,
            "AlreadyExists",
            format!("pods \"{name}\" already exists"),
        );
    }
    pod.metadata.namespace = Some(ns.clone());
    pod.metadata.uid = Some(uuid::Uuid::new_v4().to_string());
    pod.metadata.creation_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::now()));
    pod.status = Some(PodStatus {
        phase: Some("Pending".into()),
        ..Default::default()
    });
    if params.dry_run.is_some() {
        return (StatusCode::CREATED, Json(pod)).into_response();
    }
    let stored = shared.pod_changed(&mut state, &ns, "ADDED", pod);
    drop(state);
    kubelet::schedule(Arc::clone(&shared), ns, name);
    (StatusCode::CREATED, Json(stored)).into_response()
}

async fn get_pod(
    State(shared): State<Arc<Shared>>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    if let Some(r) = forbidden(&shared, "get", "pods", &ns) {
        return r;
    }
    match shared.lock().pods.get(&(ns, name.clone())) {
        Some(p) => Json(p).into_response(),
        None => status(404, "NotFound", format!("pods \"{name}\" not found")),
    }
}

async fn delete_pod(
    State(shared): State<Arc<Shared>>,
    Path((ns, name)): Path<(String, String)>,
    body: bytes::Bytes,
) -> Response {
    if let Some(r) = forbidden(&shared, "delete", "pods", &ns) {
        return r;
    }
    let options: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(pod) = shared.lock().pods.get(&(ns.clone(), name.clone())).cloned() else {
        return status(404, "NotFound", format!("pods \"{name}\" not found"));
    };
    let grace = options
        .get("gracePeriodSeconds")
        .and_then(Value::as_u64)
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
                .and_then(|g| u64::try_from(g).ok())
        })
        .unwrap_or(30);
    kubelet::delete(&shared, &ns, &name, grace);
    let current = shared.lock().pods.get(&(ns, name)).cloned().unwrap_or(pod);
    Json(current).into_response()
}

async fn resize_pod(
    State(shared): State<Arc<Shared>>,
    Path((ns, name)): Path<(String, String)>,
    Json(patch): Json<Value>,
) -> Response {
    if shared.lock().minor_version < 33 {
        // No such subresource before 1.33: the generic 404 of an unknown path.
        return not_found().await;
    }
    if let Some(r) = forbidden(&shared, "patch", "pods/resize", &ns) {
        return r;
    }
    let mut state = shared.lock();
    let Some(mut pod) = state.pods.get(&(ns.clone(), name.clone())).cloned() else {
        return status(404, "NotFound", format!("pods \"{name}\" not found"));
    };
    let Some(spec) = pod.spec.as_mut() else {
        return status(422, "Invalid", "pod without spec".into());
    };
    // Strategic merge of `spec.containers[*].resources`, containers keyed by name.
    for change in patch["spec"]["containers"].as_array().into_iter().flatten() {
        let Some(container) = spec
            .containers
            .iter_mut()
            .find(|c| Some(c.name.as_str()) == change["name"].as_str())
        else {
            return status(422, "Invalid", "no such container".into());
        };
        let resources = container.resources.get_or_insert_with(Default::default);
        for (field, target) in [
            ("requests", &mut resources.requests),
            ("limits", &mut resources.limits),
        ] {
            for (k, v) in change["resources"][field].as_object().into_iter().flatten() {
                target.get_or_insert_with(Default::default).insert(
                    k.clone(),
                    k8s_openapi::apimachinery::pkg::api::resource::Quantity(
                        v.as_str().unwrap_or_default().to_owned(),
                    ),
                );
            }
        }
    }
    let stored = shared.pod_changed(&mut state, &ns, "MODIFIED", pod);
    Json(stored).into_response()
}

async fn list_services(
    State(shared): State<Arc<Shared>>,
    Path(ns): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    if let Some(r) = forbidden(&shared, "list", "services", &ns) {
        return r;
    }
    let state = shared.lock();
    let items: Vec<&Service> = state
        .services
        .iter()
        .filter(|((n, _), s)| {
            *n == ns && matches(params.label_selector.as_deref(), s.metadata.labels.as_ref())
        })
        .map(|(_, s)| s)
        .collect();
    Json(json!({"kind": "ServiceList", "apiVersion": "v1",
        "metadata": {"resourceVersion": state.rv.to_string()}, "items": items}))
    .into_response()
}

async fn create_service(
    State(shared): State<Arc<Shared>>,
    Path(ns): Path<String>,
    Json(mut service): Json<Service>,
) -> Response {
    if let Some(r) = forbidden(&shared, "create", "services", &ns) {
        return r;
    }
    if let Some(r) = no_namespace(&shared, &ns) {
        return r;
    }
    let name = service.metadata.name.clone().unwrap_or_default();
    let mut state = shared.lock();
    if state.services.contains_key(&(ns.clone(), name.clone())) {
        return status(
            409,
            "AlreadyExists",
            format!("services \"{name}\" already exists"),
        );
    }
    state.rv += 1;
    service.metadata.namespace = Some(ns.clone());
    service.metadata.uid = Some(uuid::Uuid::new_v4().to_string());
    service.metadata.resource_version = Some(state.rv.to_string());
    service.metadata.creation_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::now()));
    if let Some(spec) = service.spec.as_mut() {
        spec.cluster_ip = Some(format!("10.96.{}.{}", state.rv / 250, state.rv % 250 + 1));
    }
    state.services.insert((ns, name.clone()), service.clone());
    state.services_created.push(name);
    (StatusCode::CREATED, Json(service)).into_response()
}

async fn get_service(
    State(shared): State<Arc<Shared>>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    if let Some(r) = forbidden(&shared, "get", "services", &ns) {
        return r;
    }
    match shared.lock().services.get(&(ns, name.clone())) {
        Some(s) => Json(s).into_response(),
        None => status(404, "NotFound", format!("services \"{name}\" not found")),
    }
}

async fn delete_service(
    State(shared): State<Arc<Shared>>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    if let Some(r) = forbidden(&shared, "delete", "services", &ns) {
        return r;
    }
    match shared.lock().services.remove(&(ns, name.clone())) {
        Some(s) => Json(s).into_response(),
        None => status(404, "NotFound", format!("services \"{name}\" not found")),
    }
}
