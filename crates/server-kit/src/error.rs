//! [`ApiError`]: every failure of a request handler, and its rendering as the one error envelope
//! of API.md §1.12 (`{"error": {"code", "message", "details"}, "meta": {"request_id"}}`).
//!
//! Owns: the builder (`new` + `detail` + `header`), the builders for failures whose `details`
//! every server spells the same way (validation, not found, permission, state, internal,
//! unavailable), and the HTTP response (status from the code, the request id, extra headers).
//! Does not own: the codes and their HTTP statuses (`graph_olap_api::ErrorCode`), deciding when a
//! request fails (handlers and extractors), nor which answer a library's failure gets — the
//! library says so by implementing [`WireError`] next to its error type.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use graph_olap_api::{ErrorBody, ErrorCode, ErrorEnvelope, FieldError, Meta, WireError};
use serde_json::{Map, Value, json};

use crate::request_id;

/// A request failure with its wire code, message, details and extra response headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Wire code (decides the HTTP status).
    pub code: ErrorCode,
    /// One English sentence.
    pub message: String,
    /// Code-specific details (§1.13).
    pub details: Map<String, Value>,
    /// Extra response headers (`Retry-After`, `Allow`).
    pub headers: Vec<(HeaderName, String)>,
}

/// A handler's result.
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
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
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

    /// `401 UNAUTHORIZED` with its reason token (`missing_credentials`, `unknown_key`, …).
    pub fn unauthorized(reason: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message).detail("reason", reason)
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

    /// `500 INTERNAL_ERROR` with the fixed message of §1.12; the cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, request_id = %request_id::current(), "internal error");
        Self::new(ErrorCode::InternalError, "An unexpected error occurred")
    }

    /// `503 SERVICE_UNAVAILABLE` naming the dependency.
    pub fn unavailable(service: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, message).detail("service", service)
    }
}

/// `mapping` → `Mapping`, `export_job` → `Export job`.
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

impl<E: WireError> From<E> for ApiError {
    /// The library's answer for the failure; an unexpected failure becomes
    /// [`ApiError::internal`]. Failures answered with a `5xx` are logged with their cause.
    fn from(e: E) -> Self {
        let Some(body) = e.error_body() else {
            return ApiError::internal(e);
        };
        if body.code.http_status() >= 500 {
            tracing::error!(error = %e, code = body.code.as_str(), "request failed");
        }
        ApiError {
            code: body.code,
            message: body.message,
            details: body.details,
            headers: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;
    use http_body_util::BodyExt;

    async fn body(response: Response) -> Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn renders_the_envelope_with_status_headers_and_request_id() {
        let error = ApiError::not_found("export_job", 7).header(header::RETRY_AFTER, "5");
        let response = request_id::scope("req-1".into(), async { error.into_response() }).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        assert_eq!(
            body(response).await,
            json!({
                "error": {
                    "code": "NOT_FOUND",
                    "message": "Export job 7 not found",
                    "details": {"resource_type": "export_job", "resource_id": 7}
                },
                "meta": {"request_id": "req-1"}
            })
        );
    }

    #[test]
    fn builders_fill_the_documented_details() {
        let e = ApiError::invalid_state("instance", 3, "stopped", &["running"], "not_running", "x");
        assert_eq!(e.code, ErrorCode::InvalidState);
        assert_eq!(e.details["required_state"], json!(["running"]));
        assert_eq!(e.details["current_state"], "stopped");
        let e = ApiError::invalid("name", "required", "name is required");
        assert_eq!(e.details["errors"][0]["field"], "name");
        assert_eq!(
            ApiError::internal("boom").message,
            "An unexpected error occurred"
        );
    }

    #[derive(Debug)]
    struct Library(Option<ErrorCode>);

    impl std::fmt::Display for Library {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "library failure")
        }
    }

    impl WireError for Library {
        fn error_body(&self) -> Option<ErrorBody> {
            self.0.map(|code| ErrorBody {
                code,
                message: "busy".into(),
                details: Map::new(),
            })
        }
    }

    #[test]
    fn library_errors_convert_by_their_own_answer() {
        let e = ApiError::from(Library(Some(ErrorCode::ServiceUnavailable)));
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::ServiceUnavailable, "busy")
        );
        let e = ApiError::from(Library(None));
        assert_eq!(e.code, ErrorCode::InternalError);
        assert_eq!(e.message, "An unexpected error occurred");
    }
}
