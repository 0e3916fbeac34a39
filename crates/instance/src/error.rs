//! The instance API's failure that only the instance server answers: `INSTANCE_NOT_READY` with
//! its `Retry-After`. (Engine query errors answer for themselves: `graph_olap_engine::QueryError`
//! implements `WireError`, so handlers use `?`.)
//!
//! Owns: that one builder. Does not own: the error type and its envelope, nor the request
//! id (`graph_olap_server_kit`); deciding *when* a request fails (handlers and extractors).

use axum::http::header;
use graph_olap_api::ErrorCode;
use graph_olap_server_kit::ApiError;

/// Seconds a client is asked to wait before retrying a request to an instance still loading.
const NOT_READY_RETRY_AFTER_SECONDS: &str = "5";

/// `503 INSTANCE_NOT_READY` with the current status and a `Retry-After`.
pub fn not_ready(instance_id: i64, status: &str) -> ApiError {
    ApiError::new(ErrorCode::InstanceNotReady, "The instance is not ready yet")
        .detail("instance_id", instance_id)
        .detail("status", status)
        .header(header::RETRY_AFTER, NOT_READY_RETRY_AFTER_SECONDS)
}
