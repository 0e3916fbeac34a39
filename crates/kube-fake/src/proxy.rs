//! Cluster networking for processes outside the fake: an HTTP forward proxy that resolves
//! `{service}.{namespace}[.svc[.{domain}]]` to a ready pod selected by the Service and streams
//! the request and the answer through, as cluster DNS plus kube-proxy do.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::Shared;
use crate::api::matches;

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// Where `host:port` leads: the pod address, or why not (an answer like a real network's).
fn resolve(shared: &Shared, host: &str, port: u16) -> Result<String, (StatusCode, String)> {
    let parts: Vec<&str> = host.split('.').collect();
    let unknown = || {
        (
            StatusCode::BAD_GATEWAY,
            format!("dns error: no such host {host}"),
        )
    };
    if parts.len() < 2 || (parts.len() > 2 && parts[2] != "svc") {
        return Err(unknown());
    }
    let (svc, ns) = (parts[0], parts[1]);
    let state = shared.lock();
    let service = state
        .services
        .get(&(ns.to_owned(), svc.to_owned()))
        .ok_or_else(unknown)?;
    let spec = service.spec.clone().unwrap_or_default();
    let service_port = spec
        .ports
        .iter()
        .flatten()
        .find(|p| u16::try_from(p.port).ok() == Some(port))
        .ok_or((
            StatusCode::BAD_GATEWAY,
            format!("connection refused: {host}:{port}"),
        ))?;
    for ((n, _), pod) in &state.pods {
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        if n != ns
            || !ready
            || pod.metadata.deletion_timestamp.is_some()
            || !matches_selector(spec.selector.as_ref(), pod.metadata.labels.as_ref())
        {
            continue;
        }
        let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.clone()) else {
            continue;
        };
        let target = match &service_port.target_port {
            Some(IntOrString::Int(p)) => Some(*p),
            Some(IntOrString::String(name)) => pod
                .spec
                .iter()
                .flat_map(|s| s.containers.iter())
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.container_port),
            None => Some(service_port.port),
        };
        if let Some(target) = target {
            return Ok(format!("{ip}:{target}"));
        }
    }
    Err((
        StatusCode::SERVICE_UNAVAILABLE,
        format!("connection refused: no ready endpoints for service {ns}/{svc}"),
    ))
}

fn matches_selector(
    selector: Option<&std::collections::BTreeMap<String, String>>,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return false;
    };
    let text: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    matches(Some(&text.join(",")), labels)
}

/// Forwards an absolute-form request to the Service's pod.
pub async fn forward(shared: &Shared, req: Request) -> Response {
    let uri = req.uri().clone();
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let target = match resolve(shared, &host, port) {
        Ok(t) => t,
        Err((code, message)) => return (code, message).into_response(),
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("http://{target}{path}");
    let (parts, body) = req.into_parts();
    let mut outbound = shared.http.request(parts.method, &url);
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            outbound = outbound.header(name, value);
        }
    }
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let answer = match outbound
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
    {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, format!("upstream: {e}")).into_response(),
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|e| (StatusCode::BAD_GATEWAY, e.to_string()).into_response())
}
