//! The instance proxy (API.md §8): `ANY /wrapper/{url_slug}/{path}` forwarded to the instance
//! server with the caller's identity, bodies streamed both ways, activity recorded after
//! successful data-plane calls.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use graph_olap_api::{ErrorCode, InstanceStatus};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::instances;

use crate::auth::{self, Caller};
use crate::state::AppState;

/// Instance API paths that may be forwarded (§10): exact names, or a prefix for families.
fn forwardable(path: &str) -> bool {
    matches!(
        path,
        "health" | "ready" | "status" | "schema" | "query" | "lock" | "openapi.json"
    ) || path.starts_with("algo/")
        || path.starts_with("networkx/")
}

/// Instance API paths anyone may call (§10.2 rule 4): liveness, readiness and the instance
/// API's OpenAPI document.
fn is_public(path: &str) -> bool {
    matches!(path, "health" | "ready" | "openapi.json")
}

/// Paths whose success counts as activity (§8 rule 7).
fn is_activity(method: &Method, path: &str) -> bool {
    (method == Method::POST
        && (path == "query" || path.starts_with("algo/") || path.starts_with("networkx/")))
        || (method == Method::GET && path == "schema")
}

/// `ANY /wrapper/{url_slug}/{*path}`
pub async fn forward(
    State(state): State<AppState>,
    Path((slug, path)): Path<(String, String)>,
    request: Request,
) -> ApiResult<Response> {
    let path = path.trim_start_matches('/').to_string();
    if !forwardable(&path) {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("/{path} is not an instance API path"),
        )
        .detail("resource_type", "route")
        .detail("resource_id", path));
    }
    let (parts, body) = request.into_parts();
    let public = is_public(&path);
    let caller: Option<Caller> = if public {
        None
    } else {
        Some(auth::resolve(&state, &parts).await?)
    };
    let row = instances::get_by_slug(&mut *state.store.read().await?, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", slug.clone()))?;
    match row.status {
        InstanceStatus::Running => {}
        InstanceStatus::WaitingForSnapshot | InstanceStatus::Starting => {
            return Err(ApiError::new(
                ErrorCode::InstanceNotReady,
                format!("Instance {} is {}; try again shortly", row.id, row.status),
            )
            .detail("status", row.status.as_str())
            .header(axum::http::header::RETRY_AFTER, "5".to_string()));
        }
        other => {
            return Err(ApiError::invalid_state(
                "instance",
                row.id,
                other,
                &["running"],
                "not_running",
                format!("Instance {} is {other}", row.id),
            ));
        }
    }
    if let Some(c) = &caller
        && !c.can_modify(&row.owner_username)
    {
        return Err(ApiError::not_owner("instance", row.id, c.role.as_str()));
    }
    let Some(base) = row.internal_url.clone() else {
        return Err(
            ApiError::new(ErrorCode::UpstreamError, "The instance has no address yet")
                .detail("service", "instance"),
        );
    };
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{}/{path}{query}", base.trim_end_matches('/'));
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if matches!(
            n,
            "host"
                | "authorization"
                | "x-internal-api-key"
                | "x-username"
                | "x-user-role"
                | "content-length"
                | "connection"
                | "transfer-encoding"
        ) {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    if let Some(key) = state.settings.internal_api_key.as_deref() {
        insert(&mut headers, "x-internal-api-key", key);
    }
    if let Some(c) = &caller {
        insert(&mut headers, "x-username", &c.username);
        insert(&mut headers, "x-user-role", c.role.as_str());
    }
    insert(
        &mut headers,
        "x-request-id",
        &graph_olap_server_kit::request_id::current(),
    );
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let upstream = state
        .http
        .request(parts.method.clone(), &url)
        .headers(headers)
        .body(reqwest::Body::wrap_stream(stream))
        .timeout(std::time::Duration::from_secs(40 * 60))
        .send()
        .await
        .map_err(|e| {
            ApiError::new(
                ErrorCode::UpstreamError,
                format!("The instance did not answer: {e}"),
            )
            .detail("service", "instance")
        })?;
    let status = upstream.status();
    if status.is_success() && is_activity(&parts.method, &path) {
        let state = state.clone();
        let id = row.id;
        tokio::spawn(async move {
            let now = state.now();
            if let Err(e) = crate::services::instances::record_activity(&state, id, now).await {
                tracing::debug!(instance_id = id, error = %e.message, "recording activity failed");
            }
        });
    }
    let mut response = Response::builder().status(status.as_u16());
    for (name, value) in upstream.headers() {
        if matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            continue;
        }
        response = response.header(name, value);
    }
    let body = Body::from_stream(upstream.bytes_stream());
    Ok(response
        .body(body)
        .map_err(ApiError::internal)?
        .into_response())
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_document_is_forwarded_publicly_and_is_not_activity() {
        assert!(forwardable("openapi.json") && is_public("openapi.json"));
        assert!(!is_activity(&Method::GET, "openapi.json"));
        assert!(!forwardable("openapi.yaml"));
        assert!(forwardable("schema") && !is_public("schema"));
    }
}
