//! The instance API's error type and its rendering as the §1.12 envelope.
//!
//! Owns: [`ApiError`] (code + message + details), the request-id task-local that fills
//! `meta.request_id`, and conversion of engine query errors into `QUERY_*` codes. Does not own:
//! deciding *when* a request fails (handlers and extractors do).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use graph_olap_api::{ErrorBody, ErrorCode, ErrorEnvelope, FieldError, Meta};
use graph_olap_engine::{QueryError, QueryErrorKind};
use serde_json::{Map, Value, json};

tokio::task_local! {
    /// The request id of the request being handled (set by the request-id middleware).
    pub static REQUEST_ID: String;
}

/// The id of the current request, or a fresh one outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

/// An error answered with the standard envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Stable code.
    pub code: ErrorCode,
    /// One sentence.
    pub message: String,
    /// Code-specific details.
    pub details: Map<String, Value>,
}

impl ApiError {
    /// An error without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    /// Adds one detail.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// `400 VALIDATION_FAILED` listing every problem.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::new(ErrorCode::ValidationFailed, "Request validation failed")
            .with("errors", serde_json::to_value(errors).unwrap_or_default())
    }

    /// `401 UNAUTHORIZED` with a reason token.
    pub fn unauthorized(reason: &str) -> Self {
        Self::new(ErrorCode::Unauthorized, "Authentication required").with("reason", reason)
    }

    /// `503 INSTANCE_NOT_READY` with the current status.
    pub fn not_ready(instance_id: i64, status: &str) -> Self {
        Self::new(ErrorCode::InstanceNotReady, "The instance is not ready yet")
            .with("instance_id", instance_id)
            .with("status", status)
    }

    /// `500 INTERNAL_ERROR` (the message is fixed by §1.12; the cause is logged).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::InternalError, "An unexpected error occurred")
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e.kind {
            QueryErrorKind::Syntax {
                line,
                column,
                snippet,
            } => ApiError::new(ErrorCode::QuerySyntaxError, e.message)
                .with("line", line.map_or(Value::Null, |l| json!(l)))
                .with("column", column.map_or(Value::Null, |c| json!(c)))
                .with("snippet", snippet.map_or(Value::Null, Value::String)),
            QueryErrorKind::Unsupported { feature } => {
                ApiError::new(ErrorCode::QueryUnsupported, e.message).with("feature", feature)
            }
            QueryErrorKind::ReadOnlyViolation {
                clause,
                line,
                column,
            } => ApiError::new(ErrorCode::ReadOnlyViolation, e.message)
                .with("clause", clause)
                .with("line", line)
                .with("column", column),
            QueryErrorKind::Failed { reason, parameter } => {
                let mut err = ApiError::new(ErrorCode::QueryFailed, e.message)
                    .with("reason", reason.as_str());
                if let Some(p) = parameter {
                    err = err.with("parameter", p);
                }
                err
            }
            QueryErrorKind::Timeout {
                timeout_ms,
                elapsed_ms,
            } => ApiError::new(ErrorCode::QueryTimeout, e.message)
                .with("timeout_ms", timeout_ms)
                .with("elapsed_ms", elapsed_ms),
            QueryErrorKind::Cancelled => {
                ApiError::new(ErrorCode::QueryFailed, e.message).with("reason", "other")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: self.message,
                details: self.details,
            },
            meta: Meta {
                request_id: current_request_id(),
                ..Meta::default()
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if self.code == ErrorCode::InstanceNotReady {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("5"));
        }
        response
    }
}
