//! The instance API's failures that only the instance server answers: engine query errors as
//! `QUERY_*` codes, and `INSTANCE_NOT_READY` with its `Retry-After`.
//!
//! Owns: those two conversions. Does not own: the error type and its envelope, nor the request
//! id (`graph_olap_server_kit`); deciding *when* a request fails (handlers and extractors).

use axum::http::header;
use graph_olap_api::ErrorCode;
use graph_olap_engine::{QueryError, QueryErrorKind};
use graph_olap_server_kit::ApiError;
use serde_json::{Value, json};

/// Seconds a client is asked to wait before retrying a request to an instance still loading.
const NOT_READY_RETRY_AFTER_SECONDS: &str = "5";

/// `503 INSTANCE_NOT_READY` with the current status and a `Retry-After`.
pub fn not_ready(instance_id: i64, status: &str) -> ApiError {
    ApiError::new(ErrorCode::InstanceNotReady, "The instance is not ready yet")
        .detail("instance_id", instance_id)
        .detail("status", status)
        .header(header::RETRY_AFTER, NOT_READY_RETRY_AFTER_SECONDS)
}

/// The answer to a failed engine query: its `QUERY_*` code with the position, feature or
/// parameter the engine reported.
pub fn query_error(e: QueryError) -> ApiError {
    match e.kind {
        QueryErrorKind::Syntax {
            line,
            column,
            snippet,
        } => ApiError::new(ErrorCode::QuerySyntaxError, e.message)
            .detail("line", line.map_or(Value::Null, |l| json!(l)))
            .detail("column", column.map_or(Value::Null, |c| json!(c)))
            .detail("snippet", snippet.map_or(Value::Null, Value::String)),
        QueryErrorKind::Unsupported { feature } => {
            ApiError::new(ErrorCode::QueryUnsupported, e.message).detail("feature", feature)
        }
        QueryErrorKind::ReadOnlyViolation {
            clause,
            line,
            column,
        } => ApiError::new(ErrorCode::ReadOnlyViolation, e.message)
            .detail("clause", clause)
            .detail("line", line)
            .detail("column", column),
        QueryErrorKind::Failed { reason, parameter } => {
            let mut err =
                ApiError::new(ErrorCode::QueryFailed, e.message).detail("reason", reason.as_str());
            if let Some(p) = parameter {
                err = err.detail("parameter", p);
            }
            err
        }
        QueryErrorKind::Timeout {
            timeout_ms,
            elapsed_ms,
        } => ApiError::new(ErrorCode::QueryTimeout, e.message)
            .detail("timeout_ms", timeout_ms)
            .detail("elapsed_ms", elapsed_ms),
        QueryErrorKind::Cancelled => {
            ApiError::new(ErrorCode::QueryFailed, e.message).detail("reason", "other")
        }
    }
}
