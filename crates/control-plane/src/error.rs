//! `ApiError`: every failure of a handler, rendered as the one error envelope of API.md §1.12.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use graph_olap_api::{ErrorBody, ErrorCode, ErrorEnvelope, FieldError, Meta};
use serde_json::{Map, Value, json};

use crate::http::request_id;

/// A request failure with its wire code, message and details.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Wire code (decides the HTTP status).
    pub code: ErrorCode,
    /// One English sentence.
    pub message: String,
    /// Code-specific details.
    pub details: Map<String, Value>,
    /// Extra response headers (`Retry-After`, `Allow`).
    pub headers: Vec<(header::HeaderName, String)>,
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

/// `required` of [`ApiError::invalid_state`] when no state would allow the change.
pub const NO_REQUIRED_STATE: &[&str] = &[];

impl ApiError {
    /// An error with a code and message and no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
            headers: Vec::new(),
        }
    }

    /// Adds one `details` key.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `400 VALIDATION_FAILED` listing every problem.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::new(ErrorCode::ValidationFailed, "Request validation failed")
            .detail("errors", json!(errors))
    }

    /// `400 VALIDATION_FAILED` for one problem.
    pub fn invalid(field: &str, reason: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, reason, message)])
    }

    /// `404 NOT_FOUND` for a resource.
    pub fn not_found(
        resource_type: &str,
        resource_id: impl Into<Value> + std::fmt::Display + Clone,
    ) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("{} {} not found", capitalise(resource_type), resource_id),
        )
        .detail("resource_type", resource_type)
        .detail("resource_id", resource_id.into())
    }

    /// `403 PERMISSION_DENIED` for a role check.
    pub fn role_required(required: &[&str], user_role: &str) -> Self {
        Self::new(
            ErrorCode::PermissionDenied,
            format!("This operation requires the {} role", required.join(" or ")),
        )
        .detail("required_roles", json!(required))
        .detail("user_role", user_role)
    }

    /// `403 PERMISSION_DENIED` for an ownership check.
    pub fn not_owner(resource_type: &str, resource_id: impl Into<Value>, user_role: &str) -> Self {
        Self::new(
            ErrorCode::PermissionDenied,
            format!("Only the owner, an admin or ops may modify this {resource_type}"),
        )
        .detail("resource_type", resource_type)
        .detail("resource_id", resource_id.into())
        .detail("user_role", user_role)
        .detail("required_roles", json!(["admin", "ops"]))
    }

    /// `409 INVALID_STATE`.
    pub fn invalid_state<S: std::fmt::Display>(
        resource_type: &str,
        resource_id: impl Into<Value>,
        current: impl std::fmt::Display,
        required: &[S],
        reason: &str,
        message: impl Into<String>,
    ) -> Self {
        let required: Vec<String> = required.iter().map(ToString::to_string).collect();
        Self::new(ErrorCode::InvalidState, message)
            .detail("resource_type", resource_type)
            .detail("resource_id", resource_id.into())
            .detail("current_state", current.to_string())
            .detail("required_state", json!(required))
            .detail("reason", reason)
    }

    /// `500 INTERNAL_ERROR`; the cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, request_id = %request_id::current(), "internal error");
        Self::new(ErrorCode::InternalError, "An unexpected error occurred")
    }

    /// `503 SERVICE_UNAVAILABLE` naming the dependency.
    pub fn unavailable(service: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, message).detail("service", service)
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c
            .to_uppercase()
            .chain(chars)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

impl From<graph_olap_store::StoreError> for ApiError {
    fn from(e: graph_olap_store::StoreError) -> Self {
        match &e {
            graph_olap_store::StoreError::Database(
                sqlx_like::PoolTimedOut | sqlx_like::PoolClosed | sqlx_like::Io(_),
            ) => {
                tracing::error!(error = %e, "metadata database unavailable");
                ApiError::unavailable(
                    "database",
                    "The metadata database is unavailable; retry shortly",
                )
            }
            _ => ApiError::internal(e),
        }
    }
}

mod sqlx_like {
    pub use graph_olap_store::SqlxError::{Io, PoolClosed, PoolTimedOut};
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
                request_id: request_id::current(),
                ..Meta::default()
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        response
    }
}

impl From<graph_olap_store::SqlxError> for ApiError {
    fn from(e: graph_olap_store::SqlxError) -> Self {
        ApiError::from(graph_olap_store::StoreError::Database(e))
    }
}
